"""Findings of the three checkers: cdk-nag (and CDK's own validations), cfn-lint and checkov.

A finding is *reviewed* when it carries a reason in the repository (an
acknowledgment or skip beside its stack (``stacks/compliance.py``), an ignored check in
``.cfnlintrc.yaml``); everything else is an unreviewed failure, and the
target is zero.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from tools.developer.assembly import StackArtifact, Violation, validation_violations
from tools.developer.synth_summary import run_cfn_lint

ROOT = Path(__file__).resolve().parents[3]
CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"
NAG_PREFIX = "AwsSolutions-"


@dataclass(frozen=True)
class Acknowledged:
    stack: str
    path: str
    rule: str
    reason: str


@dataclass(frozen=True)
class LintFinding:
    stack: str
    level: str
    rule: str
    message: str
    location: str


@dataclass(frozen=True)
class CheckovFinding:
    stack: str
    logical_id: str
    path: str
    check_id: str
    check_name: str
    reason: str  # the skip's comment; empty for a failure


@dataclass
class CheckovResult:
    ran: bool
    version: str = ""
    passed: Counter[str] = field(default_factory=Counter)  # stack name -> passed checks
    failed: list[CheckovFinding] = field(default_factory=list)
    skipped: list[CheckovFinding] = field(default_factory=list)
    error: str = ""


@dataclass
class Findings:
    nag_acknowledged: list[Acknowledged]
    validation_acknowledged: list[Acknowledged]  # CDK's built-in template validations (cfn-lint rules)
    unacknowledged: list[Violation]
    lint: list[LintFinding]
    checkov: CheckovResult

    @property
    def unreviewed(self) -> int:
        checkov_failures = len(self.checkov.failed) if self.checkov.ran else 0
        return len(self.unacknowledged) + len(self.lint) + checkov_failures


def acknowledgments(stacks: list[StackArtifact]) -> tuple[list[Acknowledged], list[Acknowledged]]:
    """(cdk-nag acknowledgments, acknowledgments of CDK's own validations) recorded in the assembly."""
    nag: list[Acknowledged] = []
    validation: list[Acknowledged] = []
    for stack in stacks:
        for path, rule, reason in stack.acknowledged_rules():
            entry = Acknowledged(stack.stack_name, path.lstrip("/"), rule, reason)
            (nag if rule.startswith(NAG_PREFIX) else validation).append(entry)
    return nag, validation


def lint_findings(stacks: list[StackArtifact]) -> list[LintFinding]:
    by_template = {stack.template_path.resolve(): stack.stack_name for stack in stacks}
    found = []
    for finding in run_cfn_lint(stacks):
        rule = finding.get("Rule", {})
        location = finding.get("Location", {})
        path = location.get("Path", []) if isinstance(location, dict) else []
        found.append(
            LintFinding(
                stack=by_template.get(Path(str(finding.get("Filename"))).resolve(), str(finding.get("Filename"))),
                level=str(finding.get("Level")),
                rule=str(rule.get("Id", "?")) if isinstance(rule, dict) else "?",
                message=str(finding.get("Message")),
                location="/".join(str(p) for p in path) if isinstance(path, list) else "",
            )
        )
    return found


def run_checkov(stacks: list[StackArtifact], checkov: Path = CHECKOV) -> CheckovResult:
    """checkov's CloudFormation checks on the stacks' templates, offline."""
    if not stacks:
        return CheckovResult(ran=True)
    if not checkov.exists():
        return CheckovResult(ran=False, error=f"{checkov} is missing; run 'make setup'")
    completed = subprocess.run(  # noqa: S603 - fixed argv, our own templates
        [
            str(checkov),
            "--framework",
            "cloudformation",
            "--output",
            "json",
            "--skip-download",  # offline: no guideline or policy download
            "--file",
            *(str(s.template_path) for s in stacks),
        ],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "BC_SKIP_MAPPING": "TRUE"},  # no guideline-mapping download either
    )
    if completed.returncode not in (0, 1):
        return CheckovResult(
            ran=False, error=f"checkov exited {completed.returncode}: {completed.stderr.strip()[-500:]}"
        )
    report = json.loads(completed.stdout)
    reports = report if isinstance(report, list) else [report]
    by_template = {stack.template_path.resolve(): stack for stack in stacks}
    result = CheckovResult(ran=True)
    for section in reports:
        result.version = section.get("summary", {}).get("checkov_version", result.version)
        results = section.get("results", {})
        for check in results.get("passed_checks", []):
            stack = by_template.get(Path(check["file_abs_path"]).resolve())
            result.passed[stack.stack_name if stack else str(check["file_abs_path"])] += 1
        for kind, target in (("failed_checks", result.failed), ("skipped_checks", result.skipped)):
            for check in results.get(kind, []):
                stack = by_template.get(Path(check["file_abs_path"]).resolve())
                logical_id = str(check["resource"]).split(".", 1)[-1]
                resource = stack.resources.get(logical_id, {}) if stack else {}
                target.append(
                    CheckovFinding(
                        stack=stack.stack_name if stack else str(check["file_abs_path"]),
                        logical_id=logical_id,
                        path=resource.get("Metadata", {}).get("aws:cdk:path", logical_id),
                        check_id=str(check["check_id"]),
                        check_name=str(check["check_name"]),
                        reason=str((check.get("check_result") or {}).get("suppress_comment") or ""),
                    )
                )
    for findings in (result.failed, result.skipped):
        findings.sort(key=lambda f: (f.stack, f.path, f.check_id))
    return result


def collect(stacks: list[StackArtifact], outdir: Path, checkov: CheckovResult) -> Findings:
    stages = {stack.stage for stack in stacks}
    nag, validation = acknowledgments(stacks)
    return Findings(
        nag_acknowledged=nag,
        validation_acknowledged=validation,
        unacknowledged=[v for v in validation_violations(outdir) if v.construct_path.split("/", 1)[0] in stages],
        lint=lint_findings(stacks),
        checkov=checkov,
    )
