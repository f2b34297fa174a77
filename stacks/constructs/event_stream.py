"""A Kinesis data stream."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_kinesis as kinesis
from constructs import Construct

from stacks.config import EnvironmentConfig, StreamSettings


class EventStream(Construct):
    """``<env>-<name>``: encrypted with the AWS managed ``aws/kinesis`` key, capacity and retention from config.

    Its alarms (iterator age, write throttling, failed records) are in the
    Operations stack (``OperationsAlarms``), with the other alarms.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: EnvironmentConfig,
        name: str,
        settings: StreamSettings,
    ) -> None:
        super().__init__(scope, construct_id)
        analytics = config.analytics
        provisioned = settings.mode == "provisioned"
        self.stream = kinesis.Stream(
            self,
            "Stream",
            stream_name=f"{config.name}-{name}",
            encryption=kinesis.StreamEncryption.MANAGED,
            stream_mode=kinesis.StreamMode.PROVISIONED if provisioned else kinesis.StreamMode.ON_DEMAND,
            shard_count=settings.shards if provisioned else None,
            retention_period=Duration.hours(analytics.stream_retention_hours),
            removal_policy=RemovalPolicy.RETAIN if config.retain_data else RemovalPolicy.DESTROY,
        )
