"""The CloudWatch dashboard of one environment."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from stacks.constructs.observed import FIVE_MINUTES, Observed

WIDTH = 24  # the dashboard grid is 24 units wide
HEIGHT = 6
ONE_DAY = Duration.days(1)


def _graph(
    title: str,
    metrics: Sequence[cloudwatch.IMetric],
    *,
    width: int = 8,
    view: cloudwatch.GraphWidgetView = cloudwatch.GraphWidgetView.TIME_SERIES,
) -> cloudwatch.GraphWidget:
    return cloudwatch.GraphWidget(title=title, left=list(metrics), width=width, height=HEIGHT, view=view)


class OperationsDashboard(Construct):
    """``showrunner-<env>``: one row per part, top to bottom as a request travels.

    1. Alarm status of every alarm.
    2. CloudFront: requests; 4xx, 5xx and total error rates; cache-hit rate
       (CloudFront publishes it once the distribution's additional metrics are on).
    3. Origin ALB: requests and 5xx counts (fleet and ALB); 5xx percentage; target
       response time p50 and p99.
    4. Auto Scaling group: in-service, desired and minimum instances.
    5. Lambda: errors, throttles and p99 duration of every observed function.
    6. Kinesis: the consumers' iterator age (maximum) of every observed stream.
    7. EMR nightly run: Step Functions executions succeeded, failed, timed out and
       aborted, per day.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        environment: str,
        observed: Observed,
        functions: Mapping[str, lambda_.IFunction],
        alarms: Sequence[cloudwatch.IAlarm],
    ) -> None:
        super().__init__(scope, construct_id)
        self.dashboard = cloudwatch.Dashboard(
            self,
            "Dashboard",
            dashboard_name=f"showrunner-{environment}",
            default_interval=Duration.hours(6),
        )
        rows: list[list[cloudwatch.IWidget]] = [
            [cloudwatch.AlarmStatusWidget(title="Alarms", alarms=list(alarms), width=WIDTH, height=4)],
            self._edge(observed),
            self._origin(observed),
            [
                _graph(
                    "Origin fleet (instances)",
                    [
                        observed.fleet("GroupInServiceInstances", "In service"),
                        observed.fleet("GroupDesiredCapacity", "Desired"),
                        observed.fleet("GroupMinSize", "Minimum"),
                    ],
                    width=WIDTH,
                )
            ],
            self._functions(functions),
            self._streams(observed),
            self._nightly_run(observed),
        ]
        for row in rows:
            self.dashboard.add_widgets(*row)

    @staticmethod
    def _edge(observed: Observed) -> list[cloudwatch.IWidget]:
        return [
            _graph("CloudFront requests", [observed.edge("Requests", "Sum", "Requests")]),
            _graph(
                "CloudFront error rates (%)",
                [
                    observed.edge("4xxErrorRate", "Average", "4xx"),
                    observed.edge("5xxErrorRate", "Average", "5xx"),
                    observed.edge("TotalErrorRate", "Average", "Total"),
                ],
            ),
            _graph("CloudFront cache-hit rate (%)", [observed.edge("CacheHitRate", "Average", "Cache hits")]),
        ]

    @staticmethod
    def _origin(observed: Observed) -> list[cloudwatch.IWidget]:
        metrics = observed.load_balancer.metrics
        return [
            _graph(
                "Origin ALB requests and 5xx",
                [
                    metrics.request_count(period=FIVE_MINUTES, label="Requests"),
                    metrics.http_code_target(
                        elbv2.HttpCodeTarget.TARGET_5XX_COUNT, period=FIVE_MINUTES, label="5xx from the fleet"
                    ),
                    metrics.http_code_elb(
                        elbv2.HttpCodeElb.ELB_5XX_COUNT, period=FIVE_MINUTES, label="5xx from the ALB"
                    ),
                ],
            ),
            _graph("Origin 5xx (% of requests)", [observed.origin_5xx_percent()]),
            _graph(
                "Origin target response time (s)",
                [observed.origin_response_time("p50"), observed.origin_response_time("p99")],
            ),
        ]

    @staticmethod
    def _functions(functions: Mapping[str, lambda_.IFunction]) -> list[cloudwatch.IWidget]:
        def per_function(title: str, metric: str, statistic: str) -> cloudwatch.GraphWidget:
            return _graph(
                title,
                [
                    f.metric(metric, statistic=statistic, period=FIVE_MINUTES, label=name)
                    for name, f in functions.items()
                ],
            )

        return [
            per_function("Lambda errors", "Errors", "Sum"),
            per_function("Lambda throttles", "Throttles", "Sum"),
            per_function("Lambda duration p99 (ms)", "Duration", "p99"),
        ]

    @staticmethod
    def _streams(observed: Observed) -> list[cloudwatch.IWidget]:
        return [
            _graph(
                "Kinesis iterator age, maximum (ms)",
                [
                    stream.metric_get_records_iterator_age_milliseconds(
                        statistic="Maximum", period=FIVE_MINUTES, label=name
                    )
                    for name, stream in observed.streams.items()
                ],
                width=WIDTH,
            )
        ]

    @staticmethod
    def _nightly_run(observed: Observed) -> list[cloudwatch.IWidget]:
        run = observed.nightly_run
        return [
            _graph(
                "EMR nightly run (Step Functions executions per day)",
                [
                    run.metric_succeeded(period=ONE_DAY, label="Succeeded"),
                    run.metric_failed(period=ONE_DAY, label="Failed"),
                    run.metric_timed_out(period=ONE_DAY, label="Timed out"),
                    run.metric_aborted(period=ONE_DAY, label="Aborted"),
                ],
                width=WIDTH,
                view=cloudwatch.GraphWidgetView.BAR,
            )
        ]
