"""Every cdk-nag acknowledgment in the project, each with its reason.

An acknowledgment names a construct path pattern (``fnmatch`` syntax,
matched against the full construct path such as ``dev/Storage/LogsBucket/Resource``)
and one rule ID. ``acknowledge_findings`` applies them all and fails if an
acknowledgment matches no construct, so stale entries cannot pile up here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from fnmatch import fnmatchcase

from aws_cdk import Acknowledgment, App, Validations
from constructs import IConstruct

from stacks.config import DEFAULTS, ENVIRONMENT_NAMES


@dataclass(frozen=True)
class Ack:
    path: str
    rule: str
    reason: str


_PINNED_AZS = (
    "Availability zones are pinned in configuration (availability_zones) on purpose: synth stays "
    "offline with no AZ lookup, and every environment's subnet layout is reviewable in the template."
)


def _storage_output(env: str, output: str, suffix: str) -> str:
    """How cdk-nag names a wildcard under a Storage bucket ARN read through a weak cross-stack reference."""
    reference = {
        "Fn::GetStackOutput": {"StackName": f"{env}-Storage", "Region": DEFAULTS[env]["region"], "OutputName": output}
    }
    return f"Resource::{json.dumps(reference, separators=(',', ':'))}/{suffix}"


_DATA_LAKE_ARN = "PublishOutputFnGetAttDataLakeBucket0256EA8EArn8D77EE2E"
_LOGS_ARN = "PublishOutputFnGetAttLogsBucket9C4D8843ArnEA733603"


def _analytics_acknowledgments() -> tuple[Ack, ...]:
    """The Analytics stack's granular IAM findings, per environment (their IDs name the environment's buckets)."""
    acks: list[Ack] = []
    for env in ENVIRONMENT_NAMES:
        for delivery in ("EventsToLake", "CdnLogsToLake"):
            path = f"{env}/Analytics/{delivery}/DeliveryStream/S3 Destination Role/DefaultPolicy/Resource"
            for finding in (
                "Action::s3:GetObject*",
                "Action::s3:GetBucket*",
                "Action::s3:List*",
                "Action::s3:DeleteObject*",
                "Action::s3:Abort*",
                "Action::kms:GenerateDataKey*",
                "Action::kms:ReEncrypt*",
                _storage_output(env, _DATA_LAKE_ARN, "*"),
            ):
                acks.append(
                    Ack(
                        path,
                        f"AwsSolutions-IAM5[{finding}]",
                        "aws-cdk-lib's Firehose S3 destination grants its role read/write on the data-lake "
                        "bucket's objects and the data-lake key: the permissions Firehose documents for S3 "
                        "delivery (multipart uploads, error output). Only Firehose can assume the role.",
                    )
                )
        for prefix, output in (
            ("events/*", _DATA_LAKE_ARN),
            ("trending/*", _DATA_LAKE_ARN),
            ("recommendations/*", _DATA_LAKE_ARN),
            ("emr/*", _LOGS_ARN),
        ):
            acks.append(
                Ack(
                    f"{env}/Analytics/NightlySpark/InstanceRole/DefaultPolicy/Resource",
                    f"AwsSolutions-IAM5[{_storage_output(env, output, prefix)}]",
                    "The objects under one prefix the nightly Spark jobs use: they read events/, write "
                    "trending/ and recommendations/ (data lake), and EMR writes its logs under emr/ (logs bucket).",
                )
            )
    return (
        *acks,
        Ack(
            "*/Analytics/NightlySpark/ServiceRole/Resource",
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonEMRServicePolicy_v2]",
            "AmazonEMRServicePolicy_v2 is AWS's scoped EMR service policy: it acts only on resources tagged "
            "for-use-with-amazon-emr-managed-policies=true (our private subnets, EMR security groups and "
            "clusters); a hand-written copy would have to track EMR's needs as they change.",
        ),
        *(
            Ack(
                "*/Analytics/NightlySpark/StateMachine/Role/DefaultPolicy/Resource",
                f"AwsSolutions-IAM5[{finding}]",
                reason,
            )
            for finding, reason in (
                (
                    "Resource::*",
                    "elasticmapreduce:RunJobFlow has no resource-level permissions (aws-cdk-lib's EMR task).",
                ),
                (
                    "Resource::arn:aws:elasticmapreduce:us-east-1:<AWS::AccountId>:cluster/*",
                    "The nightly cluster's ID exists only at run time, so adding steps to and terminating it "
                    "cannot name one cluster ARN (aws-cdk-lib's EMR tasks).",
                ),
                (
                    "Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:role/aws-service-role/"
                    "elasticmapreduce.amazonaws.com*/AWSServiceRoleForEMRCleanup*",
                    "aws-cdk-lib's EMR task may create EMR's cleanup service-linked role, whose path AWS names.",
                ),
            )
        ),
    )


ACKNOWLEDGMENTS: tuple[Ack, ...] = (
    Ack("*/Network/Vpc/*Subnet*/Subnet", "CloudFormation-Validate::W3010", _PINNED_AZS),
    Ack("*/Network/Vpc/publicSubnet*/NatInstance/Resource", "CloudFormation-Validate::W3010", _PINNED_AZS),
    Ack(
        "*/Api/Viewers/Resource",
        "AwsSolutions-COG2",
        "Viewers sign in on TVs, consoles and phones, so MFA is offered (TOTP) rather than required; "
        "the pool's Plus-plan threat protection (FULL_FUNCTION) demands MFA on risky sign-ins and "
        "blocks compromised credentials.",
    ),
    Ack(
        "*/Analytics/*ToLake/DeliveryStream/Resource",
        "AwsSolutions-KDF1",
        "Firehose refuses delivery-stream encryption when its source is a Kinesis stream; the records are "
        "encrypted in the source stream (aws/kinesis key) and in S3 (SSE-KMS with the data-lake key).",
    ),
    *_analytics_acknowledgments(),
    Ack(
        "*/Network/Vpc/publicSubnet*/NatInstance/Resource",
        "AwsSolutions-EC28",
        "Dev's NAT instance (nat.mode=instance) keeps basic 5-minute metrics: detailed monitoring "
        "would add about $2.10/month to a $3/month instance, and nothing autoscales on its metrics.",
    ),
    Ack(
        "*/Network/Vpc/publicSubnet*/NatInstance/Resource",
        "AwsSolutions-EC29",
        "API termination protection on the NAT instance would make CloudFormation unable to delete "
        "it, so 'cdk destroy dev/*' would fail; the instance is stateless and CloudFormation recreates it.",
    ),
)


class StaleAcknowledgmentError(Exception):
    pass


def _walk(root: IConstruct) -> list[IConstruct]:
    return list(root.node.find_all())


def acknowledge_findings(app: App, acknowledgments: tuple[Ack, ...] = ACKNOWLEDGMENTS) -> None:
    constructs = _walk(app)
    for ack in acknowledgments:
        matched = [c for c in constructs if fnmatchcase(c.node.path, ack.path)]
        if not matched:
            raise StaleAcknowledgmentError(f"cdk-nag acknowledgment {ack.rule} matches no construct: {ack.path}")
        for construct in matched:
            Validations.of(construct).acknowledge(Acknowledgment(id=ack.rule, reason=ack.reason))
