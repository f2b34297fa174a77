"""IAM summaries: trust, actions grouped by service, resources by logical ID, and flags."""

from __future__ import annotations

from pathlib import Path

import pytest
from aws_cdk import App, Stack, Stage
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3

from tests.support.synth import cdk_context
from tests.tools.developer.review.helpers import resource, write_assembly
from tools.developer.assembly import load_stacks
from tools.developer.review.iam import (
    FLAG_ACTION_WILDCARD,
    FLAG_AWS_MANAGED,
    FLAG_RESOURCE_PATTERN,
    FLAG_RESOURCE_STAR,
    RoleSummary,
    summarize_roles,
)
from tools.developer.review.intrinsics import AssemblyIndex


@pytest.fixture(scope="module")
def probe(tmp_path_factory: pytest.TempPathFactory) -> AssemblyIndex:
    """A real CDK app: a bucket, a role that reads it, and a role that also got a deliberate ``s3:*`` on ``*``."""
    outdir = tmp_path_factory.mktemp("probe")
    app = App(outdir=str(outdir), context=cdk_context())
    stack = Stack(Stage(app, "dev"), "Probe")
    bucket = s3.Bucket(stack, "Media")
    for name in ("Reader", "Wild"):
        role = iam.Role(stack, name, assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
        bucket.grant_read(role)
    role.add_to_policy(iam.PolicyStatement(actions=["s3:*"], resources=["*"]))
    app.synth()
    return AssemblyIndex(load_stacks(outdir))


def _role(index: AssemblyIndex, name: str) -> RoleSummary:
    (role,) = [r for r in summarize_roles(index, "dev-Probe") if r.path == f"dev/Probe/{name}/Resource"]
    return role


def test_a_deliberately_added_wildcard_policy_is_flagged(probe: AssemblyIndex):
    role = _role(probe, "Wild")
    assert FLAG_ACTION_WILDCARD in role.flags
    assert FLAG_RESOURCE_STAR in role.flags
    wild = [p for p in role.permissions if p.resources == ("*",)]
    assert [(p.service, p.actions) for p in wild] == [("s3", ("*",))]
    assert FLAG_RESOURCE_STAR not in _role(probe, "Reader").flags


def test_a_scoped_read_grant_is_named_by_logical_id(probe: AssemblyIndex):
    role = _role(probe, "Reader")
    template = probe.stacks["dev-Probe"].template
    (bucket_id,) = [k for k, v in template["Resources"].items() if v["Type"] == "AWS::S3::Bucket"]
    (s3_read,) = [p for p in role.permissions if p.service == "s3"]
    assert s3_read.effect == "Allow"
    assert set(s3_read.actions) >= {"GetObject*", "GetBucket*", "List*"}
    assert s3_read.resources == (f"${{{bucket_id}.Arn}}", f"${{{bucket_id}.Arn}}/*")
    assert role.flags == [FLAG_ACTION_WILDCARD, FLAG_RESOURCE_PATTERN]  # GetObject* and objects/* are patterns
    assert role.trust == ["Service: lambda.amazonaws.com (sts:AssumeRole)"]


def test_managed_policies_conditions_and_policies_in_other_stacks(tmp_path: Path):
    role = resource(
        "AWS::IAM::Role",
        AssumeRolePolicyDocument={
            "Statement": [
                {
                    "Action": "sts:AssumeRole",
                    "Effect": "Allow",
                    "Principal": {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}},
                    "Condition": {"StringEquals": {"sts:ExternalId": "showrunner"}},
                }
            ]
        },
        ManagedPolicyArns=[{"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/ReadOnlyAccess"}],
    )
    producer = {
        "Resources": {"Ops": role},
        "Outputs": {"OpsName": {"Value": {"Ref": "Ops"}}},
    }
    consumer = {
        "Resources": {
            "Queue": resource("AWS::SQS::Queue"),
            "OpsPolicy": resource(
                "AWS::IAM::Policy",
                PolicyName="ops",
                Roles=[{"Fn::GetStackOutput": {"StackName": "dev-Core", "OutputName": "OpsName"}}],
                PolicyDocument={
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": ["sqs:SendMessage", "kms:Decrypt"],
                            "Resource": {"Fn::GetAtt": ["Queue", "Arn"]},
                        },
                        {"Effect": "Deny", "Action": "sqs:*", "Resource": "*"},
                    ]
                },
            ),
        }
    }
    index = AssemblyIndex(write_assembly(tmp_path, {"dev-Core": producer, "dev-Jobs": consumer}))
    (summary,) = summarize_roles(index, "dev-Core")
    assert summary.trust == [
        "AWS: arn:${AWS::Partition}:iam::${AWS::AccountId}:root "
        "(sts:AssumeRole; if StringEquals sts:ExternalId = showrunner)"
    ]
    assert summary.managed_policies == ["AWS managed: ReadOnlyAccess"]
    rows = [(p.effect, p.service, p.actions, p.resources, p.source, p.flags) for p in summary.permissions]
    assert rows == [
        ("Allow", "kms", ("Decrypt",), ("${Queue.Arn}",), "policy dev-Jobs/OpsPolicy", ()),
        ("Allow", "sqs", ("SendMessage",), ("${Queue.Arn}",), "policy dev-Jobs/OpsPolicy", ()),
        ("Deny", "sqs", ("*",), ("*",), "policy dev-Jobs/OpsPolicy", ()),
    ]
    assert summary.flags == [FLAG_AWS_MANAGED]  # a broad Deny is not a risk
