"""``make review``: a reviewer's report of what a deploy will create, read from the synthesized assembly.

One markdown file per environment (``docs/review/<env>.md``) with an SVG and
PNG diagram: inventory, IAM, findings (cdk-nag, cfn-lint, checkov), data
safety and an idle-cost estimate. Everything is computed from ``cdk.out``;
the modules here are table-driven so that new resource types land by adding
rows (``cost.py``, ``diagram.py``, ``safety.py``).
"""
