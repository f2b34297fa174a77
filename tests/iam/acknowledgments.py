"""Statements of function roles that the in-process runs cannot show to be needed, each with its reason.

``test_least_privilege`` fails on any statement whose removal changes nothing unless an entry here
names it (``function`` and ``statement`` are fnmatch patterns over the package name under lambda/
and ``enforcement.statement_id``), and fails on any entry that matches no such statement.
``check`` names what the test verifies instead, so an acknowledgment is not a blank cheque.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Surplus:
    function: str
    statement: str
    reason: str
    check: str  # what the test asserts about the acknowledged statement instead


# The statement CDK adds for a function's own log group (PythonFunction sets logging_config.log_group).
OWN_LOG_GROUP = "own-log-group"

SURPLUS: list[Surplus] = [
    Surplus(
        function="*",
        statement="logs:CreateLogStream,logs:PutLogEvents",
        reason=(
            "The Lambda service writes the function's logs with the role's credentials; the handler code never "
            "calls CloudWatch Logs, so running the handler in-process cannot exercise this statement. Without it "
            "the function would run but log nothing."
        ),
        check=OWN_LOG_GROUP,
    ),
]


# Roles that AWS services or CDK's own providers assume, not our handler code: not executed here,
# but reviewed. Each is summarized (trust, actions by service, resources, flags) in the IAM section of
# `make review` (docs/review/<env>.md, tools/developer/review/iam.py), checked by cdk-nag AwsSolutions-IAM4/IAM5
# with every acknowledgment's reason beside its stack (stacks/compliance.py), by checkov, and by the template
# tests named here.
# Keys are construct paths inside a stage; test_every_role_is_executed_or_reviewed keeps this table complete.
SERVICE_ROLES: dict[str, str] = {
    "Analytics/EventsToLake/DeliveryStream/Service Role/Resource": (
        "Firehose reads the player-events stream (CDK's grant)"
    ),
    "Analytics/EventsToLake/DeliveryStream/S3 Destination Role/Resource": (
        "Firehose writes the data lake with its KMS key (CDK's grant)"
    ),
    "Analytics/CdnLogsToLake/DeliveryStream/Service Role/Resource": (
        "Firehose reads the CDN real-time logs stream (staging and prod only)"
    ),
    "Analytics/CdnLogsToLake/DeliveryStream/S3 Destination Role/Resource": (
        "Firehose writes the CDN logs to the data lake (staging and prod only)"
    ),
    "Analytics/NightlySpark/InstanceRole/Resource": (
        "EMR's EC2 instances (the Spark jobs): prefix-scoped data-lake access; tests/stacks/test_analytics.py"
    ),
    "Analytics/NightlySpark/ServiceRole/Resource": (
        "EMR (AmazonEMRServicePolicy_v2, acknowledged in stacks/analytics_stack.py); tests/stacks/test_analytics.py"
    ),
    "Analytics/NightlySpark/StateMachine/Role/Resource": "Step Functions' EMR integration (CDK's policy)",
    "Analytics/NightlySpark/StateMachine/EventsRole/Resource": "EventBridge starts the nightly state machine",
    "Edge/RealtimeLogs/Config/RealtimeLogKinesisRole/Resource": (
        "CloudFront writes real-time logs to Kinesis (staging and prod only; dev has no CDN logs stream)"
    ),
    "Network/Custom::VpcRestrictDefaultSGCustomResourceProvider/Role": "CDK's provider that empties the default SG",
    "Network/Vpc/publicSubnet1/NatInstance/InstanceRole/Resource": "the dev NAT instance (no permissions)",
    "Operations/Experiments/Role/Resource": "FIS experiments on origin instances; tests/stacks/test_operations.py",
    "Operations/SchedulerRoleForTarget-0c039e/Resource": "EventBridge Scheduler invokes the chaos monkey",
    "Origin/Fleet/InstanceRole/Resource": "origin EC2 instances (SSM core, cfn-signal); tests/stacks/test_origin.py",
    "Storage/ContentBucket/ReplicationRole/Resource": "S3 replication of the content bucket (prod only)",
    "Ingest/Transcoding/Role/Resource": (
        "MediaConvert jobs of the ingest queue: read incoming/, write the package under vod/; run by the local "
        "transcoder under this role with IAM enforced (tests/iam/test_service_roles.py)"
    ),
    "Ingest/Workflow/StateMachine/Role/Resource": (
        "Step Functions' ingest workflow (CDK's task grants, the catalog and alerts keys through their services); "
        "its steps run, with moto's default credentials, in tests/e2e/test_ingest.py"
    ),
    "Ingest/Workflow/StateMachine/EventsRole/Resource": "EventBridge starts an ingest run per upload",
    "Ingest/Custom::S3AutoDeleteObjectsCustomResourceProvider/Role": (
        "CDK's provider that empties the ingest bucket on teardown (dev and staging only)"
    ),
    "Storage/Custom::S3AutoDeleteObjectsCustomResourceProvider/Role": (
        "CDK's provider that empties buckets on teardown (dev and staging only)"
    ),
}
