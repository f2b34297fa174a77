"""Models for the Ingest and Storage stacks' new types: MediaConvert (recorded only), DynamoDB global tables,
SQS queue policies and S3 EventBridge notifications; each deployed from a small template and read back."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.aws import ACCOUNT, client
from tests.support.moto_stacks import create_stack, model_of
from tools.developer.moto_models import support_level
from tools.developer.moto_models.base import Emulation

pytestmark = pytest.mark.usefixtures("aws")

SETTINGS = {"OutputGroups": [{"Name": "CMAF", "Outputs": []}]}


def test_mediaconvert_queue_and_job_template_are_recorded_with_their_settings():
    created = create_stack(
        {
            "Queue": {"Type": "AWS::MediaConvert::Queue", "Properties": {"Name": "q1", "PricingPlan": "ON_DEMAND"}},
            "Template": {
                "Type": "AWS::MediaConvert::JobTemplate",
                "Properties": {"Name": "t1", "Queue": {"Fn::GetAtt": ["Queue", "Arn"]}, "SettingsJson": SETTINGS},
            },
        },
        outputs={"QueueArn": {"Fn::GetAtt": ["Queue", "Arn"]}, "TemplateName": {"Fn::GetAtt": ["Template", "Name"]}},
    )
    assert created.physical == {"Queue": "q1", "Template": "t1"}
    assert created.outputs == {"QueueArn": f"arn:aws:mediaconvert:us-east-1:{ACCOUNT}:queues/q1", "TemplateName": "t1"}
    template = model_of("test-stack", "Template")
    assert template.properties["SettingsJson"] == SETTINGS
    assert template.properties["Queue"] == f"arn:aws:mediaconvert:us-east-1:{ACCOUNT}:queues/q1"
    assert support_level("AWS::MediaConvert::JobTemplate") is Emulation.RECORDED
    assert support_level("AWS::MediaConvert::Queue") is Emulation.RECORDED
    client("cloudformation").delete_stack(StackName="test-stack")


def _global_table(protected: bool) -> dict[str, Any]:
    return {
        "Key": {"Type": "AWS::KMS::Key", "Properties": {"KeyPolicy": {"Version": "2012-10-17", "Statement": []}}},
        "Table": {
            "Type": "AWS::DynamoDB::GlobalTable",
            "Properties": {
                "AttributeDefinitions": [{"AttributeName": "titleId", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "titleId", "KeyType": "HASH"}],
                "BillingMode": "PAY_PER_REQUEST",
                "SSESpecification": {"SSEEnabled": True, "SSEType": "KMS"},
                "Replicas": [
                    {
                        "Region": "us-east-1",
                        "DeletionProtectionEnabled": protected,
                        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
                        "SSESpecification": {"KMSMasterKeyId": {"Fn::GetAtt": ["Key", "Arn"]}},
                        "Tags": [{"Key": "environment", "Value": "dev"}],
                    }
                ],
            },
        },
    }


def test_a_global_table_is_a_table_with_its_key_recovery_protection_and_tags():
    created = create_stack(_global_table(protected=True), outputs={"Arn": {"Fn::GetAtt": ["Table", "Arn"]}})
    dynamodb = client("dynamodb")
    table = dynamodb.describe_table(TableName=created.physical["Table"])["Table"]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert table["SSEDescription"]["Status"] == "ENABLED"
    assert table["SSEDescription"]["KMSMasterKeyArn"].endswith(created.physical["Key"])
    assert table["DeletionProtectionEnabled"] is True
    assert created.outputs["Arn"] == table["TableArn"]
    backups = dynamodb.describe_continuous_backups(TableName=created.physical["Table"])["ContinuousBackupsDescription"]
    assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"
    tags = dynamodb.list_tags_of_resource(ResourceArn=table["TableArn"])["Tags"]
    assert {"Key": "environment", "Value": "dev"} in tags


def test_an_unprotected_global_table_is_deleted_with_its_stack():
    created = create_stack(_global_table(protected=False))
    client("cloudformation").delete_stack(StackName="test-stack")
    assert created.physical["Table"] not in client("dynamodb").list_tables()["TableNames"]


def test_a_queue_policy_and_a_bucket_that_sends_its_events_to_eventbridge():
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": "sqs:SendMessage"}
        ],
    }
    created = create_stack(
        {
            "Queue": {"Type": "AWS::SQS::Queue"},
            "Policy": {
                "Type": "AWS::SQS::QueuePolicy",
                "Properties": {"Queues": [{"Ref": "Queue"}], "PolicyDocument": policy},
            },
            "Bucket": {
                "Type": "AWS::S3::Bucket",
                "Properties": {"NotificationConfiguration": {"EventBridgeConfiguration": {"EventBridgeEnabled": True}}},
            },
        }
    )
    attributes = client("sqs").get_queue_attributes(QueueUrl=created.physical["Queue"], AttributeNames=["Policy"])
    assert json.loads(attributes["Attributes"]["Policy"]) == policy
    # The bucket's events reach EventBridge: a rule on them delivers an upload's event to a queue.
    queue = client("sqs").create_queue(QueueName="seen")["QueueUrl"]
    queue_arn = client("sqs").get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    events = client("events")
    pattern = {
        "source": ["aws.s3"],
        "detail-type": ["Object Created"],
        "detail": {"bucket": {"name": [created.physical["Bucket"]]}},
    }
    events.put_rule(Name="uploads", EventPattern=json.dumps(pattern))
    events.put_targets(Rule="uploads", Targets=[{"Id": "q", "Arn": queue_arn}])
    client("s3").put_object(Bucket=created.physical["Bucket"], Key="incoming/a.mp4", Body=b"x")
    (message,) = client("sqs").receive_message(QueueUrl=queue)["Messages"]
    assert json.loads(message["Body"])["detail"]["object"]["key"] == "incoming/a.mp4"
    client("s3").delete_object(Bucket=created.physical["Bucket"], Key="incoming/a.mp4")
    versions = client("s3").list_object_versions(Bucket=created.physical["Bucket"])
    for version in [*versions.get("Versions", []), *versions.get("DeleteMarkers", [])]:
        client("s3").delete_object(
            Bucket=created.physical["Bucket"], Key=version["Key"], VersionId=version["VersionId"]
        )
    client("cloudformation").delete_stack(StackName="test-stack")
    attributes = client("sqs").list_queues().get("QueueUrls", [])
    assert created.physical["Queue"] not in attributes
