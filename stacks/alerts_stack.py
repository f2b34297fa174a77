"""Alerts: the SNS topic every alarm and operational notification goes to."""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from stacks.base_stack import ShowrunnerStack
from stacks.compliance import Ack

# Services that publish to the topic and therefore need the key.
PUBLISHERS = ("cloudwatch.amazonaws.com", "events.amazonaws.com", "budgets.amazonaws.com")


class AlertsStack(ShowrunnerStack):
    """One encrypted SNS topic per environment, with the alarm email subscribed.

    * The topic is encrypted with a customer managed KMS key, because the AWS
      managed ``alias/aws/sns`` key cannot grant CloudWatch alarms, EventBridge
      or Budgets the right to publish.
    * Publishing is TLS-only (``enforce_ssl``).
    * ``alarm_email`` (optional) is subscribed; the recipient must confirm it.

    Other stacks publish alarms, Auto Scaling notifications and budget alerts
    here through ``topic``; this stack depends on nothing, so none of them
    forms a cycle with it.
    """

    checkov_skips = (
        Ack(
            "AlertsKey/Resource",
            "CKV_AWS_33",
            "The one '*' principal (AllowAutoScalingNotifications) is narrowed by aws:PrincipalArn to this "
            "account's AWSServiceRoleForAutoScaling and by kms:CallerAccount to this account; the role cannot "
            "be named as the principal because it may not exist yet, and a missing principal invalidates the key "
            "policy.",
        ),
    )

    def __init__(self, scope: Construct, construct_id: str, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, description="alerts topic and its key", **kwargs)
        config = self.config

        self.key = kms.Key(
            self,
            "AlertsKey",
            description=f"Showrunner {config.name} alerts topic",
            enable_key_rotation=True,
            pending_window=Duration.days(7),
            removal_policy=RemovalPolicy.DESTROY,
        )
        publishers = [iam.ServicePrincipal(service) for service in PUBLISHERS]
        same_account = {"StringEquals": {"aws:SourceAccount": self.account}}
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowAwsServicesToPublishEncryptedAlerts",
                principals=publishers,
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],  # in a key policy, "*" means this key
                conditions=same_account,
            )
        )
        self.topic = sns.Topic(
            self,
            "AlertsTopic",
            display_name=f"Showrunner {config.name} alerts",
            master_key=self.key,
            enforce_ssl=True,
        )
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowAwsServicesToPublish",
                principals=publishers,
                actions=["sns:Publish"],
                resources=[self.topic.topic_arn],
                conditions=same_account,
            )
        )
        if config.alarm_email:
            self.topic.add_subscription(subscriptions.EmailSubscription(config.alarm_email))
