"""One-screen summary of ``cdk.out`` after ``make synth``: stages, stacks, resources, cdk-nag and cfn-lint.

Exits non-zero when cdk-nag reported an unacknowledged finding or cfn-lint
reported an error or an unlisted warning (the ignore list, with reasons, is
``.cfnlintrc.yaml``).

cfn-lint's findings for a template depend only on the template's bytes, cfn-lint's version
(its rules and resource schemas), ``.cfnlintrc.yaml`` and our rules (``tools/developer/cfn_rules``),
so they are kept in ``build/cfn-lint/`` under the SHA-256 of all of those: a synth that changed
one stack lints only that stack's templates again, and an unchanged assembly none.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
from collections import Counter
from importlib.metadata import version
from pathlib import Path

from tools.developer.assembly import StackArtifact, load_stacks, validation_failures

RESOURCE_LIMIT = 500
ROOT = Path(__file__).resolve().parents[2]


CACHE = ROOT / "build" / "cfn-lint"
CONFIG = ROOT / ".cfnlintrc.yaml"
RULES = ROOT / "tools" / "developer" / "cfn_rules"


def lint_inputs(config: Path = CONFIG, rules: Path = RULES) -> bytes:
    """What, besides a template, decides cfn-lint's findings on it: its version, its settings, our rules."""
    digest = hashlib.sha256(f"cfn-lint {version('cfn-lint')} python {sys.version_info[:2]}\0".encode())
    digest.update(config.read_bytes())
    for rule in sorted(rules.rglob("*.py")):
        digest.update(f"\0{rule.relative_to(rules).as_posix()}\0".encode() + rule.read_bytes())
    return digest.digest()


def run_cfn_lint(
    stacks: list[StackArtifact], *, cache: Path | None = CACHE, inputs: bytes | None = None
) -> list[dict[str, object]]:
    """cfn-lint every template (settings from .cfnlintrc.yaml); returns its JSON findings.

    A template whose findings ``cache`` holds for the same ``inputs`` (``lint_inputs()``) is not
    linted again. The others are split across one cfn-lint process per CPU: each template is
    linted on its own, so the split changes nothing but the time.
    """
    templates = [str(s.template_path) for s in stacks]
    findings: dict[str, list[dict[str, object]]] = {}
    stored: dict[str, Path] = {}
    if cache is not None:
        digest = inputs if inputs is not None else lint_inputs()
        for template in templates:
            stored[template] = cache / f"{hashlib.sha256(digest + Path(template).read_bytes()).hexdigest()}.json"
            if stored[template].is_file():
                findings[template] = [{**f, "Filename": template} for f in json.loads(stored[template].read_text())]
    fresh = _lint([t for t in templates if t not in findings])
    findings.update(fresh)
    for template in fresh.keys() & stored.keys():
        stored[template].parent.mkdir(parents=True, exist_ok=True)
        partial = stored[template].with_name(f".{stored[template].name}.{os.getpid()}")
        partial.write_text(json.dumps(fresh[template]))
        partial.replace(stored[template])
    return [finding for template in templates for finding in findings[template]]


def _lint(templates: list[str]) -> dict[str, list[dict[str, object]]]:
    """cfn-lint's findings on each of ``templates`` (an empty list for a clean one)."""
    if not templates:
        return {}
    workers = max(1, min(os.cpu_count() or 1, len(templates)))
    command = [str(Path(sys.executable).with_name("cfn-lint")), "--format", "json", "--"]
    processes = [
        subprocess.Popen(  # noqa: S603 - fixed argv, our own templates
            [*command, *templates[index::workers]],
            cwd=ROOT,  # .cfnlintrc.yaml and the rules it appends (tools/developer/cfn_rules) are found from here
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for index in range(workers)
    ]
    findings: dict[str, list[dict[str, object]]] = {template: [] for template in templates}
    for process in processes:
        stdout, stderr = process.communicate()
        if process.returncode & 1:  # exit codes are a bitmask of error=2, warning=4, info=8; 1 means it crashed
            raise SystemExit(f"cfn-lint failed to run (exit {process.returncode}): {stderr.strip()}")
        for finding in json.loads(stdout) if stdout.strip() else []:
            findings[str(finding["Filename"])].append(finding)
    return findings


def summarize(outdir: Path) -> tuple[str, bool]:
    stacks = load_stacks(outdir)
    if not stacks:
        return f"no stacks found in {outdir}; run 'make synth' first", False
    unacknowledged = validation_failures(outdir)
    lint = run_cfn_lint(stacks)
    levels = Counter(str(f.get("Level", "")).lower() for f in lint)

    lines = []
    stages = sorted({s.stage for s in stacks}, key=[s.stage for s in stacks].index)
    total = sum(len(s.resources) for s in stacks)
    lines.append(f"Showrunner synth ({outdir}): {len(stages)} stages, {len(stacks)} stacks, {total} resources")
    lines.append("")
    header = f"{'stage':<9}{'stack':<22}{'region':<12}{'resources':>10}{'  of 500':<9}{'nag acks':>9}  protected"
    lines.append(header)
    lines.append("-" * len(header))
    acks = 0
    for stack in stacks:
        count = len(stack.resources)
        stack_acks = len(stack.nag_acknowledgments())
        acks += stack_acks
        share = f"  {100 * count // RESOURCE_LIMIT}%"
        protected = "yes" if stack.termination_protection else "no"
        lines.append(
            f"{stack.stage:<9}{stack.stack_name:<22}{stack.region:<12}{count:>10}{share:<9}{stack_acks:>9}  {protected}"
        )
    lines.append("")
    lines.append(
        f"cdk-nag AwsSolutions: {unacknowledged} unacknowledged findings, {acks} acknowledged "
        "(reasons beside each stack; stacks/compliance.py)"
    )
    lines.append(
        f"cfn-lint: {levels.get('error', 0)} errors, {levels.get('warning', 0)} warnings, "
        f"{levels.get('informational', 0)} informational (ignored checks and reasons: .cfnlintrc.yaml)"
    )
    for finding in lint:
        rule = finding.get("Rule", {})
        rule_id = rule.get("Id", "?") if isinstance(rule, dict) else "?"
        lines.append(f"  {finding.get('Level')} {rule_id} {finding.get('Filename')}: {finding.get('Message')}")
    ok = unacknowledged == 0 and not lint
    lines.append("")
    lines.append("result: OK" if ok else "result: FAILED")
    return "\n".join(lines), ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--outdir", type=Path, default=Path("cdk.out"))
    args = parser.parse_args(argv)
    text, ok = summarize(args.outdir)
    print(text)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
