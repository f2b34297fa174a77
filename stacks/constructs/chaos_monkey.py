"""The chaos-monkey Lambda, its kill switch and its business-hours schedule."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import Duration, Stack, TimeZone
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as targets
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from stacks.constructs.origin_fleet import CHAOS_MONKEY_OPT_IN, CHAOS_MONKEY_TAG
from stacks.constructs.props import EnvironmentProps, FromSetting
from stacks.constructs.python_function import PythonFunction

KILL_SWITCH_ENABLED = "enabled"
KILL_SWITCH_DISABLED = "disabled"


def kill_switch_name(environment: str) -> str:
    return f"/showrunner/{environment}/chaos-monkey/state"


def terminations_name(environment: str) -> str:
    return f"/showrunner/{environment}/chaos-monkey/terminations"


@dataclass(frozen=True, kw_only=True)
class BusinessHours:
    """When the monkey may act: ``days`` (MON..SUN) from ``start`` to ``end`` (HH:MM, same day) in ``time_zone``."""

    days: Sequence[str]
    start: str
    end: str
    time_zone: str


def business_hours_cron(hours: BusinessHours) -> dict[str, str]:
    """Cron fields that fire once an hour inside ``hours``: at ``start``'s minute, first at ``start``.

    10:00-16:00 gives 10:00, 11:00, ... 15:00; 13:30-15:00 gives 13:30 and 14:30.
    """
    start_hour, minute = (int(part) for part in hours.start.split(":"))
    end_hour, end_minute = (int(part) for part in hours.end.split(":"))
    last_hour = end_hour if end_minute > minute else end_hour - 1
    hour = str(start_hour) if last_hour == start_hour else f"{start_hour}-{last_hour}"
    return {"minute": str(minute), "hour": hour, "week_day": ",".join(hours.days)}


class ChaosMonkey(Construct):
    """Terminates one random in-service instance of an opted-in Auto Scaling group, hourly in business hours.

    * ``kill_switch``: SSM parameter ``/showrunner/<env>/chaos-monkey/state``. The
      function acts only while it reads exactly ``enabled``; it is created ``enabled`` when
      ``operations.chaos_monkey.enabled`` is true, else ``disabled``.
    * ``terminations``: SSM parameter ``/showrunner/<env>/chaos-monkey/terminations``,
      the time of the last termination per group (``{}`` at first): a group loses at
      most one instance per ``min_interval_minutes``.
    * ``function``: ``lambda/chaos_monkey`` (``PythonFunction``), no asynchronous
      retries; ``reserved_concurrency`` (from ``reserved_concurrency_setting``, which the
      template's metadata names) only when configured. Its role may read the kill switch,
      read and write the termination record, describe groups and instance refreshes, and terminate instances
      only in groups tagged ``showrunner:chaos-monkey=opt-in`` and ``environment=<env>``; ``stand_down_on``
      adds the alarms it watches, and lets it describe exactly those.
    * ``schedule``: EventBridge Scheduler, hourly within the business hours in
      their time zone, no retries (a retry could be a second termination);
      disabled unless ``operations.chaos_monkey.enabled``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        env: EnvironmentProps,
        enabled: bool,
        dry_run: bool,
        hours: BusinessHours,
        min_interval_minutes: int,
        reserved_concurrency: FromSetting | None,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)

        self.kill_switch = ssm.StringParameter(
            self,
            "KillSwitch",
            parameter_name=kill_switch_name(env.name),
            string_value=KILL_SWITCH_ENABLED if enabled else KILL_SWITCH_DISABLED,
            description=f"Showrunner {env.name} chaos monkey: acts only while this reads '{KILL_SWITCH_ENABLED}'",
        )
        self.terminations = ssm.StringParameter(
            self,
            "Terminations",
            parameter_name=terminations_name(env.name),
            string_value="{}",
            description=f"Showrunner {env.name} chaos monkey: the last termination per Auto Scaling group",
        )
        self.function = PythonFunction(
            self,
            "Function",
            env=env,
            source="chaos_monkey",
            description=f"Showrunner {env.name} chaos monkey: terminates one opted-in origin instance",
            environment={
                "ENVIRONMENT": env.name,
                "KILL_SWITCH_PARAMETER": self.kill_switch.parameter_name,
                "DRY_RUN": "true" if dry_run else "false",
                "BUSINESS_DAYS": ",".join(hours.days),
                "BUSINESS_HOURS": f"{hours.start}-{hours.end}",
                "TIME_ZONE": hours.time_zone,
                "TERMINATIONS_PARAMETER": self.terminations.parameter_name,
                "MIN_INTERVAL_MINUTES": str(min_interval_minutes),
            },
            timeout=Duration.seconds(60),
            reserved_concurrency=reserved_concurrency,
            # The schedule invokes asynchronously: no Lambda retries either, or one run could terminate twice.
            retry_attempts=0,
        )
        role = self.function.role
        assert role is not None
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="ReadKillSwitch", actions=["ssm:GetParameter"], resources=[self.kill_switch.parameter_arn]
            )
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="RecordTerminations",
                actions=["ssm:GetParameter", "ssm:PutParameter"],
                resources=[self.terminations.parameter_arn],
            )
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="DescribeGroups",
                actions=["autoscaling:DescribeAutoScalingGroups", "autoscaling:DescribeInstanceRefreshes"],
                resources=["*"],  # Auto Scaling's Describe actions take no resource ARN
            )
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="TerminateInOptedInGroupsOfThisEnvironment",
                actions=["autoscaling:TerminateInstanceInAutoScalingGroup"],
                resources=[
                    f"arn:{stack.partition}:autoscaling:{stack.region}:{stack.account}:autoScalingGroup:*:"
                    "autoScalingGroupName/*"
                ],
                conditions={
                    "StringEquals": {
                        f"autoscaling:ResourceTag/{CHAOS_MONKEY_TAG}": CHAOS_MONKEY_OPT_IN,
                        "autoscaling:ResourceTag/environment": env.name,
                    }
                },
            )
        )

        self.schedule = scheduler.Schedule(
            self,
            "Schedule",
            description=f"Showrunner {env.name} chaos monkey, hourly in business hours ({hours.time_zone})",
            schedule=scheduler.ScheduleExpression.cron(
                **business_hours_cron(hours), time_zone=TimeZone.of(hours.time_zone)
            ),
            target=targets.LambdaInvoke(
                self.function,
                input=scheduler.ScheduleTargetInput.from_object({"source": "schedule"}),
                retry_attempts=0,
                max_event_age=Duration.minutes(5),
            ),
            enabled=enabled,
        )

    def stand_down_on(self, alarms: Sequence[cloudwatch.IAlarm]) -> None:
        """Do nothing while any of ``alarms`` is in ALARM (or missing); the role may describe exactly these."""
        if not alarms:
            raise ValueError("the chaos monkey needs at least one alarm to stand down on")
        self.function.add_environment("STAND_DOWN_ALARMS", ",".join(alarm.alarm_name for alarm in alarms))
        role = self.function.role
        assert role is not None
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="ReadStandDownAlarms",
                actions=["cloudwatch:DescribeAlarms"],
                resources=[alarm.alarm_arn for alarm in alarms],
            )
        )
