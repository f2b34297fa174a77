"""checkov skips: written into the resources' CloudFormation metadata with their reasons, never stale."""

from __future__ import annotations

import pytest
from aws_cdk import App, Stack, Stage
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Template

from stacks.compliance import Ack, StaleAcknowledgmentError, Target, skip_checkov, walk
from stacks.config import load_config
from tests.support.synth import Synthesized, cdk_context
from tests.support.templates import declared_checkov_skips


def _apply(skips: tuple[Ack, ...]) -> Stack:
    app = App(context=cdk_context())
    stack = Stack(Stage(app, "dev"), "Storage")
    s3.Bucket(stack, "LogsBucket")
    skip_checkov(walk(app), [Target(stack, load_config()["dev"], skips)])
    return stack


def test_skips_on_one_resource_accumulate_in_its_metadata():
    stack = _apply(
        (
            Ack("LogsBucket/Resource", "CKV_AWS_18", "the logs bucket does not log to itself"),
            Ack("Logs*/Resource", "CKV_AWS_21", "versioning is decided elsewhere in this probe"),
        )
    )
    (bucket,) = Template.from_stack(stack).find_resources("AWS::S3::Bucket").values()
    assert bucket["Metadata"]["checkov"] == {
        "skip": [
            {"id": "CKV_AWS_18", "comment": "the logs bucket does not log to itself"},
            {"id": "CKV_AWS_21", "comment": "versioning is decided elsewhere in this probe"},
        ]
    }


def test_a_skip_that_matches_nothing_is_an_error():
    with pytest.raises(StaleAcknowledgmentError, match="NoSuchBucket"):
        _apply((Ack("NoSuchBucket/Resource", "CKV_AWS_18", "left over"),))


def test_a_skip_must_name_a_cloudformation_resource():
    with pytest.raises(TypeError, match="dev/Storage/LogsBucket"):
        _apply((Ack("LogsBucket", "CKV_AWS_18", "the L2 construct, not its resource"),))


def test_every_declared_skip_reaches_a_template(synthesized: Synthesized):
    declared = declared_checkov_skips()
    found = {
        (entry["id"], entry["comment"])
        for stack in synthesized.stacks
        for resource in stack.resources.values()
        for entry in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])
    }
    assert found == {(skip.rule, skip.reason) for skip in declared}
    assert all(len(skip.reason) > 60 for skip in declared), "each skip needs a specific reason"
