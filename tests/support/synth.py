"""The session synth: ``make synth`` as a user runs it, and readers of the assembly it writes."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stacks.config import EnvironmentConfig
from tools.developer.assembly import StackArtifact

if TYPE_CHECKING:
    from aws_cdk.assertions import Template

ROOT = Path(__file__).resolve().parents[2]


def cdk_context(**extra: Any) -> dict[str, Any]:
    """The context the CDK CLI would pass: cdk.json and cdk.context.json, plus ``extra``.

    For tests that build an app in-process. Bundling is skipped (``aws:cdk:bundling-stacks: []``).
    """
    context: dict[str, Any] = json.loads((ROOT / "cdk.json").read_text())["context"]
    context.update(json.loads((ROOT / "cdk.context.json").read_text()))
    context["aws:cdk:bundling-stacks"] = []
    context["aws:cdk:enable-path-metadata"] = True  # as the CLI does, so tests can find resources by path
    context.update(extra)
    return context


def make(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """``make <args>`` in the repository, as a user runs it: no AWS settings from the test process."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")} | {"PYTHONPATH": str(ROOT)}
    return subprocess.run(
        ["make", "--no-print-directory", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@dataclass(frozen=True)
class MakeSynth:
    """What ``make synth`` printed, and the assembly it wrote."""

    returncode: int
    stdout: str
    stderr: str
    outdir: str


@dataclass
class Synthesized:
    outdir: Path
    configs: dict[str, EnvironmentConfig]
    stacks: list[StackArtifact]

    def stack(self, stage: str, name: str) -> StackArtifact:
        matches = [s for s in self.stacks if s.stage == stage and s.display_name == f"{stage}/{name}"]
        assert len(matches) == 1, f"expected one stack {stage}/{name}, found {[s.display_name for s in self.stacks]}"
        return matches[0]

    def template(self, stage: str, name: str) -> Template:
        from aws_cdk.assertions import Template

        return Template.from_json(self.stack(stage, name).template)
