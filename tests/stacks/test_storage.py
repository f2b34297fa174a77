"""Storage stack: the three buckets, per environment."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.synth import Synthesized
from tests.support.templates import logical_id_by_path, resources_of_type, tag_value

BUCKETS = ("LogsBucket", "ContentBucket", "DataLakeBucket")


def _bucket(template: dict[str, Any], name: str) -> tuple[str, dict[str, Any]]:
    logical_id = logical_id_by_path(template, f"Storage/{name}/Resource")
    return logical_id, template["Resources"][logical_id]


def _policy_statements(template: dict[str, Any], bucket_id: str) -> list[dict[str, Any]]:
    policies = [
        p
        for p in resources_of_type(template, "AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == {"Ref": bucket_id}
    ]
    assert len(policies) == 1
    statements: list[dict[str, Any]] = policies[0]["Properties"]["PolicyDocument"]["Statement"]
    return statements


@pytest.mark.parametrize("name", BUCKETS)
def test_every_bucket_is_encrypted_private_versioned_and_tls_only(synthesized: Synthesized, env: str, name: str):
    template = synthesized.stack(env, "Storage").template
    bucket_id, bucket = _bucket(template, name)
    props = bucket["Properties"]

    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    sse = props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
    assert sse["SSEAlgorithm"] in ("AES256", "aws:kms")

    denies = [s for s in _policy_statements(template, bucket_id) if s["Effect"] == "Deny"]
    conditions = [s["Condition"] for s in denies]
    assert {"Bool": {"aws:SecureTransport": "false"}} in conditions
    assert {"NumericLessThan": {"s3:TlsVersion": 1.2}} in conditions

    rules = {r["Id"]: r for r in props["LifecycleConfiguration"]["Rules"]}
    noncurrent_days = synthesized.configs[env].retention.noncurrent_versions_days
    assert rules["expire-noncurrent-and-abort-uploads"]["NoncurrentVersionExpiration"] == {
        "NoncurrentDays": noncurrent_days
    }
    assert rules["expire-noncurrent-and-abort-uploads"]["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 7}
    assert tag_value(bucket, "project") == "showrunner"
    assert tag_value(bucket, "environment") == env


@pytest.mark.parametrize("name", ["ContentBucket", "DataLakeBucket"])
def test_data_buckets_log_access_to_the_logs_bucket(synthesized: Synthesized, env: str, name: str):
    template = synthesized.stack(env, "Storage").template
    logs_id, _ = _bucket(template, "LogsBucket")
    _, bucket = _bucket(template, name)
    assert bucket["Properties"]["LoggingConfiguration"] == {
        "DestinationBucketName": {"Ref": logs_id},
        "LogFilePrefix": f"s3-access/{name.lower()}/",
    }


def test_logs_bucket_accepts_cloudfront_acl_delivery_and_expires_logs(synthesized: Synthesized, env: str):
    template = synthesized.stack(env, "Storage").template
    logs_id, logs = _bucket(template, "LogsBucket")
    props = logs["Properties"]
    assert props["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerPreferred"}]}
    assert "LoggingConfiguration" not in props  # it is the destination; it does not log into itself
    rules = {r["Id"]: r for r in props["LifecycleConfiguration"]["Rules"]}
    assert rules["expire-logs"]["ExpirationInDays"] == synthesized.configs[env].retention.access_logs_days
    assert rules["expire-logs"]["Status"] == "Enabled"
    # S3 server access logging is allowed by bucket policy, scoped to this account's buckets.
    log_writes = [
        s
        for s in _policy_statements(template, logs_id)
        if s["Effect"] == "Allow" and s.get("Principal") == {"Service": "logging.s3.amazonaws.com"}
    ]
    assert log_writes
    assert all(s["Action"] == "s3:PutObject" for s in log_writes)


def test_content_bucket_moves_to_intelligent_tiering(synthesized: Synthesized, env: str):
    _, bucket = _bucket(synthesized.stack(env, "Storage").template, "ContentBucket")
    rules = {r["Id"]: r for r in bucket["Properties"]["LifecycleConfiguration"]["Rules"]}
    assert rules["intelligent-tiering"]["Transitions"] == [
        {"StorageClass": "INTELLIGENT_TIERING", "TransitionInDays": 0}
    ]
    sse = bucket["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert sse["ServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}


def test_data_lake_uses_its_rotated_kms_key(synthesized: Synthesized, env: str):
    template = synthesized.stack(env, "Storage").template
    _, bucket = _bucket(template, "DataLakeBucket")
    key_id = logical_id_by_path(template, "Storage/DataLakeKey/Resource")
    sse = bucket["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert sse["ServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "aws:kms",
        "KMSMasterKeyID": {"Fn::GetAtt": [key_id, "Arn"]},
    }
    assert sse["BucketKeyEnabled"] is True
    assert template["Resources"][key_id]["Properties"]["EnableKeyRotation"] is True


def test_prod_retains_every_bucket_and_key_and_is_termination_protected(synthesized: Synthesized):
    stack = synthesized.stack("prod", "Storage")
    template = stack.template
    for name in BUCKETS:
        _, bucket = _bucket(template, name)
        assert bucket["DeletionPolicy"] == "Retain", name
        assert bucket["UpdateReplacePolicy"] == "Retain", name
    for resource_type in ("AWS::S3::Bucket", "AWS::KMS::Key"):
        for logical_id, resource in resources_of_type(template, resource_type).items():
            assert resource["DeletionPolicy"] == "Retain", logical_id
    assert not resources_of_type(template, "Custom::S3AutoDeleteObjects")
    assert stack.termination_protection is True
    assert all(s.termination_protection for s in synthesized.stacks if s.stage == "prod")


@pytest.mark.parametrize("stage", ["dev", "staging"])
def test_non_production_deletes_buckets_and_empties_them_first(synthesized: Synthesized, stage: str):
    stack = synthesized.stack(stage, "Storage")
    template = stack.template
    auto_delete = resources_of_type(template, "Custom::S3AutoDeleteObjects")
    emptied = {r["Properties"]["BucketName"]["Ref"] for r in auto_delete.values()}
    for name in BUCKETS:
        bucket_id, bucket = _bucket(template, name)
        assert bucket["DeletionPolicy"] == "Delete", name
        assert bucket_id in emptied, name
    assert len(auto_delete) == len(BUCKETS)
    assert stack.termination_protection is False


def test_cloudfront_may_read_only_vod_objects_of_the_content_bucket(synthesized: Synthesized, env: str):
    template = synthesized.stack(env, "Storage").template
    grants = {}
    for name in BUCKETS:
        bucket_id, _ = _bucket(template, name)
        grants[name] = [
            s
            for s in _policy_statements(template, bucket_id)
            if s.get("Principal") == {"Service": "cloudfront.amazonaws.com"}
        ]
    assert grants["LogsBucket"] == []
    assert grants["DataLakeBucket"] == []
    content_id, _ = _bucket(template, "ContentBucket")
    assert grants["ContentBucket"] == [
        {
            "Sid": "AllowCloudFrontOriginAccessControlRead",
            "Action": "s3:GetObject",
            "Effect": "Allow",
            "Principal": {"Service": "cloudfront.amazonaws.com"},
            "Resource": {"Fn::Join": ["", [{"Fn::GetAtt": [content_id, "Arn"]}, "/vod/*"]]},
            "Condition": {
                "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}},
                "ArnLike": {
                    "aws:SourceArn": {
                        "Fn::Join": [
                            "",
                            [
                                "arn:",
                                {"Ref": "AWS::Partition"},
                                ":cloudfront::",
                                {"Ref": "AWS::AccountId"},
                                ":distribution/*",
                            ],
                        ]
                    }
                },
            },
        }
    ]
