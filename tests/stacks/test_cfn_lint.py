"""cfn-lint passes on every synthesized template, with the repo's .cfnlintrc.yaml, and the summary says so."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from tests.support.synth import MakeSynth, Synthesized
from tools.developer.synth_summary import run_cfn_lint


def test_make_synth_lints_every_template_and_finds_nothing(make_synth: MakeSynth):
    lines = make_synth.stdout.splitlines()
    (lint,) = [line for line in lines if line.startswith("cfn-lint: ")]
    assert lint.startswith("cfn-lint: 0 errors, 0 warnings, 0 informational")
    assert lines[lines.index(lint) + 1] == ""  # no finding listed under it
    assert lines[-1] == "result: OK"


def test_synth_summary_counts_match_the_templates(make_synth: MakeSynth, synthesized: Synthesized):
    text = make_synth.stdout
    total = sum(len(s.template["Resources"]) for s in synthesized.stacks)
    assert f"3 stages, {len(synthesized.stacks)} stacks, {total} resources" in text
    for stack in synthesized.stacks:
        row = next(line for line in text.splitlines() if f" {stack.stack_name} " in line)
        assert row.split()[3] == str(len(stack.template["Resources"]))
        assert row.split()[-1] == ("yes" if stack.stage == "prod" else "no")


def test_cfn_lint_reports_a_broken_template_by_file(synthesized: Synthesized, tmp_path: Path):
    """The lint can fail: one template per stage, one of them with a property CloudFormation does not have."""
    stacks = [synthesized.stack(env, "Alerts") for env in ("dev", "staging", "prod")]
    copies = []
    for stack in stacks:
        directory = tmp_path / stack.stage
        directory.mkdir()
        template = json.loads(stack.template_path.read_text())
        if stack.stage == "staging":
            topic = next(r for r in template["Resources"].values() if r["Type"] == "AWS::SNS::Topic")
            topic["Properties"]["DisplayNmae"] = "typo"
        (directory / stack.template_file).write_text(json.dumps(template))
        copies.append(dataclasses.replace(stack, directory=directory))
    findings: list[dict[str, Any]] = run_cfn_lint(copies)
    assert [(f["Rule"]["Id"], Path(f["Filename"]).parent.name) for f in findings] == [("E3002", "staging")]
    assert "DisplayNmae" in str(findings[0]["Message"])
