"""Operations and analytics: CloudWatch alarms, Auto Scaling policies and hooks, Firehose, WAFv2,
EventBridge Scheduler, Budgets, FIS experiment templates and CloudWatch Logs streams."""

from __future__ import annotations

from typing import Any

from tools.developer.moto_models.app_services import pick
from tools.developer.moto_models.base import (
    CreateContext,
    Emulation,
    RecordedModel,
    ResourceModel,
    aws_client,
    compact,
    register,
)

_ALARM_KEYS = (
    "AlarmDescription",
    "ActionsEnabled",
    "AlarmActions",
    "OKActions",
    "InsufficientDataActions",
    "MetricName",
    "Namespace",
    "Statistic",
    "ExtendedStatistic",
    "Dimensions",
    "Period",
    "Unit",
    "EvaluationPeriods",
    "DatapointsToAlarm",
    "Threshold",
    "ComparisonOperator",
    "TreatMissingData",
    "EvaluateLowSampleCountPercentile",
    "Metrics",
    "ThresholdMetricId",
    "Tags",
)


@register("AWS::CloudWatch::Alarm", Emulation.EMULATED)
class Alarm(ResourceModel):
    NAME_PROPERTY = "AlarmName"

    @classmethod
    def create(cls, ctx: CreateContext, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        cloudwatch = ctx.client("cloudwatch")
        cloudwatch.put_metric_alarm(AlarmName=ctx.name, **pick(props, *_ALARM_KEYS))
        arn = cloudwatch.describe_alarms(AlarmNames=[ctx.name])["MetricAlarms"][0]["AlarmArn"]
        return ctx.name, {"Arn": arn}

    def destroy(self) -> None:
        aws_client("cloudwatch", self.region_name).delete_alarms(AlarmNames=[self.physical_id])


@register("AWS::CloudWatch::CompositeAlarm", Emulation.RECORDED)
class CompositeAlarm(RecordedModel):
    """moto's CloudWatch has no PutCompositeAlarm; the properties are recorded, Ref gives the name."""

    NAME_PROPERTY = "AlarmName"

    @classmethod
    def create(cls, ctx: CreateContext, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        return ctx.name, {"Arn": ctx.arn("cloudwatch", f"alarm:{ctx.name}")}


@register("AWS::AutoScaling::ScalingPolicy", Emulation.EMULATED)
class ScalingPolicy(ResourceModel):
    @classmethod
    def create(cls, ctx: CreateContext, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        name = f"{ctx.name}"[:255]
        extra = pick(
            props,
            "PolicyType",
            "AdjustmentType",
            "MetricAggregationType",
            "MinAdjustmentMagnitude",
            "StepAdjustments",
            "TargetTrackingConfiguration",
            "PredictiveScalingConfiguration",
        )
        for key in ("ScalingAdjustment", "Cooldown", "EstimatedInstanceWarmup"):
            if key in props:
                extra[key] = int(props[key])
        autoscaling = ctx.client("autoscaling")
        autoscaling.put_scaling_policy(AutoScalingGroupName=props["AutoScalingGroupName"], PolicyName=name, **extra)
        # moto answers PutScalingPolicy with "PolicyArn" where the API has "PolicyARN"; read it back.
        arn: str = autoscaling.describe_policies(
            AutoScalingGroupName=props["AutoScalingGroupName"], PolicyNames=[name]
        )["ScalingPolicies"][0]["PolicyARN"]
        return arn, {"Arn": arn, "PolicyName": name}

    def destroy(self) -> None:
        aws_client("autoscaling", self.region_name).delete_policy(
            AutoScalingGroupName=self.properties["AutoScalingGroupName"], PolicyName=self.attributes["PolicyName"]
        )


@register("AWS::AutoScaling::LifecycleHook", Emulation.EMULATED)
class LifecycleHook(ResourceModel):
    NAME_PROPERTY = "LifecycleHookName"

    @classmethod
    def create(cls, ctx: CreateContext, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        ctx.client("autoscaling").put_lifecycle_hook(
            AutoScalingGroupName=props["AutoScalingGroupName"],
            LifecycleHookName=ctx.name,
            **pick(
                props,
                "LifecycleTransition",
                "HeartbeatTimeout",
                "DefaultResult",
                "NotificationMetadata",
                "NotificationTargetARN",
                "RoleARN",
            ),
        )
        return ctx.name, {}

    def destroy(self) -> None:
        aws_client("autoscaling", self.region_name).delete_lifecycle_hook(
            AutoScalingGroupName=self.properties["AutoScalingGroupName"], LifecycleHookName=self.physical_id
        )


@register("AWS::AutoScaling::ScheduledAction", Emulation.EMULATED)
class ScheduledAction(ResourceModel):
    """moto's model gives no physical ID (so no ``Ref``) and cannot be deleted."""

    @classmethod
    def create(cls, ctx: CreateContext, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        name = ctx.name[:255]
        extra = pick(props, "Recurrence", "StartTime", "EndTime", "TimeZone")
        for key in ("MinSize", "MaxSize", "DesiredCapacity"):
            if key in props:
                extra[key] = int(props[key])
        ctx.client("autoscaling").put_scheduled_update_group_action(
            AutoScalingGroupName=props["AutoScalingGroupName"], ScheduledActionName=name, **extra
        )
        return name, {}

    def destroy(self) -> None:
        aws_client("autoscaling", self.region_name).delete_scheduled_action(
            AutoScalingGroupName=self.properties["AutoScalingGroupName"], ScheduledActionName=self.physical_id
        )


@register("AWS::KinesisFirehose::DeliveryStream", Emulation.EMULATED)
class DeliveryStream(ResourceModel):
    NAME_PROPERTY = "DeliveryStreamName"

    @classmethod
    def create(cls, ctx: CreateContext, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        firehose = ctx.client("firehose")
        name = ctx.name[:64]
        firehose.create_delivery_stream(
            DeliveryStreamName=name,
            **pick(
                props,
                "DeliveryStreamType",
                "KinesisStreamSourceConfiguration",
                "DeliveryStreamEncryptionConfigurationInput",
                "ExtendedS3DestinationConfiguration",
                "S3DestinationConfiguration",
                "HttpEndpointDestinationConfiguration",
                "SplunkDestinationConfiguration",
                "Tags",
            ),
        )
        arn = firehose.describe_delivery_stream(DeliveryStreamName=name)["DeliveryStreamDescription"][
            "DeliveryStreamARN"
        ]
        return name, {"Arn": arn}

    def destroy(self) -> None:
        aws_client("firehose", self.region_name).delete_delivery_stream(DeliveryStreamName=self.physical_id)


class _WafEntity(ResourceModel):
    """A WAFv2 entity: ``Ref`` gives ``name|id|scope``."""

    KIND = ""
    KEYS: tuple[str, ...] = ()

    @classmethod
    def create(cls, ctx: CreateContext, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        name = props.get("Name") or ctx.name[:128]
        create = getattr(ctx.client("wafv2"), f"create_{cls.KIND}")
        summary = create(Name=name, Scope=props["Scope"], **pick(props, *cls.KEYS))["Summary"]
        return f"{name}|{summary['Id']}|{props['Scope']}", {"Arn": summary["ARN"], "Id": summary["Id"]}

    def destroy(self) -> None:
        name, entity_id, scope = self.physical_id.split("|")
        wafv2 = aws_client("wafv2", self.region_name)
        lock_token = getattr(wafv2, f"get_{self.KIND}")(Name=name, Scope=scope, Id=entity_id)["LockToken"]
        getattr(wafv2, f"delete_{self.KIND}")(Name=name, Scope=scope, Id=entity_id, LockToken=lock_token)


@register("AWS::WAFv2::WebACL", Emulation.EMULATED)
class WebAcl(_WafEntity):
    KIND = "web_acl"
    KEYS = (
        "DefaultAction",
        "VisibilityConfig",
        "Rules",
        "Description",
        "CustomResponseBodies",
        "CaptchaConfig",
        "ChallengeConfig",
        "TokenDomains",
        "AssociationConfig",
        "Tags",
    )


@register("AWS::WAFv2::IPSet", Emulation.EMULATED)
class IpSet(_WafEntity):
    KIND = "ip_set"
    KEYS = ("IPAddressVersion", "Addresses", "Description", "Tags")


@register("AWS::WAFv2::LoggingConfiguration", Emulation.EMULATED)
class WafLoggingConfiguration(ResourceModel):
    """``Ref`` gives the web ACL's ARN, as in CloudFormation."""

    @classmethod
    def create(cls, ctx: CreateContext, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        ctx.client("wafv2").put_logging_configuration(
            LoggingConfiguration=pick(props, "ResourceArn", "LogDestinationConfigs", "RedactedFields", "LoggingFilter")
        )
        return props["ResourceArn"], {"ManagedByFirewallManager": False}

    def destroy(self) -> None:
        aws_client("wafv2", self.region_name).delete_logging_configuration(ResourceArn=self.physical_id)


@register("AWS::Scheduler::ScheduleGroup", Emulation.EMULATED)
class ScheduleGroup(ResourceModel):
    NAME_PROPERTY = "Name"

    @classmethod
    def create(cls, ctx: CreateContext, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        arn: str = ctx.client("scheduler").create_schedule_group(
            Name=ctx.name[:64], **({"Tags": props["Tags"]} if props.get("Tags") else {})
        )["ScheduleGroupArn"]
        return ctx.name[:64], {"Arn": arn}

    def destroy(self) -> None:
        aws_client("scheduler", self.region_name).delete_schedule_group(Name=self.physical_id)


@register("AWS::Scheduler::Schedule", Emulation.EMULATED)
class Schedule(ResourceModel):
    NAME_PROPERTY = "Name"

    @classmethod
    def create(cls, ctx: CreateContext, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        arn: str = ctx.client("scheduler").create_schedule(
            Name=ctx.name[:64],
            ScheduleExpression=props["ScheduleExpression"],
            FlexibleTimeWindow=props["FlexibleTimeWindow"],
            Target=props["Target"],
            **pick(
                props,
                "GroupName",
                "ScheduleExpressionTimezone",
                "State",
                "Description",
                "StartDate",
                "EndDate",
                "KmsKeyArn",
            ),
        )["ScheduleArn"]
        return ctx.name[:64], {"Arn": arn}

    def destroy(self) -> None:
        aws_client("scheduler", self.region_name).delete_schedule(
            Name=self.physical_id, **pick(self.properties, "GroupName")
        )


@register("AWS::Budgets::Budget", Emulation.EMULATED)
class Budget(ResourceModel):
    @classmethod
    def create(cls, ctx: CreateContext, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        budget = dict(props["Budget"])
        budget.setdefault("BudgetName", ctx.name[:100])
        if "BudgetLimit" in budget:
            budget["BudgetLimit"] = {**budget["BudgetLimit"], "Amount": str(budget["BudgetLimit"]["Amount"])}
        notifications = [
            {
                "Notification": {**n["Notification"], "Threshold": float(n["Notification"]["Threshold"])},
                "Subscribers": n["Subscribers"],
            }
            for n in props.get("NotificationsWithSubscribers", [])
        ]
        ctx.client("budgets").create_budget(
            AccountId=ctx.account_id, Budget=budget, NotificationsWithSubscribers=notifications
        )
        return budget["BudgetName"], {}

    def destroy(self) -> None:
        aws_client("budgets", self.region_name).delete_budget(AccountId=self.account_id, BudgetName=self.physical_id)


def _camel(value: dict[str, Any], *keys: str) -> dict[str, Any]:
    """FIS's API is camelCase where CloudFormation is PascalCase; convert the named keys only."""
    return {key[0].lower() + key[1:]: value[key] for key in keys if key in value}


@register("AWS::FIS::ExperimentTemplate", Emulation.EMULATED)
class ExperimentTemplate(ResourceModel):
    @classmethod
    def create(cls, ctx: CreateContext, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        targets = {
            name: {
                **_camel(target, "ResourceType", "ResourceArns", "ResourceTags", "SelectionMode", "Parameters"),
                **(
                    {"filters": [_camel(f, "Path", "Values") for f in target["Filters"]]} if "Filters" in target else {}
                ),
            }
            for name, target in props.get("Targets", {}).items()
        }
        actions = {
            name: _camel(action, "ActionId", "Description", "Parameters", "Targets", "StartAfter")
            for name, action in props.get("Actions", {}).items()
        }
        log = props.get("LogConfiguration")
        template = ctx.client("fis").create_experiment_template(
            clientToken=ctx.name,
            description=props["Description"],
            stopConditions=[_camel(c, "Source", "Value") for c in props["StopConditions"]],
            targets=targets,
            actions=actions,
            roleArn=props["RoleArn"],
            **compact(
                tags=props.get("Tags"),
                logConfiguration=_fis_log_configuration(log) if log else None,
                experimentOptions=_camel(props["ExperimentOptions"], "AccountTargeting", "EmptyTargetResolutionMode")
                if "ExperimentOptions" in props
                else None,
            ),
        )["experimentTemplate"]
        return template["id"], {"Id": template["id"]}

    def destroy(self) -> None:
        aws_client("fis", self.region_name).delete_experiment_template(id=self.physical_id)


def _fis_log_configuration(log: dict[str, Any]) -> dict[str, Any]:
    api: dict[str, Any] = {"logSchemaVersion": int(log["LogSchemaVersion"])}
    if "CloudWatchLogsConfiguration" in log:
        api["cloudWatchLogsConfiguration"] = {"logGroupArn": log["CloudWatchLogsConfiguration"]["LogGroupArn"]}
    if "S3Configuration" in log:
        api["s3Configuration"] = _camel(log["S3Configuration"], "BucketName", "Prefix")
    return api


@register("AWS::Logs::LogStream", Emulation.EMULATED)
class LogStream(ResourceModel):
    NAME_PROPERTY = "LogStreamName"

    @classmethod
    def create(cls, ctx: CreateContext, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        ctx.client("logs").create_log_stream(logGroupName=props["LogGroupName"], logStreamName=ctx.name)
        return ctx.name, {}

    def destroy(self) -> None:
        aws_client("logs", self.region_name).delete_log_stream(
            logGroupName=self.properties["LogGroupName"], logStreamName=self.physical_id
        )
