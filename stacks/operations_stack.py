"""Operations: chaos monkey, FIS experiments, dashboard, alarms and the budget of one environment."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput
from aws_cdk import aws_sns as sns
from constructs import Construct

from stacks.base_stack import ShowrunnerStack
from stacks.constructs.chaos_monkey import ChaosMonkey
from stacks.constructs.cost_budget import CostBudget
from stacks.constructs.fis_experiments import FisExperiments
from stacks.constructs.observed import Observed
from stacks.constructs.operations_alarms import OperationsAlarms
from stacks.constructs.operations_dashboard import OperationsDashboard


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

    def __init__(
        self, scope: Construct, construct_id: str, *, observed: Observed, alerts_topic: sns.ITopic, **kwargs: Any
    ) -> None:
        super().__init__(
            scope, construct_id, description="chaos monkey, FIS experiments, dashboard, alarms, budget", **kwargs
        )
        config = self.config

        self.chaos_monkey = ChaosMonkey(self, "ChaosMonkey", config=config)
        self.alarms = OperationsAlarms(
            self,
            "Alarms",
            config=config,
            observed=observed,
            topic=alerts_topic,
            chaos_monkey=self.chaos_monkey.function,
        )
        self.chaos_monkey.stand_down_on(self.alarms.stand_down)
        self.experiments = FisExperiments(self, "Experiments", config=config, stop_alarm=self.alarms.origin_5xx)
        self.dashboard = OperationsDashboard(
            self,
            "Dashboard",
            config=config,
            observed=observed,
            functions={"ChaosMonkey": self.chaos_monkey.function, **observed.functions},
            alarms=self.alarms.alarms,
        )
        self.budget = CostBudget(self, "Budget", config=config, topic=alerts_topic)

        CfnOutput(self, "DashboardName", value=self.dashboard.dashboard.dashboard_name)
        CfnOutput(self, "ChaosMonkeyKillSwitch", value=self.chaos_monkey.kill_switch.parameter_name)
        CfnOutput(self, "OriginCpuStressTemplateId", value=self.experiments.cpu_stress.attr_id)
        CfnOutput(self, "OriginTerminateTemplateId", value=self.experiments.terminate.attr_id)
        for zone, template in self.experiments.zone_outages.items():
            CfnOutput(self, f"OriginZoneOutage{zone[-1].upper()}TemplateId", value=template.attr_id)
