"""A Kinesis data stream with its alarms."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_sns as sns
from constructs import Construct

from stacks.config import EnvironmentConfig, StreamSettings

ALARM_PERIOD = Duration.minutes(5)


class EventStream(Construct):
    """``<env>-<name>``: encrypted with the AWS managed ``aws/kinesis`` key, capacity and retention from config.

    Alarms, each to ``alarm_topic``:

    * ``IteratorAge``: the oldest unread record (Firehose is the reader) is
      older than ``analytics.iterator_age_alarm_minutes``, well before the
      stream's retention would drop it;
    * ``WriteThrottled``: any write refused for capacity
      (``WriteProvisionedThroughputExceeded``) in 5 minutes;
    * ``FailedRecords``: any record ``PutRecords`` failed internally in 5 minutes.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: EnvironmentConfig,
        name: str,
        settings: StreamSettings,
        alarm_topic: sns.ITopic,
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
        stream = self.stream
        action = actions.SnsAction(alarm_topic)
        self.alarms = [
            cloudwatch.Alarm(
                self,
                alarm_id,
                alarm_description=f"Showrunner {config.name} {name}: {description}",
                metric=metric,
                threshold=threshold,
                evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
            for alarm_id, description, metric, threshold in (
                (
                    "IteratorAge",
                    f"records wait more than {analytics.iterator_age_alarm_minutes} minutes to be read "
                    "(is Firehose delivering?)",
                    stream.metric_get_records_iterator_age_milliseconds(statistic="Maximum", period=ALARM_PERIOD),
                    analytics.iterator_age_alarm_minutes * 60_000,
                ),
                (
                    "WriteThrottled",
                    "writes were throttled: add shards or switch to on_demand (analytics settings)",
                    stream.metric_write_provisioned_throughput_exceeded(statistic="Sum", period=ALARM_PERIOD),
                    1,
                ),
                (
                    "FailedRecords",
                    "PutRecords failed records (internal errors); producers must retry them",
                    stream.metric_put_records_failed_records(statistic="Sum", period=ALARM_PERIOD),
                    1,
                ),
            )
        ]
        for alarm in self.alarms:
            alarm.add_alarm_action(action)
