"""SSM parameters (moto's model answers no Fn::GetAtt), SNS topic policies and subscriptions, SQS queue policies."""

from __future__ import annotations

import json
from typing import Any

from tools.developer.moto_models.base import CreateContext, Emulation, ResourceModel, aws_client, compact, register


@register("AWS::SSM::Parameter", Emulation.EMULATED)
class SsmParameter(ResourceModel):
    """Replaces moto's model, whose missing ``Fn::GetAtt Value`` dropped the CDK toolkit's ``BootstrapVersion``."""

    NAME_PROPERTY = "Name"

    @classmethod
    def create(cls, ctx: CreateContext, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        name = props.get("Name") or f"CFN-{ctx.logical_id}-{ctx.random_id()}"
        ctx.client("ssm").put_parameter(
            **compact(
                Name=name,
                Value=str(props["Value"]),
                Type=props["Type"],
                Description=props.get("Description"),
                AllowedPattern=props.get("AllowedPattern"),
                Tier=props.get("Tier"),
                DataType=props.get("DataType"),
                Tags=[{"Key": k, "Value": v} for k, v in props.get("Tags", {}).items()] or None,
            )
        )
        return name, {"Type": props["Type"], "Value": str(props["Value"])}

    def destroy(self) -> None:
        aws_client("ssm", self.region_name).delete_parameter(Name=self.physical_id)


def _default_policy(topic_arn: str) -> dict[str, Any]:
    """The policy SNS gives a new topic (what deleting a TopicPolicy restores)."""
    account = topic_arn.split(":")[4]
    actions = [
        "SNS:GetTopicAttributes",
        "SNS:SetTopicAttributes",
        "SNS:AddPermission",
        "SNS:RemovePermission",
        "SNS:DeleteTopic",
        "SNS:Subscribe",
        "SNS:ListSubscriptionsByTopic",
        "SNS:Publish",
    ]
    return {
        "Version": "2008-10-17",
        "Id": "__default_policy_ID",
        "Statement": [
            {
                "Sid": "__default_statement_ID",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": actions,
                "Resource": topic_arn,
                "Condition": {"StringEquals": {"AWS:SourceOwner": account}},
            }
        ],
    }


@register("AWS::SNS::TopicPolicy", Emulation.EMULATED)
class TopicPolicy(ResourceModel):
    @classmethod
    def create(cls, ctx: CreateContext, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        sns = ctx.client("sns")
        for topic in props["Topics"]:
            sns.set_topic_attributes(
                TopicArn=topic, AttributeName="Policy", AttributeValue=json.dumps(props["PolicyDocument"])
            )
        return ctx.name, {"Id": ctx.name}

    def destroy(self) -> None:
        sns = aws_client("sns", self.region_name)
        existing = {t["TopicArn"] for t in sns.list_topics()["Topics"]}
        for topic in self.properties["Topics"]:
            if topic in existing:
                sns.set_topic_attributes(
                    TopicArn=topic, AttributeName="Policy", AttributeValue=json.dumps(_default_policy(topic))
                )


@register("AWS::SNS::Subscription", Emulation.EMULATED)
class Subscription(ResourceModel):
    _ATTRIBUTES = ("DeliveryPolicy", "FilterPolicy", "FilterPolicyScope", "RawMessageDelivery", "RedrivePolicy")

    @classmethod
    def create(cls, ctx: CreateContext, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        attributes = {
            key: value if isinstance(value, str) else json.dumps(value)
            for key, value in props.items()
            if key in cls._ATTRIBUTES
        }
        if "RawMessageDelivery" in props:
            attributes["RawMessageDelivery"] = str(props["RawMessageDelivery"]).lower()
        arn: str = ctx.client("sns", props.get("Region")).subscribe(
            TopicArn=props["TopicArn"],
            Protocol=props["Protocol"],
            Endpoint=props.get("Endpoint", ""),
            Attributes=attributes,
            ReturnSubscriptionArn=True,
        )["SubscriptionArn"]
        return arn, {"Arn": arn}

    def destroy(self) -> None:
        aws_client("sns", self.properties.get("Region") or self.region_name).unsubscribe(
            SubscriptionArn=self.physical_id
        )


@register("AWS::SQS::QueuePolicy", Emulation.EMULATED)
class QueuePolicy(ResourceModel):
    """The queues' ``Policy`` attribute (moto's SQS keeps and answers it)."""

    @classmethod
    def create(cls, ctx: CreateContext, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        sqs = ctx.client("sqs")
        for queue in props["Queues"]:
            sqs.set_queue_attributes(QueueUrl=queue, Attributes={"Policy": json.dumps(props["PolicyDocument"])})
        return ctx.name, {"Id": ctx.name}

    def destroy(self) -> None:
        sqs = aws_client("sqs", self.region_name)
        existing = set(sqs.list_queues().get("QueueUrls", []))
        for queue in self.properties["Queues"]:
            if queue in existing:
                sqs.set_queue_attributes(QueueUrl=queue, Attributes={"Policy": ""})
