"""Diff mode: two environments' reports line up after the environment name is neutralized."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tools.developer.review.diff import committed, diff_reports, normalize

DEV = """# Template review: dev

## Summary

| Resources | 60 (largest: dev-Network, 36 of 500) |

## Idle cost estimate

**Floor: $0.0128/hour, $9.36/month.**
| dev-Network | Nat | t4g.nano instance |
"""
PROD = DEV.replace("dev", "prod").replace("60 (", "67 (").replace("$9.36", "$111.50").replace("$0.0128", "$0.1527")


def test_normalize_replaces_the_environment_name_only_as_a_word():
    assert normalize("dev-Network dev/Api devices showrunner-dev-viewers", "dev") == (
        "<env>-Network <env>/Api devices showrunner-<env>-viewers"
    )


def test_two_environments_differ_only_where_their_figures_differ():
    text, changed = diff_reports(normalize(DEV, "dev"), normalize(PROD, "prod"), "dev", "prod")
    assert changed == 4
    assert text.splitlines()[0] == "dev -> prod: Summary: 2 lines; Idle cost estimate: 2 lines"
    assert "-| Resources | 60 (largest: <env>-Network, 36 of 500) |" in text
    assert "+**Floor: $0.1527/hour, $111.50/month.**" in text
    changed_lines = [line for line in text.splitlines()[1:] if line[:1] in "+-"]
    assert not any("t4g.nano" in line for line in changed_lines), "an unchanged row shows only as context"


def test_identical_reports_have_no_differences():
    text, changed = diff_reports(DEV, DEV, "a", "b")
    assert (text.strip(), changed) == ("a -> b: no differences", 0)


def test_committed_reads_the_last_committed_review(tmp_path: Path):
    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)

    git("init", "-q")
    git("config", "user.email", "review@example.com")
    git("config", "user.name", "review")
    git("config", "commit.gpgsign", "false")  # a developer's global signing setting must not apply here
    report = tmp_path / "docs" / "review" / "dev.md"
    report.parent.mkdir(parents=True)
    report.write_text("committed\n")
    git("add", ".")
    git("commit", "-qm", "review")
    report.write_text("working tree\n")
    assert committed(report, tmp_path) == "committed\n"
    assert committed(tmp_path / "docs" / "review" / "prod.md", tmp_path) is None
