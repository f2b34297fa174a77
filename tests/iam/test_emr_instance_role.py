"""The nightly Spark run's EC2 instance profile: EMR can launch with it, and it allows what EMRFS does for the jobs.

EMR runs on real instances, so its role is not executed here like a function's. Instead, the
calls EMRFS (``s3://``) makes to read the events and overwrite a result with the S3-optimized
committer are listed from AWS's EMR documentation, and each is decided against the role's
policies as deployed into moto (``tests/iam/enforcement.py``'s evaluator). Calls outside the
job's prefixes must be refused.

What EMRFS asks for a "directory" ``<p>``: the object ``<p>`` (HEAD, 404 expected, which S3
only answers with ``s3:ListBucket``), ``<p>/`` and below, and the marker ``<p>_$folder$`` beside
it; writing uses multipart uploads (``s3:PutObject`` for create/upload/complete), may abort them
and list their parts, and lists the bucket's uploads in progress.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from moto import mock_aws

from stacks.names import TLS_CERTIFICATES_KEY
from tests.iam.conftest import admin
from tests.iam.enforcement import Check, decide
from tests.support.synth import Synthesized
from tools.developer.rehearsal.deployer import Deployer

DAY = "2026-12-03"
EVENTS_OBJECT = "events/year=2026/month=12/day=02/hour=23/dev-events-to-lake-1.json.gz"


@dataclass(frozen=True)
class SparkRole:
    profile: dict[str, Any]
    role_name: str
    documents: list[dict[str, Any]]
    lake: str
    logs: str
    key_arn: str
    job_flow_role: str


def _physical(records: dict[str, Any], stack: str, prefix: str, resource_type: str) -> str:
    (physical,) = [
        r.physical_id
        for r in records[stack].resources
        if r.logical_id.startswith(prefix) and r.resource_type == resource_type
    ]
    return str(physical)


@pytest.fixture(scope="module")
def spark(synthesized: Synthesized) -> Iterator[SparkRole]:
    with mock_aws():
        records = {
            r.display_name.split("/", 1)[1]: r for r in Deployer.for_stage(synthesized.outdir, "dev", admin).deploy()
        }
        iam = admin("iam")
        role_name = _physical(records, "Analytics", "NightlySparkInstanceRole", "AWS::IAM::Role")
        (profile,) = iam.list_instance_profiles_for_role(RoleName=role_name)["InstanceProfiles"]
        documents = [
            iam.get_role_policy(RoleName=role_name, PolicyName=name)["PolicyDocument"]
            for name in iam.list_role_policies(RoleName=role_name)["PolicyNames"]
        ]
        machine = _physical(records, "Analytics", "NightlySparkStateMachine", "AWS::StepFunctions::StateMachine")
        definition = admin("stepfunctions").describe_state_machine(stateMachineArn=machine)["definition"]
        yield SparkRole(
            profile=profile,
            role_name=role_name,
            documents=documents,
            lake=_physical(records, "Storage", "DataLakeBucket", "AWS::S3::Bucket"),
            logs=_physical(records, "Storage", "LogsBucket", "AWS::S3::Bucket"),
            key_arn=admin("kms").describe_key(KeyId=_physical(records, "Storage", "DataLakeKey", "AWS::KMS::Key"))[
                "KeyMetadata"
            ]["Arn"],
            job_flow_role=definition,
        )


def test_emr_gets_an_instance_profile_named_as_its_role(spark: SparkRole):
    assert spark.profile["InstanceProfileName"] == spark.role_name
    assert [r["RoleName"] for r in spark.profile["Roles"]] == [spark.role_name]
    assert f'"JobFlowRole":"{spark.role_name}"' in spark.job_flow_role


def _directory(bucket: str, prefix: str) -> list[str]:
    return [f"arn:aws:s3:::{bucket}/{prefix}", f"arn:aws:s3:::{bucket}/{prefix}_$folder$"]


def emrfs_calls(spark: SparkRole) -> list[Check]:
    """What the two jobs make EMRFS ask of S3 and KMS (reading events/, overwriting <job>/date=<day>/)."""
    lake, bucket = spark.lake, f"arn:aws:s3:::{spark.lake}"
    calls = [
        Check("s3:ListBucket", bucket, {"s3:prefix": "events/", "s3:delimiter": "/"}),
        *(Check("s3:GetObject", arn) for arn in _directory(lake, "events")),
        Check("s3:GetObject", f"{bucket}/{EVENTS_OBJECT}"),
        Check("s3:GetObject", f"{bucket}/{TLS_CERTIFICATES_KEY}"),
        Check("s3:ListBucketMultipartUploads", bucket),
        Check("s3:PutObject", f"arn:aws:s3:::{spark.logs}/emr/j-1ABCDEF/node/i-0123/applications/spark/stderr.gz"),
        Check("kms:Decrypt", spark.key_arn),
        Check("kms:GenerateDataKey", spark.key_arn),
    ]
    for job in ("trending", "recommendations"):
        output = f"{job}/date={DAY}"
        part = f"{bucket}/{output}/part-00000-4e1f.c000.json"
        calls += [
            Check("s3:ListBucket", bucket, {"s3:prefix": f"{output}/", "s3:delimiter": "/"}),
            *(Check("s3:GetObject", arn) for prefix in (job, output) for arn in _directory(lake, prefix)),
            *(Check("s3:PutObject", arn) for prefix in (job, output) for arn in _directory(lake, prefix)[1:]),
            *(Check("s3:DeleteObject", arn) for prefix in (job, output) for arn in _directory(lake, prefix)[1:]),
            Check("s3:DeleteObject", f"{bucket}/{output}/part-00000-0d2a.c000.json"),  # yesterday's run, overwritten
            Check("s3:PutObject", part),
            Check("s3:ListMultipartUploadParts", part),
            Check("s3:AbortMultipartUpload", part),
            Check("s3:PutObject", f"{bucket}/{output}/_SUCCESS"),
        ]
    return calls


def test_every_call_emrfs_makes_for_the_jobs_is_allowed(spark: SparkRole):
    refused = [c for c in emrfs_calls(spark) if not decide(spark.documents, c).allowed]
    assert refused == []


@pytest.mark.parametrize(
    ("action", "key"),
    [
        ("s3:PutObject", "events/year=2026/month=12/day=02/hour=23/forged.json.gz"),
        ("s3:DeleteObject", EVENTS_OBJECT),
        ("s3:GetObject", "cdn-logs/year=2026/month=12/day=02/hour=23/x.log.gz"),
        ("s3:GetObject", "errors/events/processing-failed/x"),
        ("s3:PutObject", "trendingX/part-0.json"),
        ("s3:GetObject", "recommendations-backup/part-0.json"),
    ],
)
def test_nothing_outside_the_jobs_prefixes(spark: SparkRole, action: str, key: str):
    assert not decide(spark.documents, Check(action, f"arn:aws:s3:::{spark.lake}/{key}")).allowed


def test_no_other_bucket(spark: SparkRole):
    for action in ("s3:GetObject", "s3:PutObject", "s3:ListBucket"):
        assert not decide(
            spark.documents, Check(action, "arn:aws:s3:::showrunner-dev-content/vod/t/master.m3u8")
        ).allowed
    assert not decide(spark.documents, Check("s3:PutObject", f"arn:aws:s3:::{spark.logs}/alb/x.log.gz")).allowed
