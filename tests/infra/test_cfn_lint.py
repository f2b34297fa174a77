"""cfn-lint passes on every synthesized template, with the repo's .cfnlintrc.yaml."""

from __future__ import annotations

from stacks.tools.synth_summary import run_cfn_lint, summarize
from tests.infra.conftest import Synthesized


def test_cfn_lint_reports_nothing(synthesized: Synthesized):
    assert run_cfn_lint(synthesized.stacks) == []


def test_synth_summary_counts_match_the_templates(synthesized: Synthesized):
    text, ok = summarize(synthesized.outdir)
    assert ok
    total = sum(len(s.template["Resources"]) for s in synthesized.stacks)
    assert f"3 stages, {len(synthesized.stacks)} stacks, {total} resources" in text
    for stack in synthesized.stacks:
        row = next(line for line in text.splitlines() if f" {stack.stack_name} " in line)
        assert row.split()[3] == str(len(stack.template["Resources"]))
        assert row.split()[-1] == ("yes" if stack.stage == "prod" else "no")
