"""The monthly AWS Budget of one environment, alerting the Alerts topic."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import aws_budgets as budgets
from aws_cdk import aws_sns as sns
from constructs import Construct


class CostBudget(Construct):
    """A monthly cost budget of ``monthly_limit_usd`` for the resources of ``environment``.

    * Scope: costs tagged ``environment=<env>``. The tag must be activated as a
      cost-allocation tag in the Billing console once (docs/cost.md); until then
      the budget sees no costs.
    * Alerts to the Alerts topic (and so to ``alarm_email``): actual spend above
      each of ``actual_alert_percents``, and forecast spend above
      ``forecast_alert_percent`` of the limit.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        environment: str,
        monthly_limit_usd: int,
        actual_alert_percents: Sequence[int],
        forecast_alert_percent: int,
        topic: sns.ITopic,
    ) -> None:
        super().__init__(scope, construct_id)
        subscribers = [budgets.CfnBudget.SubscriberProperty(address=topic.topic_arn, subscription_type="SNS")]
        alerts = [("ACTUAL", percent) for percent in actual_alert_percents]
        alerts.append(("FORECASTED", forecast_alert_percent))
        self.budget = budgets.CfnBudget(
            self,
            "Budget",
            budget=budgets.CfnBudget.BudgetDataProperty(
                budget_name=f"showrunner-{environment}-monthly",
                budget_type="COST",
                time_unit="MONTHLY",
                budget_limit=budgets.CfnBudget.SpendProperty(amount=monthly_limit_usd, unit="USD"),
                cost_filters={"TagKeyValue": [f"user:environment${environment}"]},
            ),
            notifications_with_subscribers=[
                budgets.CfnBudget.NotificationWithSubscribersProperty(
                    notification=budgets.CfnBudget.NotificationProperty(
                        notification_type=kind,
                        comparison_operator="GREATER_THAN",
                        threshold=percent,
                        threshold_type="PERCENTAGE",
                    ),
                    subscribers=subscribers,
                )
                for kind, percent in alerts
            ],
        )
