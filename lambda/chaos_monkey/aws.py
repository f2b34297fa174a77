"""The chaos monkey's AWS calls: the kill switch and the termination record (SSM), the stand-down alarms
(CloudWatch), the opted-in groups and the termination (Auto Scaling)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from botocore.exceptions import ClientError

from chaos_monkey.rules import ACTIVE_REFRESH_STATES, ENVIRONMENT_TAG, OPT_IN_TAG, OPT_IN_VALUE, Group, Member

if TYPE_CHECKING:
    from types_boto3_autoscaling import AutoScalingClient
    from types_boto3_autoscaling.type_defs import FilterTypeDef
    from types_boto3_ssm import SSMClient


class CloudWatchClient(Protocol):
    """The one CloudWatch call the monkey makes (boto3's client; its stubs are not a dependency here)."""

    def describe_alarms(self, **kwargs: Any) -> Any: ...


def read_parameter(ssm: SSMClient, name: str) -> str | None:
    """The parameter's value, or None if it does not exist. Any other error propagates."""
    try:
        value: str = ssm.get_parameter(Name=name)["Parameter"]["Value"]
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ParameterNotFound":
            return None
        raise
    return value


read_kill_switch = read_parameter


def write_parameter(ssm: SSMClient, name: str, value: str) -> None:
    ssm.put_parameter(Name=name, Value=value, Type="String", Overwrite=True)


def alarm_states(cloudwatch: CloudWatchClient, names: tuple[str, ...]) -> dict[str, str | None]:
    """Each alarm's state (``OK``, ``ALARM``, ``INSUFFICIENT_DATA``), or None when it does not exist.

    One DescribeAlarms call per alarm, naming it: the role may describe exactly these alarms (their ARNs).
    """
    states: dict[str, str | None] = {}
    for name in names:
        found = cloudwatch.describe_alarms(AlarmNames=[name], AlarmTypes=["MetricAlarm", "CompositeAlarm"])
        alarms = [*found.get("MetricAlarms", []), *found.get("CompositeAlarms", [])]
        states[name] = next((str(a["StateValue"]) for a in alarms if a["AlarmName"] == name), None)
    return states


class AutoScaling:
    def __init__(self, client: AutoScalingClient) -> None:
        self.client = client

    def opted_in_groups(self, environment: str) -> list[Group]:
        """Groups tagged for the chaos monkey in ``environment``, each with any instance refresh under way."""
        groups = []
        paginator = self.client.get_paginator("describe_auto_scaling_groups")
        filters: list[FilterTypeDef] = [
            {"Name": f"tag:{OPT_IN_TAG}", "Values": [OPT_IN_VALUE]},
            {"Name": f"tag:{ENVIRONMENT_TAG}", "Values": [environment]},
        ]
        for page in paginator.paginate(Filters=filters):
            for raw in page["AutoScalingGroups"]:
                groups.append(self._group(raw))
        return groups

    def _group(self, raw: Any) -> Group:
        name: str = raw["AutoScalingGroupName"]
        # At most one refresh is under way at a time; the first page holds the newest ones.
        refreshes = self.client.describe_instance_refreshes(AutoScalingGroupName=name)["InstanceRefreshes"]
        active = [r["Status"] for r in refreshes if r["Status"] in ACTIVE_REFRESH_STATES]
        return Group(
            name=name,
            desired_capacity=int(raw["DesiredCapacity"]),
            members=tuple(
                Member(
                    instance_id=i["InstanceId"],
                    lifecycle_state=i["LifecycleState"],
                    health_status=i["HealthStatus"],
                    availability_zone=i["AvailabilityZone"],
                )
                for i in raw.get("Instances", [])
            ),
            tags={t["Key"]: t["Value"] for t in raw.get("Tags", [])},
            active_refresh=active[0] if active else None,
        )

    def terminate(self, instance_id: str) -> None:
        """Terminate through Auto Scaling, keeping the desired capacity, so a replacement starts at once."""
        self.client.terminate_instance_in_auto_scaling_group(
            InstanceId=instance_id, ShouldDecrementDesiredCapacity=False
        )
