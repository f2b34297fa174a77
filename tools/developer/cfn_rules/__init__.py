"""cfn-lint rules for AWS rules that moto, cfn-lint's own rules and cdk-nag do not check.

``make synth`` runs them on every template (``append_rules`` in .cfnlintrc.yaml; cfn-lint
imports every ``*.py`` here that does not start with ``_``, so each rule file stands alone).
Each rule names the resource and says what AWS would do; tests/tools/developer/test_cfn_rules.py
shows each one firing on a mutated template. IDs E9101-E9199 are ours (cfn-lint reserves
E9xxx for user rules).
"""
