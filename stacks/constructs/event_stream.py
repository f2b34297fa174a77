"""A Kinesis data stream."""

from __future__ import annotations

from typing import Literal

from aws_cdk import Duration
from aws_cdk import aws_kinesis as kinesis
from constructs import Construct

from stacks.constructs.props import EnvironmentProps


class EventStream(Construct):
    """``<env>-<name>``: encrypted with the AWS managed ``aws/kinesis`` key; ``provisioned`` with ``shards``
    shards or ``on_demand``; records kept ``retention_hours``.

    Its alarms (iterator age, write throttling, failed records) are in the
    Operations stack (``OperationsAlarms``), with the other alarms.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        env: EnvironmentProps,
        name: str,
        mode: Literal["provisioned", "on_demand"],
        shards: int,
        retention_hours: int,
    ) -> None:
        super().__init__(scope, construct_id)
        provisioned = mode == "provisioned"
        self.stream = kinesis.Stream(
            self,
            "Stream",
            stream_name=env.physical_name(f"{env.name}-{name}"),
            encryption=kinesis.StreamEncryption.MANAGED,
            stream_mode=kinesis.StreamMode.PROVISIONED if provisioned else kinesis.StreamMode.ON_DEMAND,
            shard_count=shards if provisioned else None,
            retention_period=Duration.hours(retention_hours),
            removal_policy=env.removal_policy,
        )
