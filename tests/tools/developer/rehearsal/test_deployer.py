"""The deployer's own steps: order, bootstrap checks, asset publishing, verification."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from tests.support.aws import client
from tests.support.synth import Synthesized
from tools.developer.assembly import StackArtifact
from tools.developer.moto_models import Emulation
from tools.developer.rehearsal.deployer import (
    BOOTSTRAP_VERSION_PARAMETER,
    Deployer,
    DeployError,
    dependency_order,
)


def _artifact(artifact_id: str, *dependencies: str, resources: dict[str, Any] | None = None) -> StackArtifact:
    stack = StackArtifact(
        stage="dev",
        artifact_id=artifact_id,
        stack_name=f"dev-{artifact_id}",
        display_name=f"dev/{artifact_id}",
        region="us-east-1",
        termination_protection=False,
        directory=Path("."),
        template_file=f"{artifact_id}.template.json",
        dependencies=dependencies,
    )
    stack.__dict__["template"] = {"Resources": resources or {}}  # what cached_property would read
    return stack


def test_stacks_are_ordered_after_their_dependencies():
    ordered = dependency_order(
        [
            _artifact("Network", "Storage"),
            _artifact("Edge", "Network", "Alerts"),
            _artifact("Storage"),
            _artifact("Alerts"),
        ]
    )
    names = [s.artifact_id for s in ordered]
    assert names.index("Storage") < names.index("Network") < names.index("Edge")
    assert names.index("Alerts") < names.index("Edge")
    assert sorted(names) == ["Alerts", "Edge", "Network", "Storage"]


def test_a_dependency_cycle_is_an_error_naming_it():
    with pytest.raises(DeployError, match="cycle: A -> B -> A"):
        dependency_order([_artifact("A", "B"), _artifact("B", "A")])


def test_a_dependency_outside_the_stage_is_an_error():
    with pytest.raises(DeployError, match="A depends on Elsewhere"):
        dependency_order([_artifact("A", "Elsewhere")])


class _FakeCfn:
    def __init__(self, listed: list[dict[str, str]]) -> None:
        self.listed = listed

    def get_paginator(self, name: str) -> Any:
        listed = self.listed

        class _Pages:
            def paginate(self, **_: Any) -> list[dict[str, Any]]:
                return [{"StackResourceSummaries": listed}]

        return _Pages()


def test_verify_fails_naming_every_resource_that_was_not_created():
    stack = _artifact(
        "Storage",
        resources={
            "Bucket": {"Type": "AWS::S3::Bucket"},
            "Policy": {"Type": "AWS::S3::BucketPolicy"},
            "Topic": {"Type": "AWS::SNS::Topic"},
            "Optional": {"Type": "AWS::SNS::Topic", "Condition": "IsProd"},
        },
    )
    listed = [
        {"LogicalResourceId": "Bucket", "ResourceType": "AWS::S3::Bucket", "PhysicalResourceId": "b-1"},
        {"LogicalResourceId": "Topic", "ResourceType": "AWS::SNS::Topic", "PhysicalResourceId": ""},
    ]
    deployer = Deployer([stack], lambda service, region: _FakeCfn(listed))
    levels = dict.fromkeys(stack.resources, Emulation.NATIVE)
    with pytest.raises(DeployError) as raised:
        deployer.verify(stack, levels)
    message = str(raised.value)
    assert "Policy (AWS::S3::BucketPolicy) was not created" in message
    assert "Topic (AWS::SNS::Topic) is listed as 'AWS::SNS::Topic' with physical ID ''" in message
    assert "Optional" not in message  # its condition decides; CloudFormation may skip it too


@pytest.mark.usefixtures("aws")
def test_assets_and_templates_are_published_to_the_bootstrap_bucket(synthesized: Synthesized):
    deployer = Deployer.for_stage(synthesized.outdir, "dev", client)
    deployer.bootstrap()
    storage = synthesized.stack("dev", "Storage")
    assert deployer.publish_assets(storage) == 2  # the auto-delete provider's code and the template
    bucket = deployer.assets_bucket("us-east-1")
    manifest = json.loads((storage.directory / f"{storage.artifact_id}.assets.json").read_text())
    s3 = client("s3")
    for asset in manifest["files"].values():
        [destination] = asset["destinations"].values()
        body = s3.get_object(Bucket=bucket, Key=destination["objectKey"])["Body"].read()
        source = storage.directory / asset["source"]["path"]
        if asset["source"]["packaging"] == "zip":
            names = zipfile.ZipFile(io.BytesIO(body)).namelist()
            assert sorted(names) == sorted(str(p.relative_to(source)) for p in source.rglob("*") if p.is_file())
        else:
            assert body == source.read_bytes()
    assert deployer.template_url(storage) == (
        f"https://s3.us-east-1.amazonaws.com/{bucket}/{storage.template_object_url.rsplit('/', 1)[-1]}"
    )


@pytest.mark.usefixtures("aws")
def test_a_stack_needing_a_newer_bootstrap_is_refused(synthesized: Synthesized):
    deployer = Deployer.for_stage(synthesized.outdir, "dev", client)
    deployer.bootstrap()
    client("ssm").put_parameter(Name=BOOTSTRAP_VERSION_PARAMETER, Value="5", Type="String", Overwrite=True)
    alerts = synthesized.stack("dev", "Alerts")
    with pytest.raises(DeployError, match="needs bootstrap version 6"):
        deployer.deploy_stack(replace(alerts))
    assert client("cloudformation").list_stacks()["StackSummaries"] == []


def test_an_unknown_stage_is_an_error(synthesized: Synthesized):
    with pytest.raises(DeployError, match="no stacks for stage 'qa'"):
        Deployer.for_stage(synthesized.outdir, "qa", client)
