"""Deployments into in-process moto, with tools.developer.moto_models installed."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tests.conftest import Synthesized
from tools.developer import moto_models
from tools.developer.moto_models.base import ResourceModel
from tools.developer.rehearsal.deployer import Deployer, StackRecord

moto_models.install()

REGION = "us-east-1"
ACCOUNT = "123456789012"


def client(service: str, region: str = REGION) -> Any:
    return boto3.client(service, region_name=region)  # type: ignore[call-overload]


@pytest.fixture
def aws() -> Iterator[None]:
    with mock_aws():
        yield


@dataclass
class Created:
    """A stack created from a small template: its outputs and the physical ID of each resource."""

    name: str
    outputs: dict[str, str]
    physical: dict[str, str]

    def delete(self, region: str = REGION) -> None:
        client("cloudformation", region).delete_stack(StackName=self.name)
        remaining = [
            s
            for s in client("cloudformation", region).list_stacks()["StackSummaries"]
            if s["StackName"] == self.name and s["StackStatus"] != "DELETE_COMPLETE"
        ]
        assert remaining == [], remaining


def create_stack(
    resources: dict[str, Any],
    outputs: dict[str, Any] | None = None,
    *,
    name: str = "test-stack",
    region: str = REGION,
    parameters: dict[str, Any] | None = None,
) -> Created:
    template: dict[str, Any] = {"Resources": resources}
    if outputs:
        template["Outputs"] = {key: {"Value": value} for key, value in outputs.items()}
    if parameters:
        template["Parameters"] = parameters
    cfn = client("cloudformation", region)
    cfn.create_stack(StackName=name, TemplateBody=json.dumps(template), Capabilities=["CAPABILITY_IAM"])
    described = cfn.describe_stacks(StackName=name)["Stacks"][0]
    assert described["StackStatus"] == "CREATE_COMPLETE", described
    listed = cfn.describe_stack_resources(StackName=name)["StackResources"]
    return Created(
        name=name,
        outputs={o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])},
        physical={r["LogicalResourceId"]: r["PhysicalResourceId"] for r in listed},
    )


def model_of(stack_name: str, logical_id: str, region: str = REGION) -> ResourceModel:
    """The model instance behind a resource (what a recorded-only resource keeps)."""
    from moto.cloudformation.models import cloudformation_backends

    resource = cloudformation_backends[ACCOUNT][region].get_stack(stack_name).resource_map[logical_id]
    assert isinstance(resource, ResourceModel), resource
    return resource


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
