"""Shared test set-up: no test may reach real AWS; one ``make synth`` per run; how xdist splits the suite."""

from __future__ import annotations

import fcntl
import functools
import json
import os
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from moto import mock_aws
from xdist.scheduler import LoadScopeScheduling

from stacks.config import ENVIRONMENT_NAMES, load_config
from tests.support.aws import FAKE_ENVIRONMENT
from tests.support.synth import ROOT, MakeSynth, Synthesized, make
from tools.developer.assembly import load_stacks

# jsii runs on the pinned Node 22 from node_modules (make setup), as it does under make.
os.environ["PATH"] = f"{ROOT / 'node_modules' / '.bin'}{os.pathsep}{os.environ.get('PATH', '')}"

# As app.py: no built-in CloudFormation validation in the apps tests build (cfn-lint runs on the assembly).
os.environ["CDK_VALIDATION"] = "false"

# Fake credentials and region for moto and boto3, set before any client exists.
os.environ.update(FAKE_ENVIRONMENT)
# moto's EC2 backend otherwise registers some 1,300 public AMIs (each with a volume and a snapshot) in
# every region it starts: a third of the chaos-monkey suite's time. No test launches one of them.
os.environ["MOTO_EC2_LOAD_DEFAULT_AMIS"] = "false"
os.environ.pop("AWS_PROFILE", None)

# One botocore data loader for every session. moto's mock_aws starts each test with a new default boto3
# session, and a new session reads botocore's endpoint and service models from disk again (JSON
# decoding was a third of the handler suites' time). The loader caches what it has read; the data is the same.
_create_loader = functools.cache(botocore.session.create_loader)
botocore.session.create_loader = _create_loader


@pytest.fixture(params=ENVIRONMENT_NAMES)
def env(request: pytest.FixtureRequest) -> str:
    """Each environment in turn."""
    name: str = request.param
    return name


@pytest.fixture
def aws() -> Iterator[None]:
    """moto for every AWS service, for one test."""
    with mock_aws():
        yield


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


@pytest.fixture(scope="session")
def synthesized(make_synth: MakeSynth) -> Synthesized:
    """The assembly ``make synth`` wrote: every stage, bundled, checked by cdk-nag and cfn-lint."""
    assert make_synth.returncode == 0, make_synth.stdout + make_synth.stderr[-5000:]
    outdir = Path(make_synth.outdir)
    return Synthesized(outdir=outdir, configs=load_config(), stacks=load_stacks(outdir))


# The longest scopes, longest first (`pytest --durations=0`, summed per scope). xdist hands out the scopes
# with the most tests first; a long scope of one test handed out last keeps one worker busy while the other
# idles. The e2e scope starts the run's synth; the Spark jobs' tests need none, so the second worker runs them
# meanwhile.
LONGEST_SCOPES = (
    "tests/e2e",
    "tests/assets/emr/test_recommendations.py",
    "tests/tools/developer/rehearsal/test_rehearsal.py",
    "tests/tools/developer/rehearsal/test_recreate.py",
    "tests/tools/developer/mediaconvert/test_transcoder.py",
    "tests/tools/developer/rehearsal/test_producer_replacement.py",
    "tests/moto/test_stage_topology.py",
    "tests/moto/test_teardown.py",
    "tests/iam/test_least_privilege.py",
    "tests/tools/developer/review/test_app_review.py",
)


class _SuiteScheduling(LoadScopeScheduling):  # type: ignore[misc]
    """``--dist loadscope`` (a module's tests on one worker, so its module fixtures run once), with the
    e2e suite kept together (its session fixtures make the sample title and deploy a stage into moto),
    and the longest scopes handed out first."""

    def _split_scope(self, nodeid: str) -> str:
        if nodeid.startswith("tests/e2e/"):
            return "tests/e2e"
        scope: str = super()._split_scope(nodeid)
        return scope

    def _assign_work_unit(self, node: Any) -> None:
        longest = [scope for scope in LONGEST_SCOPES if scope in self.workqueue]
        if longest:
            self.workqueue.move_to_end(longest[0], last=False)
        super()._assign_work_unit(node)


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> LoadScopeScheduling | None:
    return _SuiteScheduling(config, log) if config.getoption("dist") == "loadscope" else None
