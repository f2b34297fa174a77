"""cfn-lint passes on every synthesized template, with the repo's .cfnlintrc.yaml, and the summary says so."""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.support.synth import MakeSynth, Synthesized
from tools.developer.assembly import StackArtifact
from tools.developer.synth_summary import CONFIG, RULES, lint_inputs, run_cfn_lint


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


def _alerts_templates(synthesized: Synthesized, directory: Path, typo_in: str | None) -> list[StackArtifact]:
    """Copies of every stage's Alerts template in ``directory``; ``typo_in``'s topic has a property
    CloudFormation does not have."""
    copies = []
    for stack in [synthesized.stack(env, "Alerts") for env in ("dev", "staging", "prod")]:
        (directory / stack.stage).mkdir(parents=True, exist_ok=True)
        template = json.loads(stack.template_path.read_text())
        if stack.stage == typo_in:
            topic = next(r for r in template["Resources"].values() if r["Type"] == "AWS::SNS::Topic")
            topic["Properties"]["DisplayNmae"] = "typo"
        (directory / stack.stage / stack.template_file).write_text(json.dumps(template))
        copies.append(dataclasses.replace(stack, directory=directory / stack.stage))
    return copies


def _findings(findings: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(f["Rule"]["Id"], Path(f["Filename"]).parent.name) for f in findings]


def test_cfn_lint_reports_a_broken_template_by_file(synthesized: Synthesized, tmp_path: Path):
    """The lint can fail: one template per stage, one of them with a property CloudFormation does not have."""
    findings: list[dict[str, Any]] = run_cfn_lint(_alerts_templates(synthesized, tmp_path, "staging"), cache=None)
    assert _findings(findings) == [("E3002", "staging")]
    assert "DisplayNmae" in str(findings[0]["Message"])


def test_an_unchanged_template_is_not_linted_again_and_a_changed_one_is(
    synthesized: Synthesized, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    cache = tmp_path / "cache"
    copies = _alerts_templates(synthesized, tmp_path / "out", "staging")
    assert _findings(run_cfn_lint(copies, cache=cache)) == [("E3002", "staging")]
    assert len(list(cache.glob("*.json"))) == 3

    linted: list[list[str]] = []
    popen = subprocess.Popen

    def recording(command: list[str], **kwargs: Any) -> subprocess.Popen[str]:
        linted.append(command[command.index("--") + 1 :])
        return popen(command, **kwargs)

    monkeypatch.setattr(subprocess, "Popen", recording)
    findings = run_cfn_lint(copies, cache=cache)
    assert (_findings(findings), linted) == ([("E3002", "staging")], [])  # served from the cache, as found
    assert findings[0]["Filename"] == str(copies[1].template_path)

    fixed = _alerts_templates(synthesized, tmp_path / "out", None)  # the typo fixed: only staging changed
    assert run_cfn_lint(fixed, cache=cache) == []
    assert linted == [[str(fixed[1].template_path)]]


def test_the_cache_key_covers_cfn_lint_settings_and_our_rules(tmp_path: Path):
    config = tmp_path / ".cfnlintrc.yaml"
    config.write_bytes(CONFIG.read_bytes())
    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules)
    before = lint_inputs(config, rules)
    assert lint_inputs(CONFIG, RULES) == before  # the repository's own

    config.write_text(config.read_text().replace("  - W3005\n", ""))
    assert lint_inputs(config, rules) != before
    config.write_bytes(CONFIG.read_bytes())
    rule = next(rules.glob("*_*.py"))
    rule.write_text(rule.read_text() + "\n# changed\n")
    assert lint_inputs(config, rules) != before
