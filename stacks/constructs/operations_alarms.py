"""CloudWatch alarms of one environment, each notifying the Alerts topic when it fires and when it clears."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from constructs import Construct

from stacks.constructs.observed import FIVE_MINUTES, Observed, function_error_percent

GT = cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD
GTE = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD
LT = cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD
NOT_BREACHING = cloudwatch.TreatMissingData.NOT_BREACHING


@dataclass(frozen=True, kw_only=True)
class AlarmThresholds:
    """What makes each alarm fire (docs/operations.md, "Alarms")."""

    origin_5xx_percent: float
    origin_p99_seconds: float
    cloudfront_5xx_percent: float
    lambda_error_percent: float
    origin_min_capacity: int  # the fleet's minimum; 0 leaves out the fleet alarm
    iterator_age_minutes: int  # how long a record may wait in a stream, well within its retention


class OperationsAlarms(Construct):
    """The alarms, with ``thresholds`` (docs/operations.md, "Alarms").

    * ``origin_5xx``: origin 5xx above ``origin_5xx_percent`` in 2 of 3 minutes
      (at 10 requests a minute or more). It is also every FIS experiment's stop condition.
    * ``origin_latency``: p99 target response time above ``origin_p99_seconds``
      for 3 consecutive 5-minute periods.
    * ``fleet_below_minimum``: fewer in-service instances than ``origin_min_capacity``
      for 10 consecutive minutes (a replacement takes about 5; longer means the
      fleet is not recovering). Not created when the minimum is 0.
    * ``edge_5xx`` (in us-east-1 only, where CloudFront
      publishes its metrics): CloudFront 5xx above ``cloudfront_5xx_percent`` for
      3 consecutive 5-minute periods (at 50 requests per period or more).
    * Per observed function: errors above ``lambda_error_percent`` of invocations
      in 2 of 3 five-minute periods, and any throttling in 2 of 3.
    * Per observed Kinesis stream (``player-events``, and ``cdn-logs`` where it
      exists): the oldest unread record (Firehose is the reader) older than
      ``iterator_age_minutes``, well before the stream's
      retention would drop it; any write refused for capacity
      (``WriteProvisionedThroughputExceeded``) in 5 minutes; any record
      ``PutRecords`` failed internally in 5 minutes.
    * ``nightly_run_failed``: the nightly Spark run (Step Functions) failed or timed out.
    * ``chaos_monkey_failed``: any failed chaos-monkey run.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        environment: str,
        thresholds: AlarmThresholds,
        observed: Observed,
        topic: sns.ITopic,
        chaos_monkey: lambda_.IFunction,
    ) -> None:
        super().__init__(scope, construct_id)
        prefix = f"showrunner-{environment}"
        self.alarms: list[cloudwatch.Alarm] = []

        def alarm(
            alarm_id: str,
            name: str,
            description: str,
            metric: cloudwatch.IMetric,
            *,
            threshold: float,
            comparison_operator: cloudwatch.ComparisonOperator,
            evaluation_periods: int,
            datapoints_to_alarm: int | None = None,
            treat_missing_data: cloudwatch.TreatMissingData = NOT_BREACHING,
        ) -> cloudwatch.Alarm:
            created = cloudwatch.Alarm(
                self,
                alarm_id,
                alarm_name=f"{prefix}-{name}",
                alarm_description=f"Showrunner {environment}: {description}",
                metric=metric,
                threshold=threshold,
                comparison_operator=comparison_operator,
                evaluation_periods=evaluation_periods,
                datapoints_to_alarm=datapoints_to_alarm,
                treat_missing_data=treat_missing_data,
            )
            created.add_alarm_action(actions.SnsAction(topic))
            created.add_ok_action(actions.SnsAction(topic))
            self.alarms.append(created)
            return created

        self.origin_5xx = alarm(
            "Origin5xx",
            "origin-5xx",
            f"origin 5xx above {thresholds.origin_5xx_percent}% of requests in 2 of 3 minutes "
            "(stop condition of every FIS experiment)",
            observed.origin_5xx_percent(),
            threshold=thresholds.origin_5xx_percent,
            comparison_operator=GT,
            evaluation_periods=3,
            datapoints_to_alarm=2,
        )
        alarm(
            "OriginLatency",
            "origin-p99-latency",
            f"origin p99 response time above {thresholds.origin_p99_seconds} s for 15 minutes",
            observed.origin_response_time("p99"),
            threshold=thresholds.origin_p99_seconds,
            comparison_operator=GT,
            evaluation_periods=3,
        )
        minimum = thresholds.origin_min_capacity
        if minimum > 0:
            alarm(
                "FleetBelowMinimum",
                "origin-fleet-below-minimum",
                f"fewer than {minimum} origin instances in service for 10 minutes",
                observed.fleet("GroupInServiceInstances", "In service"),
                threshold=minimum,
                comparison_operator=LT,
                evaluation_periods=10,
                treat_missing_data=cloudwatch.TreatMissingData.BREACHING,
            )
        if Stack.of(self).region == "us-east-1":
            alarm(
                "Edge5xx",
                "cloudfront-5xx",
                f"CloudFront 5xx above {thresholds.cloudfront_5xx_percent}% of requests for 15 minutes",
                observed.edge_5xx_percent(),
                threshold=thresholds.cloudfront_5xx_percent,
                comparison_operator=GT,
                evaluation_periods=3,
            )
        for name, function in observed.functions.items():
            alarm(
                f"{name}Errors",
                f"{_kebab(name)}-errors",
                f"{name} errors above {thresholds.lambda_error_percent}% of invocations in 2 of 3 five-minute periods",
                function_error_percent(function, name),
                threshold=thresholds.lambda_error_percent,
                comparison_operator=GT,
                evaluation_periods=3,
                datapoints_to_alarm=2,
            )
            alarm(
                f"{name}Throttles",
                f"{_kebab(name)}-throttles",
                f"{name} throttled in 2 of 3 five-minute periods",
                function.metric_throttles(period=FIVE_MINUTES),
                threshold=1,
                comparison_operator=GTE,
                evaluation_periods=3,
                datapoints_to_alarm=2,
            )
        waited = thresholds.iterator_age_minutes
        for name, stream in observed.streams.items():
            for kind, description, metric, threshold in (
                (
                    "iterator-age",
                    f"records wait more than {waited} minutes to be read (is Firehose delivering?)",
                    stream.metric_get_records_iterator_age_milliseconds(statistic="Maximum", period=FIVE_MINUTES),
                    waited * 60_000,
                ),
                (
                    "write-throttled",
                    "writes were throttled: add shards or switch to on_demand (analytics settings)",
                    stream.metric_write_provisioned_throughput_exceeded(statistic="Sum", period=FIVE_MINUTES),
                    1,
                ),
                (
                    "failed-records",
                    "PutRecords failed records (internal errors); producers must retry them",
                    stream.metric_put_records_failed_records(statistic="Sum", period=FIVE_MINUTES),
                    1,
                ),
            ):
                alarm(
                    _pascal(f"{name}-{kind}"),
                    f"{name}-{kind}",
                    f"{name} {description}",
                    metric,
                    threshold=threshold,
                    comparison_operator=GTE,
                    evaluation_periods=1,
                )
        self.nightly_run_failed = alarm(
            "NightlyRunFailed",
            "nightly-run-failed",
            "the nightly Spark run failed or timed out",
            observed.nightly_run_failures(),
            threshold=1,
            comparison_operator=GTE,
            evaluation_periods=1,
        )
        self.chaos_monkey_failed = alarm(
            "ChaosMonkeyFailed",
            "chaos-monkey-failed",
            "a chaos-monkey run failed (its log has an 'error' decision)",
            chaos_monkey.metric_errors(period=FIVE_MINUTES),
            threshold=1,
            comparison_operator=GTE,
            evaluation_periods=1,
        )


def _pascal(name: str) -> str:
    """``player-events-iterator-age`` -> ``PlayerEventsIteratorAge`` (a construct id)."""
    return "".join(part.capitalize() for part in name.split("-"))


def _kebab(name: str) -> str:
    return "".join(f"-{c.lower()}" if c.isupper() and i else c.lower() for i, c in enumerate(name))
