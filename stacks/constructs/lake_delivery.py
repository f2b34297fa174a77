"""Firehose from a Kinesis stream into the data lake, partitioned by arrival date."""

from __future__ import annotations

from aws_cdk import Duration, Size
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_kinesisfirehose as firehose
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from constructs import Construct

from stacks.constructs.props import EnvironmentProps
from stacks.log_groups import log_group

DATE_PARTITIONS = "year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}"


def data_prefix(prefix: str) -> str:
    return f"{prefix}/{DATE_PARTITIONS}/hour=!{{timestamp:HH}}/"


def error_prefix(prefix: str) -> str:
    return f"errors/{prefix}/!{{firehose:error-output-type}}/{DATE_PARTITIONS}/"


class LakeDelivery(Construct):
    """Reads ``stream`` and writes gzip objects under ``<prefix>/year=…/month=…/day=…/hour=…/``.

    * The date is Firehose's arrival time in UTC (``!{timestamp:…}``).
    * Objects are SSE-KMS with the data-lake key; records Firehose cannot
      deliver go under ``errors/<prefix>/<error type>/…``.
    * Buffering: ``buffer_seconds`` / ``buffer_mib``, whichever is reached first.
    * Delivery errors are logged to a log group with the environment's retention.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        env: EnvironmentProps,
        buffer_seconds: int,
        buffer_mib: int,
        stream: kinesis.IStream,
        bucket: s3.IBucket,
        key: kms.IKey,
        prefix: str,
        file_extension: str,
    ) -> None:
        super().__init__(scope, construct_id)
        errors_log = log_group(self, "Logs", env)
        self.delivery_stream = firehose.DeliveryStream(
            self,
            "DeliveryStream",
            delivery_stream_name=f"{env.name}-{prefix}-to-lake",
            source=firehose.KinesisStreamSource(stream),
            destination=firehose.S3Bucket(
                bucket,
                data_output_prefix=data_prefix(prefix),
                error_output_prefix=error_prefix(prefix),
                compression=firehose.Compression.GZIP,
                file_extension=file_extension,
                buffering_interval=Duration.seconds(buffer_seconds),
                buffering_size=Size.mebibytes(buffer_mib),
                encryption_key=key,
                logging_config=firehose.EnableLogging(errors_log),
            ),
        )
        # Firehose's L2 adds its log stream with CDK's default (Retain); it belongs with its group.
        for child in errors_log.node.children:
            if isinstance(child, logs.LogStream):
                child.apply_removal_policy(env.removal_policy)
