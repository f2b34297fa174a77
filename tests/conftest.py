"""Shared test set-up: no test may reach real AWS."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from stacks.config import EnvironmentConfig, load_config
from stacks.tools.assembly import StackArtifact, load_stacks

if TYPE_CHECKING:
    from aws_cdk.assertions import Template

ROOT = Path(__file__).resolve().parents[1]

# jsii runs on the pinned Node 22 from node_modules (make setup), as it does under make.
os.environ["PATH"] = f"{ROOT / 'node_modules' / '.bin'}{os.pathsep}{os.environ.get('PATH', '')}"

# Fake credentials and region for moto and boto3, set before any client exists.
for _key, _value in {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}.items():
    os.environ[_key] = _value
os.environ.pop("AWS_PROFILE", None)


# One session-scoped synth of every stage feeds all template assertions (tests/infra)
# and every deployment into moto (tests/moto).
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
        from aws_cdk.assertions import Template

        return Template.from_json(self.stack(stage, name).template)


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    from aws_cdk import App

    from stacks.app_builder import build_app

    outdir = tmp_path_factory.mktemp("cdk.out")
    app = App(outdir=str(outdir), context=cdk_context())
    build_app(app)
    app.synth()
    return Synthesized(outdir=outdir, configs=load_config(), stacks=load_stacks(outdir))
