"""What the Operations stack watches, and the CloudWatch metrics it reads from each part."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_autoscaling as autoscaling
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_stepfunctions as sfn

ONE_MINUTE = Duration.minutes(1)
FIVE_MINUTES = Duration.minutes(5)
# Below this many requests a minute, a 5xx rate says more about chance than about the fleet.
MIN_REQUESTS_PER_MINUTE = 10
# Below this many requests in five minutes, likewise for CloudFront's error rate.
MIN_EDGE_REQUESTS = 50


@dataclass(frozen=True)
class Observed:
    """The parts of one environment the dashboard and alarms cover.

    * ``group``, ``load_balancer``, ``target_group``: the origin (Origin stack).
    * ``distribution``: the CloudFront distribution (Edge stack).
    * ``functions``: Lambda functions to chart and alarm on, by display name
      (``SignedUrl``, ``ManifestRewriter``, ``EventIngest``, ``RowsApi``). Names label the
      dashboard and name the alarms.
    * ``streams``: Kinesis streams whose consumers' iterator age is charted, and
      which are alarmed on, by display name (Analytics: ``player-events``, and
      ``cdn-logs`` where it exists). Names label the dashboard and name the alarms.
    * ``nightly_run``: the Step Functions state machine of the nightly EMR run (Analytics).
    """

    group: autoscaling.IAutoScalingGroup
    load_balancer: elbv2.IApplicationLoadBalancer
    target_group: elbv2.IApplicationTargetGroup
    distribution: cloudfront.IDistribution
    functions: Mapping[str, lambda_.IFunction]
    streams: Mapping[str, kinesis.IStream]
    nightly_run: sfn.IStateMachine

    def origin_5xx_percent(self) -> cloudwatch.MathExpression:
        """5xx responses (from the fleet and from the ALB itself) as a percentage of ALB requests, per minute."""
        metrics = self.load_balancer.metrics
        return cloudwatch.MathExpression(
            expression=(
                f"IF(FILL(requests, 0) >= {MIN_REQUESTS_PER_MINUTE}, "
                "100 * (FILL(target5xx, 0) + FILL(elb5xx, 0)) / requests, 0)"
            ),
            using_metrics={
                "requests": metrics.request_count(period=ONE_MINUTE),
                "target5xx": metrics.http_code_target(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, period=ONE_MINUTE),
                "elb5xx": metrics.http_code_elb(elbv2.HttpCodeElb.ELB_5XX_COUNT, period=ONE_MINUTE),
            },
            label="Origin 5xx (% of requests)",
            period=ONE_MINUTE,
        )

    def origin_response_time(self, statistic: str) -> cloudwatch.Metric:
        return self.load_balancer.metrics.target_response_time(
            statistic=statistic, period=FIVE_MINUTES, label=f"Target response time {statistic}"
        )

    def fleet(self, metric_name: str, label: str) -> cloudwatch.Metric:
        """An Auto Scaling group metric (the group collects all of them, every minute)."""
        return cloudwatch.Metric(
            namespace="AWS/AutoScaling",
            metric_name=metric_name,
            dimensions_map={"AutoScalingGroupName": self.group.auto_scaling_group_name},
            statistic="Minimum",
            period=ONE_MINUTE,
            label=label,
        )

    def edge(self, metric_name: str, statistic: str, label: str) -> cloudwatch.Metric:
        """A CloudFront metric of the distribution (published in us-east-1 whatever the stack's region)."""
        return cloudwatch.Metric(
            namespace="AWS/CloudFront",
            metric_name=metric_name,
            dimensions_map={"DistributionId": self.distribution.distribution_id, "Region": "Global"},
            region="us-east-1",
            statistic=statistic,
            period=FIVE_MINUTES,
            label=label,
        )

    def edge_5xx_percent(self) -> cloudwatch.MathExpression:
        return cloudwatch.MathExpression(
            expression=f"IF(FILL(requests, 0) >= {MIN_EDGE_REQUESTS}, rate, 0)",
            using_metrics={
                "requests": self.edge("Requests", "Sum", "Requests"),
                "rate": self.edge("5xxErrorRate", "Average", "5xx error rate"),
            },
            label="CloudFront 5xx (% of requests)",
            period=FIVE_MINUTES,
        )

    def nightly_run_failures(self) -> cloudwatch.MathExpression:
        """Failed plus timed-out executions of the nightly run, per five minutes."""
        run = self.nightly_run
        return cloudwatch.MathExpression(
            expression="failed + timedOut",
            using_metrics={
                "failed": run.metric_failed(period=FIVE_MINUTES, statistic="Sum"),
                "timedOut": run.metric_timed_out(period=FIVE_MINUTES, statistic="Sum"),
            },
            period=FIVE_MINUTES,
        )


def function_error_percent(function: lambda_.IFunction, label: str) -> cloudwatch.MathExpression:
    """Errors as a percentage of invocations, per five minutes (0 when the function was not invoked)."""
    return cloudwatch.MathExpression(
        expression="IF(FILL(invocations, 0) > 0, 100 * FILL(errors, 0) / invocations, 0)",
        using_metrics={
            "invocations": function.metric_invocations(period=FIVE_MINUTES),
            "errors": function.metric_errors(period=FIVE_MINUTES),
        },
        label=f"{label} errors (%)",
        period=FIVE_MINUTES,
    )
