"""Analytics: Kinesis streams, POST /events, Firehose into the data lake, and the nightly Spark run."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from stacks.base_stack import ShowrunnerStack
from stacks.compliance import Ack, synchronous_function_skips
from stacks.config import StreamSettings
from stacks.constructs.event_ingestion import EventIngestion
from stacks.constructs.event_stream import EventStream
from stacks.constructs.lake_delivery import LakeDelivery
from stacks.constructs.nightly_spark import CANDIDATES, INPUT_PREFIX, JOBS, NightlySpark, RowsTarget, SparkRunProps
from stacks.constructs.rows_api import RowsApi
from stacks.constructs.rows_loader import RowsLoader
from stacks.constructs.rows_table import RowsTable

_FIREHOSE = (
    "aws-cdk-lib's Firehose S3 destination grants its role read/write on the data-lake bucket's objects and "
    "the data-lake key: the permissions Firehose documents for S3 delivery (multipart uploads, error output). "
    "Only Firehose can assume the role."
)
_SPARK_PREFIXES = (
    "The objects under one prefix the nightly Spark jobs use: they read events/, write trending/ and "
    "recommendations/ (data lake), and EMR writes its logs under emr/ (logs bucket)."
)
_EMR_TASKS = "aws-cdk-lib's Step Functions EMR tasks"
_DATA_LAKE = "{ref:Storage/DataLakeBucket.Arn}"
_FIREHOSE_FINDINGS = (
    "Action::s3:GetObject*",
    "Action::s3:GetBucket*",
    "Action::s3:List*",
    "Action::s3:DeleteObject*",
    "Action::s3:Abort*",
    "Action::kms:GenerateDataKey*",
    "Action::kms:ReEncrypt*",
    f"Resource::{_DATA_LAKE}/*",
)
_SPARK_PREFIX_FINDINGS = (
    f"Resource::{_DATA_LAKE}/events/*",
    f"Resource::{_DATA_LAKE}/trending/*",
    f"Resource::{_DATA_LAKE}/recommendations/*",
    "Resource::{ref:Storage/LogsBucket.Arn}/emr/*",
)
_STATE_MACHINE_FINDINGS = (
    ("Resource::*", f"elasticmapreduce:RunJobFlow has no resource-level permissions ({_EMR_TASKS})."),
    (
        "Resource::arn:aws:elasticmapreduce:{region}:<AWS::AccountId>:cluster/*",
        "The nightly cluster's ID exists only at run time, so adding steps to it and terminating it "
        f"cannot name one cluster ARN ({_EMR_TASKS}).",
    ),
    (
        "Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:role/aws-service-role/"
        "elasticmapreduce.amazonaws.com*/AWSServiceRoleForEMRCleanup*",
        f"EMR's cleanup service-linked role, whose path AWS names ({_EMR_TASKS}).",
    ),
)


class AnalyticsStack(ShowrunnerStack):
    """Viewing analytics of one environment (docs/architecture.md#analytics).

    * ``player_events`` (``<env>-player-events``) fed by ``POST /events``;
      ``cdn_logs`` (``<env>-cdn-logs``) for CloudFront real-time logs, which
      the Edge stack points at this stream; ``analytics.cdn_logs: null``
      (dev's default) leaves it, its Firehose and real-time logs out.
    * Firehose copies each stream into the data lake under ``events/`` and ``cdn-logs/``.
    * ``NightlySpark`` runs the EMR jobs in ``assets/emr/jobs/``
      on its schedule (``analytics.emr.schedule``: weekly in dev, nightly elsewhere),
      and ``RowsLoader`` loads their results into ``RowsTable`` as one run.
    * ``RowsApi``: ``GET /me/recommendations`` and ``GET /trending`` serve those rows,
      filtered through the catalog (Storage stack).
    """

    acknowledgments = (
        Ack(
            "*ToLake/DeliveryStream/Resource",
            "AwsSolutions-KDF1",
            "Firehose refuses delivery-stream encryption when its source is a Kinesis stream; the records are "
            "encrypted in the source stream (aws/kinesis key) and in S3 (SSE-KMS with the data-lake key).",
        ),
        *(
            Ack(
                "*ToLake/DeliveryStream/S3 Destination Role/DefaultPolicy/Resource",
                f"AwsSolutions-IAM5[{f}]",
                _FIREHOSE,
            )
            for f in _FIREHOSE_FINDINGS
        ),
        *(
            Ack("NightlySpark/InstanceRole/DefaultPolicy/Resource", f"AwsSolutions-IAM5[{f}]", _SPARK_PREFIXES)
            for f in _SPARK_PREFIX_FINDINGS
        ),
        Ack(
            "NightlySpark/ServiceRole/Resource",
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonEMRServicePolicy_v2]",
            "AmazonEMRServicePolicy_v2 is AWS's scoped EMR service policy: it acts only on resources tagged "
            "for-use-with-amazon-emr-managed-policies=true (our private subnets, EMR security groups and "
            "clusters); a hand-written copy would have to track EMR's needs as they change.",
        ),
        *(
            Ack("NightlySpark/StateMachine/Role/DefaultPolicy/Resource", f"AwsSolutions-IAM5[{f}]", reason)
            for f, reason in _STATE_MACHINE_FINDINGS
        ),
        Ack(
            "NightlySpark/StateMachine/Role/DefaultPolicy/Resource",
            "AwsSolutions-IAM5[Resource::{ref:Analytics/RowsLoader/Function.Arn}:*]",
            "aws-cdk-lib's LambdaInvoke grants the loader function and its versions and aliases (<arn>:*), "
            "the one function the load steps invoke.",
        ),
        *(
            Ack(
                "RowsLoader/FunctionRole/DefaultPolicy/Resource",
                f"AwsSolutions-IAM5[Resource::{_DATA_LAKE}/{job}/*]",
                f"The loader reads the {job} job's output (part files under {job}/date=<run date>/), which the "
                "nightly Spark step wrote; nothing else of the lake.",
            )
            for job in JOBS
        ),
    )
    checkov_skips = (
        *synchronous_function_skips("Ingestion/Function/Resource"),
        *synchronous_function_skips("RowsApi/Function/Resource"),
        *(
            Ack(
                "RowsLoader/Function/Resource",
                check,
                f"The nightly run's rows loader, invoked synchronously by the nightly state machine: {reason}",
            )
            for check, reason in (
                (
                    "CKV_AWS_115",
                    "two invocations a run (one per job), started only by the state machine; reserving concurrency "
                    "would fail in new accounts whose limit leaves no unreserved pool.",
                ),
                (
                    "CKV_AWS_116",
                    "Step Functions receives its error, retries Lambda's own failures and fails the run (the "
                    "nightly-run alarm), so a dead-letter queue for asynchronous invocations would never receive "
                    "anything.",
                ),
                (
                    "CKV_AWS_117",
                    "it calls only S3 and DynamoDB; inside the VPC it would need the NAT or interface endpoints to "
                    "reach DynamoDB.",
                ),
                (
                    "CKV_AWS_173",
                    "its environment variables hold a bucket and a table name and two numbers, never secrets, and "
                    "Lambda encrypts them at rest with its service key.",
                ),
            )
        ),
        Ack(
            "NightlySpark/StateMachine/Role/DefaultPolicy/Resource",
            "CKV_AWS_111",
            "Step Functions' EMR integration must call RunJobFlow before the cluster (and so its ARN) exists, and "
            "its log delivery and X-Ray actions do not support resource-level permissions; every other statement "
            "names clusters, roles or rules (the cdk-nag IAM5 acknowledgments above give each wildcard's reason).",
        ),
    )

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        vpc: ec2.IVpc,
        data_lake_bucket: s3.IBucket,
        data_lake_key: kms.IKey,
        logs_bucket: s3.IBucket,
        http_api: apigwv2.IHttpApi,
        route_authorizer: apigwv2.IHttpRouteAuthorizer,
        catalog_table: dynamodb.ITableV2,
        catalog_key: kms.IKey,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            scope,
            construct_id,
            description="event streams, ingestion, data lake delivery, EMR, personal rows",
            **kwargs,
        )
        config = self.config
        analytics = config.analytics

        def stream(stream_id: str, name: str, settings: StreamSettings) -> kinesis.IStream:
            return EventStream(
                self,
                stream_id,
                env=self.env_props,
                name=name,
                mode=settings.mode,
                shards=settings.shards,
                retention_hours=analytics.stream_retention_hours,
            ).stream

        self.player_events_stream = stream("PlayerEvents", "player-events", analytics.player_events)
        self.cdn_logs_stream: kinesis.IStream | None = None
        if analytics.cdn_logs is not None:
            self.cdn_logs_stream = stream("CdnLogs", "cdn-logs", analytics.cdn_logs)

        self.ingestion = EventIngestion(
            self,
            "Ingestion",
            env=self.env_props,
            stream=self.player_events_stream,
            http_api=http_api,
            authorizer=route_authorizer,
        )
        # The player events land where the Spark jobs read them.
        deliveries = [("EventsToLake", self.player_events_stream, INPUT_PREFIX.rstrip("/"), ".json.gz")]
        if self.cdn_logs_stream is not None:
            deliveries.append(("CdnLogsToLake", self.cdn_logs_stream, "cdn-logs", ".log.gz"))
        for delivery_id, source, prefix, extension in deliveries:
            LakeDelivery(
                self,
                delivery_id,
                env=self.env_props,
                buffer_seconds=analytics.firehose_buffer_seconds,
                buffer_mib=analytics.firehose_buffer_mib,
                stream=source,
                bucket=data_lake_bucket,
                key=data_lake_key,
                prefix=prefix,
                file_extension=extension,
            )
        self.rows = RowsTable(self, "Rows", env=self.env_props)
        self.rows_loader = RowsLoader(
            self,
            "RowsLoader",
            env=self.env_props,
            data_lake_bucket=data_lake_bucket,
            data_lake_key=data_lake_key,
            job_prefixes=JOBS,
            rows_table=self.rows.table,
            rows_key=self.rows.key,
            retention_days=config.personalization.rows_retention_days,
            candidates=CANDIDATES,
        )
        self.nightly = NightlySpark(
            self,
            "NightlySpark",
            env=self.env_props,
            settings=SparkRunProps(**analytics.emr.model_dump()),
            vpc=vpc,
            data_lake_bucket=data_lake_bucket,
            data_lake_key=data_lake_key,
            logs_bucket=logs_bucket,
            rows=RowsTarget(loader=self.rows_loader.function, table=self.rows.table, key=self.rows.key),
        )
        self.rows_api = RowsApi(
            self,
            "RowsApi",
            env=self.env_props,
            rows_table=self.rows.table,
            rows_key=self.rows.key,
            catalog_table=catalog_table,
            catalog_key=catalog_key,
            http_api=http_api,
            authorizer=route_authorizer,
        )
        CfnOutput(self, "PlayerEventsStreamName", value=self.player_events_stream.stream_name)
        if self.cdn_logs_stream is not None:
            CfnOutput(self, "CdnLogsStreamArn", value=self.cdn_logs_stream.stream_arn)
        CfnOutput(self, "NightlyStateMachineArn", value=self.nightly.state_machine.state_machine_arn)
        CfnOutput(self, "RowsTableName", value=self.rows.table.table_name)
