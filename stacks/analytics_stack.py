"""Analytics: Kinesis streams, POST /events, Firehose into the data lake, and the nightly Spark run."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from stacks.base_stack import ShowrunnerStack
from stacks.config import StreamSettings
from stacks.constructs.event_ingestion import EventIngestion
from stacks.constructs.event_stream import EventStream
from stacks.constructs.lake_delivery import LakeDelivery
from stacks.constructs.nightly_spark import INPUT_PREFIX, NightlySpark, SparkRunProps


class AnalyticsStack(ShowrunnerStack):
    """Viewing analytics of one environment (docs/architecture.md#analytics).

    * ``player_events`` (``<env>-player-events``) fed by ``POST /events``;
      ``cdn_logs`` (``<env>-cdn-logs``) for CloudFront real-time logs, which
      the Edge stack points at this stream; ``analytics.cdn_logs: null``
      (dev's default) leaves it, its Firehose and real-time logs out.
    * Firehose copies each stream into the data lake under ``events/`` and ``cdn-logs/``.
    * ``NightlySpark`` runs the EMR jobs in ``assets/emr/jobs/``
      on its schedule (``analytics.emr.schedule``: weekly in dev, nightly elsewhere).
    """

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
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, description="event streams, ingestion, data lake delivery, EMR", **kwargs)
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
        self.nightly = NightlySpark(
            self,
            "NightlySpark",
            env=self.env_props,
            settings=SparkRunProps(**analytics.emr.model_dump()),
            vpc=vpc,
            data_lake_bucket=data_lake_bucket,
            data_lake_key=data_lake_key,
            logs_bucket=logs_bucket,
        )
        CfnOutput(self, "PlayerEventsStreamName", value=self.player_events_stream.stream_name)
        if self.cdn_logs_stream is not None:
            CfnOutput(self, "CdnLogsStreamArn", value=self.cdn_logs_stream.stream_arn)
        CfnOutput(self, "NightlyStateMachineArn", value=self.nightly.state_machine.state_machine_arn)
