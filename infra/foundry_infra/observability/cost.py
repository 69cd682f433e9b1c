"""Cost guards (spec §14): a monthly budget per environment and Cost Anomaly Detection."""

import json

from aws_cdk import aws_budgets as budgets
from aws_cdk import aws_ce as ce
from aws_cdk import aws_sns as sns
from constructs import Construct

from foundry_infra.config.model import OpsConfig

BUDGET_NOTIFICATIONS: tuple[tuple[str, int], ...] = (
    ("ACTUAL", 80),
    ("ACTUAL", 100),
    ("FORECASTED", 80),
    ("FORECASTED", 100),
)


class CostGuards(Construct):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        config: OpsConfig,
        environment: str,
        topic: sns.ITopic,
        name: str,
    ) -> None:
        super().__init__(scope, id_)
        self.budget: budgets.CfnBudget | None = None
        self.anomaly_monitor: ce.CfnAnomalyMonitor | None = None
        subscribers = [budgets.CfnBudget.SubscriberProperty(subscription_type="SNS", address=topic.topic_arn)]
        if config.alarm_email is not None:
            subscribers.append(
                budgets.CfnBudget.SubscriberProperty(subscription_type="EMAIL", address=config.alarm_email)
            )
        if config.budget:
            self.budget = budgets.CfnBudget(
                self,
                "MonthlyBudget",
                budget=budgets.CfnBudget.BudgetDataProperty(
                    budget_name=name,
                    budget_type="COST",
                    time_unit="MONTHLY",
                    budget_limit=budgets.CfnBudget.SpendProperty(
                        amount=config.monthly_budget_usd, unit="USD"
                    ),
                    # Every resource carries the `environment` tag (app.py). The tag must be activated
                    # as a cost allocation tag once per account, or the budget sees nothing: see
                    # docs/runbooks.md, "Budget shows no spend".
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
                    for kind, percent in BUDGET_NOTIFICATIONS
                ],
            )
        if config.cost_anomaly_monitor:
            # One monitor of every AWS service (spec §14 names NAT egress and DataTransfer-Out: both
            # show up per service). It is account-wide; ops.cost_anomaly_monitor says which
            # environment owns it.
            self.anomaly_monitor = ce.CfnAnomalyMonitor(
                self,
                "AnomalyMonitor",
                monitor_name=f"{name}-services",
                monitor_type="DIMENSIONAL",
                monitor_dimension="SERVICE",
            )
            ce.CfnAnomalySubscription(
                self,
                "AnomalySubscription",
                subscription_name=f"{name}-anomalies",
                monitor_arn_list=[self.anomaly_monitor.attr_monitor_arn],
                frequency="IMMEDIATE",
                threshold_expression=json.dumps(
                    {
                        "Dimensions": {
                            "Key": "ANOMALY_TOTAL_IMPACT_ABSOLUTE",
                            "MatchOptions": ["GREATER_THAN_OR_EQUAL"],
                            "Values": [str(config.cost_anomaly_usd)],
                        }
                    }
                ),
                subscribers=[
                    ce.CfnAnomalySubscription.SubscriberProperty(type="SNS", address=topic.topic_arn)
                ],
            )
