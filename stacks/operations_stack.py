"""Operations: chaos monkey, FIS experiments, dashboard, alarms and the budget of one environment."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput
from aws_cdk import aws_sns as sns
from constructs import Construct

from stacks.base_stack import ShowrunnerStack
from stacks.constructs.chaos_monkey import BusinessHours, ChaosMonkey
from stacks.constructs.cost_budget import CostBudget
from stacks.constructs.fis_experiments import FisExperiments
from stacks.constructs.observed import Observed
from stacks.constructs.operations_alarms import AlarmThresholds, OperationsAlarms
from stacks.constructs.operations_dashboard import OperationsDashboard


class OperationsStack(ShowrunnerStack):
    """The last stack of a stage; it watches and exercises the others and nothing depends on it.

    * ``chaos_monkey`` (``ChaosMonkey``): the opt-in chaos-monkey Lambda, its kill
      switch and its business-hours schedule.
    * ``alarms`` (``OperationsAlarms``) to ``alerts_topic``, including the origin
      5xx alarm that stops every experiment.
    * ``experiments`` (``FisExperiments``): FIS templates against the origin fleet.
    * ``dashboard`` (``OperationsDashboard``): ``showrunner-<env>``.
    * ``budget`` (``CostBudget``): the monthly budget with actual and forecast alerts.

    ``observed`` names what to watch (``stacks/constructs/observed.py``).
    """

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
