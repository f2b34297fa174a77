"""Our cfn-lint rules (tools/developer/cfn_rules): each fires on a template that breaks its AWS rule, naming the
resource, and is quiet on the fixed form. ``make synth`` runs them on every template (tests/stacks/test_cfn_lint.py)."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import pytest
from cfnlint.api import lint
from cfnlint.core import get_rules

from stacks.names import PRODUCER_OUTPUTS_PARAMETER
from tests.support.synth import ROOT
from tools.developer.cfn_rules import producer_outputs

RULES = str(ROOT / "tools" / "developer" / "cfn_rules")


@cache
def _rules() -> Any:
    return get_rules([RULES], ignore_rules=[], include_rules=[])


def ours(resources: dict[str, Any], **sections: Any) -> list[tuple[str, str]]:
    """(rule ID, message) of our rules' findings on a template holding ``resources`` (and other ``sections``)."""
    template = json.dumps({"AWSTemplateFormatVersion": "2010-09-09", "Resources": resources, **sections})
    return [
        (m.rule.id, m.message)
        for m in lint(template, rules=_rules(), regions=["us-east-1"])
        if m.rule.id.startswith("E91")
    ]


ROLE = {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {"Statement": []}}}


def _state_machine(job_flow_role: Any) -> dict[str, Any]:
    definition = {
        "Fn::Join": [
            "",
            ['{"StartAt":"Create","States":{"Create":{"Parameters":{"JobFlowRole":"', job_flow_role, '"}}}}'],
        ]
    }
    return {
        "Type": "AWS::StepFunctions::StateMachine",
        "Properties": {"RoleArn": "arn:aws:iam::123456789012:role/x", "DefinitionString": definition},
    }


def _profile(name: Any) -> dict[str, Any]:
    return {
        "Type": "AWS::IAM::InstanceProfile",
        "Properties": {"InstanceProfileName": name, "Roles": [{"Ref": "Role"}]},
    }


def test_e9101_a_job_flow_role_without_its_instance_profile():
    broken = ours({"Role": ROLE, "Machine": _state_machine({"Ref": "Role"})})
    assert [rule for rule, _ in broken] == ["E9101"]
    assert broken[0][1].startswith(
        "Machine: JobFlowRole {'Ref': 'Role'} is not the name of an AWS::IAM::InstanceProfile"
    )
    misnamed = {"Role": ROLE, "Profile": _profile("other-name"), "Machine": _state_machine({"Ref": "Role"})}
    assert [rule for rule, _ in ours(misnamed)] == ["E9101"]
    fixed = {"Role": ROLE, "Profile": _profile({"Ref": "Role"}), "Machine": _state_machine({"Ref": "Role"})}
    assert ours(fixed) == []
    cluster = {"Type": "AWS::EMR::Cluster", "Properties": {"JobFlowRole": "EMR_EC2_DefaultRole"}}
    assert [rule for rule, _ in ours({"Cluster": cluster})] == ["E9101"]


@pytest.mark.parametrize(
    ("kind", "name_property", "fixed_name"),
    [
        ("AWS::Kinesis::Stream", "Name", "prod-player-events"),
        ("AWS::Logs::LogGroup", "LogGroupName", "aws-waf-logs-showrunner-prod"),
        ("AWS::S3::Bucket", "BucketName", {"Fn::Join": ["-", ["showrunner-prod-replica", {"Ref": "AWS::AccountId"}]]}),
        ("AWS::SecretsManager::Secret", "Name", "prod/signing-key"),
    ],
)
def test_e9102_a_retained_resource_with_a_fixed_name(kind: str, name_property: str, fixed_name: Any):
    resource = {"Type": kind, "DeletionPolicy": "Retain", "Properties": {name_property: fixed_name}}
    ((rule, message),) = ours({"Kept": resource})
    assert rule == "E9102"
    assert message.startswith(f"Kept ({kind}) is retained after its stack is deleted, and its {name_property}")
    unique = {"Fn::Join": ["-", ["prod", {"Fn::Select": [2, {"Fn::Split": ["/", {"Ref": "AWS::StackId"}]}]}]]}
    assert ours({"Kept": {**resource, "Properties": {name_property: unique}}}) == []
    assert ours({"Kept": {**resource, "Properties": {}}}) == []  # CloudFormation names it
    assert ours({"Kept": {**resource, "DeletionPolicy": "Delete"}}) == []  # gone with its stack


def test_e9102_a_name_taken_from_another_resource_is_not_fixed():
    bucket = {"Type": "AWS::S3::Bucket", "DeletionPolicy": "Retain"}
    policy = {
        "Type": "AWS::S3::BucketPolicy",
        "DeletionPolicy": "Retain",
        "Properties": {"Bucket": {"Ref": "B"}, "PolicyDocument": {"Statement": []}},
    }
    assert ours({"B": bucket, "P": policy}) == []


def _function(**extra: Any) -> dict[str, Any]:
    properties = {
        "Role": "arn:aws:iam::123456789012:role/x",
        "Runtime": "python3.12",
        "Handler": "h.h",
        "Code": {"ZipFile": "x"},
    }
    return {"Type": "AWS::Lambda::Function", **extra, "Properties": {**properties, "ReservedConcurrentExecutions": 1}}


def test_e9103_reserved_concurrency_must_name_its_setting():
    ((rule, message),) = ours({"Fn": _function()})
    assert (rule, message.split(" reserves")[0]) == ("E9103", "Fn")
    named = _function(
        Metadata={
            "showrunner:settings": {"ReservedConcurrentExecutions": "operations.chaos_monkey.reserved_concurrency"}
        }
    )
    assert ours({"Fn": named}) == []


def _realtime(depends_on: list[str] | None) -> dict[str, Any]:
    config: dict[str, Any] = {
        "Type": "AWS::CloudFront::RealtimeLogConfig",
        "Properties": {
            "Name": "logs",
            "SamplingRate": 5,
            "Fields": ["timestamp"],
            "EndPoints": [
                {
                    "StreamType": "Kinesis",
                    "KinesisStreamConfig": {
                        "RoleArn": {"Fn::GetAtt": ["Role", "Arn"]},
                        "StreamARN": "arn:aws:kinesis:us-east-1:123456789012:stream/s",
                    },
                }
            ],
        },
    }
    if depends_on is not None:
        config["DependsOn"] = depends_on
    policy = {
        "Type": "AWS::IAM::Policy",
        "Properties": {"PolicyName": "p", "Roles": [{"Ref": "Role"}], "PolicyDocument": {"Statement": []}},
    }
    return {"Role": ROLE, "RolePolicy": policy, "Config": config}


def test_e9104_a_realtime_log_config_waits_for_its_roles_policy():
    ((rule, message),) = ours(_realtime(None))
    assert rule == "E9104"
    assert message.startswith("Config does not depend on RolePolicy")
    assert [r for r, _ in ours(_realtime(["Role"]))] == ["E9104"]  # the role alone is not enough
    assert ours(_realtime(["RolePolicy"])) == []


def test_e9105_a_reader_of_another_stacks_output_declares_producer_outputs():
    reader = {
        "Type": "AWS::SSM::Parameter",
        "Properties": {
            "Type": "String",
            "Value": {"Fn::GetStackOutput": {"StackName": "dev-EdgeSecurity", "OutputName": "WebAclArn"}},
        },
    }
    ((rule, message),) = ours({"Reader": reader, "Topic": {"Type": "AWS::SNS::Topic"}})
    assert rule == "E9105"
    assert message.startswith(
        "Reader read other stacks' outputs (Fn::GetStackOutput), but the template declares no String parameter "
        "ProducerOutputs"
    )
    parameter = {"ProducerOutputs": {"Type": "String", "Default": "none"}}
    assert ours({"Reader": reader}, Parameters=parameter) == []
    assert ours({"Topic": {"Type": "AWS::SNS::Topic"}}) == []  # reads nothing: nothing to refresh
    assert producer_outputs.PRODUCER_OUTPUTS_PARAMETER == PRODUCER_OUTPUTS_PARAMETER  # what the stacks declare
