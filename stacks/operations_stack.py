"""Operations: chaos monkey, FIS experiments, dashboard, alarms and the budget of one environment."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput
from aws_cdk import aws_sns as sns
from constructs import Construct

from stacks.base_stack import ShowrunnerStack
from stacks.compliance import Ack
from stacks.constructs.chaos_monkey import BusinessHours, ChaosMonkey
from stacks.constructs.cost_budget import CostBudget
from stacks.constructs.fis_experiments import FisExperiments
from stacks.constructs.observed import Observed
from stacks.constructs.operations_alarms import AlarmThresholds, OperationsAlarms
from stacks.constructs.operations_dashboard import OperationsDashboard
from stacks.constructs.props import FromSetting


class OperationsStack(ShowrunnerStack):
    """The last stack of a stage; it watches and exercises the others and nothing depends on it.

    * ``chaos_monkey`` (``ChaosMonkey``): the opt-in chaos-monkey Lambda, its kill
      switch, its termination record and its business-hours schedule; it stands down
      while an origin or edge alarm (``alarms.stand_down``) is in ALARM.
    * ``alarms`` (``OperationsAlarms``) to ``alerts_topic``, including the origin
      5xx alarm that stops every experiment.
    * ``experiments`` (``FisExperiments``): FIS templates against the origin fleet.
    * ``dashboard`` (``OperationsDashboard``): ``showrunner-<env>``.
    * ``budget`` (``CostBudget``): the monthly budget with actual and forecast alerts.

    ``observed`` names what to watch (``stacks/constructs/observed.py``).
    """

    acknowledgments = (
        Ack(
            "ChaosMonkey/FunctionRole/DefaultPolicy/Resource",
            "AwsSolutions-IAM5[Resource::*]",
            "autoscaling:DescribeAutoScalingGroups and autoscaling:DescribeInstanceRefreshes take no resource ARN "
            "(Service Authorization Reference); the chaos monkey lists the opted-in groups by tag and reads their "
            "instance refreshes. Nothing in that statement changes anything.",
        ),
        Ack(
            "ChaosMonkey/FunctionRole/DefaultPolicy/Resource",
            "AwsSolutions-IAM5[Resource::arn:aws:autoscaling:{region}:<AWS::AccountId>:autoScalingGroup:*:"
            "autoScalingGroupName/*]",
            "The chaos monkey finds its targets by tag, so TerminateInstanceInAutoScalingGroup names the groups of "
            "this account and region, conditioned on autoscaling:ResourceTag/showrunner:chaos-monkey=opt-in and "
            "autoscaling:ResourceTag/environment=<its environment>: only groups that opted in, in its own environment.",
        ),
        Ack(
            "SchedulerRoleForTarget-*/DefaultPolicy/Resource",
            "AwsSolutions-IAM5[Resource::{ref:Operations/ChaosMonkey/Function.Arn}:*]",
            "The EventBridge Scheduler role may invoke only the chaos-monkey function; CDK's grantInvoke adds "
            "'<function ARN>:*' for that one function's versions and aliases.",
        ),
        Ack(
            "Experiments/Policy/Resource",
            "AwsSolutions-IAM5[Resource::*]",
            "ec2:DescribeInstances and tag:GetResources (FIS resolving the tagged targets) and ssm:ListCommands and "
            "ssm:CancelCommand (following and stopping the CPU-stress command) take no resource ARN.",
        ),
        Ack(
            "Experiments/Policy/Resource",
            "AwsSolutions-IAM5[Resource::arn:aws:ec2:{region}:<AWS::AccountId>:instance/*]",
            "FIS selects origin instances when an experiment starts, so ec2:TerminateInstances and ssm:SendCommand "
            "name the instances of this account and region, each conditioned on the tags showrunner:component=origin "
            "and environment=<its environment>; ssm:SendCommand may send only the AWSFIS-Run-CPU-Stress document.",
        ),
    )
    checkov_skips = (
        Ack(
            "ChaosMonkey/Function/Resource",
            "CKV_AWS_115",
            "The chaos monkey runs once an hour and times out after a minute, so two runs never overlap without "
            "reserved concurrency; reserving any would fail the stack in accounts whose concurrency quota leaves "
            "less than 100 unreserved. operations.chaos_monkey.reserved_concurrency reserves it where wanted.",
            when=lambda config: config.operations.chaos_monkey.reserved_concurrency is None,
        ),
        *(
            Ack(
                "ChaosMonkey/Function/Resource",
                check,
                "The chaos monkey, run hourly by EventBridge Scheduler with no retries, "
                "calls only the Auto Scaling, SSM and CloudWatch APIs: " + reason,
            )
            for check, reason in (
                (
                    "CKV_AWS_116",
                    "Lambda's own retries are off and every run logs its decision, a failed run included, and "
                    "raises the chaos-monkey-failed alarm; a dead-letter queue would hold only the empty schedule "
                    "event.",
                ),
                (
                    "CKV_AWS_117",
                    "inside the VPC it would need NAT or interface endpoints to reach them, and it holds no data.",
                ),
                (
                    "CKV_AWS_173",
                    "its environment variables hold the environment's name, the names of the kill switch and the "
                    "termination record, the business hours, the interval and the stand-down alarms' names, never "
                    "secrets, and Lambda encrypts them at rest with its service key.",
                ),
            )
        ),
    )

    def __init__(
        self, scope: Construct, construct_id: str, *, observed: Observed, alerts_topic: sns.ITopic, **kwargs: Any
    ) -> None:
        super().__init__(
            scope, construct_id, description="chaos monkey, FIS experiments, dashboard, alarms, budget", **kwargs
        )
        config = self.config

        monkey = config.operations.chaos_monkey
        hours = monkey.business_hours
        self.chaos_monkey = ChaosMonkey(
            self,
            "ChaosMonkey",
            env=self.env_props,
            enabled=monkey.enabled,
            dry_run=monkey.dry_run,
            hours=BusinessHours(days=hours.days, start=hours.start, end=hours.end, time_zone=config.chaos_time_zone),
            min_interval_minutes=monkey.min_interval_minutes,
            reserved_concurrency=None
            if monkey.reserved_concurrency is None
            else FromSetting(monkey.reserved_concurrency, "operations.chaos_monkey.reserved_concurrency"),
        )
        thresholds = config.operations.alarms
        self.alarms = OperationsAlarms(
            self,
            "Alarms",
            environment=config.name,
            thresholds=AlarmThresholds(
                origin_5xx_percent=thresholds.origin_5xx_percent,
                origin_p99_seconds=thresholds.origin_p99_seconds,
                cloudfront_5xx_percent=thresholds.cloudfront_5xx_percent,
                lambda_error_percent=thresholds.lambda_error_percent,
                origin_min_capacity=config.origin.min_capacity,
                iterator_age_minutes=config.analytics.iterator_age_alarm_minutes,
            ),
            observed=observed,
            topic=alerts_topic,
            chaos_monkey=self.chaos_monkey.function,
        )
        self.chaos_monkey.stand_down_on(self.alarms.stand_down)
        self.experiments = FisExperiments(
            self,
            "Experiments",
            environment=config.name,
            availability_zones=config.availability_zones,
            stop_alarm=self.alarms.origin_5xx,
        )
        self.dashboard = OperationsDashboard(
            self,
            "Dashboard",
            environment=config.name,
            observed=observed,
            functions={"ChaosMonkey": self.chaos_monkey.function, **observed.functions},
            alarms=self.alarms.alarms,
        )
        budget = config.operations.budget
        self.budget = CostBudget(
            self,
            "Budget",
            environment=config.name,
            monthly_limit_usd=budget.monthly_limit_usd,
            actual_alert_percents=budget.actual_alert_percents,
            forecast_alert_percent=budget.forecast_alert_percent,
            topic=alerts_topic,
        )

        CfnOutput(self, "DashboardName", value=self.dashboard.dashboard.dashboard_name)
        CfnOutput(self, "ChaosMonkeyKillSwitch", value=self.chaos_monkey.kill_switch.parameter_name)
        CfnOutput(self, "OriginCpuStressTemplateId", value=self.experiments.cpu_stress.attr_id)
        CfnOutput(self, "OriginTerminateTemplateId", value=self.experiments.terminate.attr_id)
        for zone, template in self.experiments.zone_outages.items():
            CfnOutput(self, f"OriginZoneOutage{zone[-1].upper()}TemplateId", value=template.attr_id)
