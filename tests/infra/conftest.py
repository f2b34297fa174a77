"""One session-scoped synth of every stage feeds all template assertions."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App
from aws_cdk.assertions import Template

from stacks.app_builder import build_app
from stacks.config import ENVIRONMENT_NAMES, EnvironmentConfig, load_config
from stacks.tools.assembly import StackArtifact, load_stacks

ROOT = Path(__file__).resolve().parents[2]


def cdk_context(**extra: Any) -> dict[str, Any]:
    """The context the CDK CLI would pass: cdk.json and cdk.context.json, plus ``extra``.

    Bundling is skipped (``aws:cdk:bundling-stacks: []``): tests never bundle assets.
    """
    context: dict[str, Any] = json.loads((ROOT / "cdk.json").read_text())["context"]
    context.update(json.loads((ROOT / "cdk.context.json").read_text()))
    context["aws:cdk:bundling-stacks"] = []
    context["aws:cdk:enable-path-metadata"] = True  # as the CLI does, so tests can find resources by path
    context.update(extra)
    return context


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
        return Template.from_json(self.stack(stage, name).template)


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    outdir = tmp_path_factory.mktemp("cdk.out")
    app = App(outdir=str(outdir), context=cdk_context())
    build_app(app)
    app.synth()
    return Synthesized(outdir=outdir, configs=load_config(), stacks=load_stacks(outdir))


@pytest.fixture(params=ENVIRONMENT_NAMES)
def env(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name
