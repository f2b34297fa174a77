"""Each stage deployed into in-process moto, with tools.developer.moto_models installed."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from moto import mock_aws

from tests.support.aws import client
from tests.support.synth import Synthesized
from tools.developer import moto_models
from tools.developer.rehearsal.deployer import Deployer, StackRecord

moto_models.install()


@dataclass
class DeployedStage:
    env: str
    deployer: Deployer
    records: list[StackRecord]

    def record(self, name: str) -> StackRecord:
        return next(r for r in self.records if r.display_name == f"{self.env}/{name}")

    def physical_id(self, stack: str, construct_id: str) -> str:
        """The physical ID of ``<construct_id><8-hex-digit hash>``, as CDK names logical IDs."""
        matches = [
            r.physical_id
            for r in self.record(stack).resources
            if re.fullmatch(re.escape(construct_id) + r"[0-9A-F]{8}", r.logical_id)
        ]
        assert len(matches) == 1, f"{stack}/{construct_id}: {matches}"
        return matches[0]


@pytest.fixture(scope="module", params=["dev", "staging", "prod"])
def deployed(request: pytest.FixtureRequest, synthesized: Synthesized) -> Iterator[DeployedStage]:
    """Each stage deployed once per module, in its own moto."""
    with mock_aws():
        deployer = Deployer.for_stage(synthesized.outdir, request.param, client)
        yield DeployedStage(request.param, deployer, deployer.deploy())
