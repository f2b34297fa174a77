"""Small CloudFormation stacks created in moto, with tools.developer.moto_models installed."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from tests.support.aws import ACCOUNT, REGION, client
from tools.developer import moto_models
from tools.developer.moto_models.base import ResourceModel

moto_models.install()


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
