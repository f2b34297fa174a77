"""Shared test set-up: no test may reach real AWS."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from xdist.scheduler import LoadScopeScheduling

from stacks.config import EnvironmentConfig, load_config
from tools.developer.assembly import StackArtifact, load_stacks

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


def _shared_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory every xdist worker of this run sees (the session's own temp directory without xdist)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.fixture(scope="session")
def make_synth(tmp_path_factory: pytest.TempPathFactory) -> MakeSynth:
    """``make synth`` (the README's command: CLI synth of every stage, cdk-nag, cfn-lint), run once per test run.

    Every template assertion, every deployment into moto and every command-line test reads this one
    assembly; the first xdist worker to get here synthesizes it while the others wait.
    """
    shared = _shared_dir(tmp_path_factory)
    result = shared / "make-synth.json"
    with (shared / "make-synth.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not result.exists():
            outdir = shared / "cdk.out"
            completed = make("synth", f"CDK_OUT={outdir}")
            run = MakeSynth(completed.returncode, completed.stdout, completed.stderr, str(outdir))
            result.write_text(json.dumps(asdict(run)))
    return MakeSynth(**json.loads(result.read_text()))


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
def synthesized(make_synth: MakeSynth) -> Synthesized:
    """The assembly ``make synth`` wrote: every stage, bundled, checked by cdk-nag and cfn-lint."""
    assert make_synth.returncode == 0, make_synth.stdout + make_synth.stderr[-5000:]
    outdir = Path(make_synth.outdir)
    return Synthesized(outdir=outdir, configs=load_config(), stacks=load_stacks(outdir))


class _SuiteScheduling(LoadScopeScheduling):  # type: ignore[misc]
    """``--dist loadscope`` (a module's tests on one worker, so its module fixtures run once), with the
    e2e suite kept together: its session fixtures make the sample title and deploy a stage into moto."""

    def _split_scope(self, nodeid: str) -> str:
        if nodeid.startswith("tests/e2e/"):
            return "tests/e2e"
        scope: str = super()._split_scope(nodeid)
        return scope


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> LoadScopeScheduling | None:
    return _SuiteScheduling(config, log) if config.getoption("dist") == "loadscope" else None
