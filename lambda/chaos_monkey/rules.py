"""The chaos monkey's decisions, as pure functions of what it observed (no AWS calls here).

A run goes through two steps:

1. ``gate``: the kill switch must read exactly ``enabled`` and the moment must fall
   within business hours. Either failing ends the run before any group is read.
2. ``choose``: among the Auto Scaling groups opted in for this environment, the
   eligible ones are those that are steady (every instance in service and
   healthy, at least the desired capacity in service, no instance refresh under
   way). One in-service instance of one eligible group is picked at random.

Every outcome is a ``Decision``, including every reason for doing nothing, and
``Decision.to_log`` renders it as one structured log record.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

OPT_IN_TAG = "showrunner:chaos-monkey"
OPT_IN_VALUE = "opt-in"
ENVIRONMENT_TAG = "environment"
KILL_SWITCH_ENABLED = "enabled"
WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
# Instance refresh states in which the group is still being changed (DescribeInstanceRefreshes).
ACTIVE_REFRESH_STATES = frozenset({"Pending", "InProgress", "Cancelling", "RollbackInProgress", "Baking"})

Action = Literal["terminate", "dry-run", "skip"]
_HOURS = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")
_ENVIRONMENT = re.compile(r"^[a-z][a-z0-9-]{0,15}$")
_TRUE, _FALSE = frozenset({"true"}), frozenset({"false"})


class ConfigurationError(ValueError):
    """An environment variable of the function is missing or malformed."""


@dataclass(frozen=True)
class BusinessHours:
    days: frozenset[int]  # 0 = Monday
    start: time
    end: time
    zone: ZoneInfo

    def contains(self, moment: datetime) -> bool:
        local = moment.astimezone(self.zone)
        return local.weekday() in self.days and self.start <= local.time() < self.end

    def describe(self) -> str:
        days = ",".join(WEEKDAYS[d] for d in sorted(self.days))
        return f"{days} {self.start:%H:%M}-{self.end:%H:%M} {self.zone.key}"


@dataclass(frozen=True)
class Settings:
    environment: str
    kill_switch_parameter: str
    dry_run: bool
    hours: BusinessHours

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        """Read ``ENVIRONMENT``, ``KILL_SWITCH_PARAMETER``, ``DRY_RUN``, ``BUSINESS_DAYS``,
        ``BUSINESS_HOURS`` and ``TIME_ZONE``; raise ``ConfigurationError`` naming the bad one."""

        def required(name: str) -> str:
            value = env.get(name, "").strip()
            if not value:
                raise ConfigurationError(f"{name} is not set")
            return value

        environment = required("ENVIRONMENT")
        if not _ENVIRONMENT.fullmatch(environment):
            raise ConfigurationError(f"ENVIRONMENT must be an environment name such as 'dev', got {environment!r}")
        parameter = required("KILL_SWITCH_PARAMETER")
        if not parameter.startswith("/"):
            raise ConfigurationError(
                f"KILL_SWITCH_PARAMETER must be an SSM parameter name starting with '/', got {parameter!r}"
            )
        dry_run = required("DRY_RUN").lower()
        if dry_run not in _TRUE | _FALSE:
            raise ConfigurationError(f"DRY_RUN must be 'true' or 'false', got {dry_run!r}")
        days = [d.strip().upper() for d in required("BUSINESS_DAYS").split(",")]
        unknown = [d for d in days if d not in WEEKDAYS]
        if unknown:
            raise ConfigurationError(f"BUSINESS_DAYS must be days such as 'MON,TUE', got {unknown}")
        hours = _HOURS.fullmatch(required("BUSINESS_HOURS"))
        if hours is None:
            raise ConfigurationError(f"BUSINESS_HOURS must be 'HH:MM-HH:MM', got {env['BUSINESS_HOURS']!r}")
        start = time(int(hours[1]), int(hours[2]))
        end = time(int(hours[3]), int(hours[4]))
        if end <= start:
            raise ConfigurationError(f"BUSINESS_HOURS must end after it starts, got {env['BUSINESS_HOURS']!r}")
        zone_name = required("TIME_ZONE")
        try:
            zone = ZoneInfo(zone_name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigurationError(f"TIME_ZONE must be an IANA time zone, got {zone_name!r}") from None
        return cls(
            environment=environment,
            kill_switch_parameter=parameter,
            dry_run=dry_run in _TRUE,
            hours=BusinessHours(frozenset(WEEKDAYS.index(d) for d in days), start, end, zone),
        )


@dataclass(frozen=True)
class Member:
    """One instance of an Auto Scaling group, as DescribeAutoScalingGroups reports it."""

    instance_id: str
    lifecycle_state: str
    health_status: str
    availability_zone: str

    @property
    def in_service(self) -> bool:
        return self.lifecycle_state == "InService" and self.health_status == "Healthy"


@dataclass(frozen=True)
class Group:
    name: str
    desired_capacity: int
    members: tuple[Member, ...]
    tags: Mapping[str, str]
    active_refresh: str | None = None  # status of an instance refresh under way, if any


@dataclass(frozen=True)
class Skipped:
    group: str
    reason: str
    detail: str


@dataclass(frozen=True)
class Decision:
    action: Action
    reason: str
    message: str
    group: str | None = None
    instance: str | None = None
    availability_zone: str | None = None
    candidates: int = 0
    skipped: tuple[Skipped, ...] = field(default_factory=tuple)

    def to_log(self, *, environment: str, dry_run: bool, at: datetime) -> dict[str, Any]:
        return {
            "event": "chaos-monkey-decision",
            "environment": environment,
            "action": self.action,
            "reason": self.reason,
            "message": self.message,
            "dryRun": dry_run,
            "group": self.group,
            "instance": self.instance,
            "availabilityZone": self.availability_zone,
            "candidates": self.candidates,
            "skippedGroups": [{"group": s.group, "reason": s.reason, "detail": s.detail} for s in self.skipped],
            "time": at.isoformat(),
        }


def gate(settings: Settings, *, now: datetime, kill_switch: str | None) -> Decision | None:
    """A ``skip`` decision if the kill switch or the business hours forbid acting now, else None."""
    if kill_switch is None:
        return Decision(
            "skip",
            "kill-switch-missing",
            f"kill switch {settings.kill_switch_parameter} does not exist; acting only when it reads "
            f"'{KILL_SWITCH_ENABLED}'",
        )
    if kill_switch.strip() != KILL_SWITCH_ENABLED:
        return Decision(
            "skip",
            "kill-switch-off",
            f"kill switch {settings.kill_switch_parameter} reads {kill_switch.strip()[:64]!r}, not "
            f"'{KILL_SWITCH_ENABLED}'",
        )
    if not settings.hours.contains(now):
        local = now.astimezone(settings.hours.zone)
        return Decision(
            "skip",
            "outside-business-hours",
            f"{local:%a %H:%M} {settings.hours.zone.key} is outside business hours ({settings.hours.describe()})",
        )
    return None


def eligibility(group: Group, environment: str) -> Skipped | None:
    """Why ``group`` may not lose an instance now, or None when it may."""
    if group.tags.get(OPT_IN_TAG) != OPT_IN_VALUE:
        return Skipped(group.name, "not-opted-in", f"tag {OPT_IN_TAG} is not '{OPT_IN_VALUE}'")
    if group.tags.get(ENVIRONMENT_TAG) != environment:
        return Skipped(group.name, "other-environment", f"tag {ENVIRONMENT_TAG} is {group.tags.get(ENVIRONMENT_TAG)!r}")
    if group.active_refresh is not None:
        return Skipped(group.name, "instance-refresh", f"an instance refresh is {group.active_refresh}")
    in_service = sum(1 for m in group.members if m.in_service)
    if group.desired_capacity < 1 or in_service < group.desired_capacity:
        return Skipped(
            group.name,
            "below-desired-capacity",
            f"{in_service} in service, desired capacity {group.desired_capacity}",
        )
    changing = sorted(
        f"{m.instance_id}={m.lifecycle_state}/{m.health_status}" for m in group.members if not m.in_service
    )
    if changing:
        return Skipped(group.name, "instances-in-transition", ", ".join(changing))
    return None


def choose(settings: Settings, groups: Sequence[Group], rng: random.Random, *, dry_run: bool) -> Decision:
    """Pick at most one in-service instance of one eligible group, uniformly at random."""
    if not groups:
        return Decision(
            "skip",
            "no-opted-in-groups",
            f"no Auto Scaling group is tagged {OPT_IN_TAG}={OPT_IN_VALUE} and {ENVIRONMENT_TAG}={settings.environment}",
        )
    skipped: list[Skipped] = []
    candidates: list[tuple[Group, Member]] = []
    for group in sorted(groups, key=lambda g: g.name):
        reason = eligibility(group, settings.environment)
        if reason is not None:
            skipped.append(reason)
            continue
        candidates.extend((group, m) for m in sorted(group.members, key=lambda m: m.instance_id))
    if not candidates:
        return Decision(
            "skip", "no-eligible-group", "every opted-in group is unsafe to touch now", skipped=tuple(skipped)
        )
    group, member = rng.choice(candidates)
    return Decision(
        "dry-run" if dry_run else "terminate",
        "selected",
        f"{'would terminate' if dry_run else 'terminating'} {member.instance_id} of {group.name}",
        group=group.name,
        instance=member.instance_id,
        availability_zone=member.availability_zone,
        candidates=len(candidates),
        skipped=tuple(skipped),
    )
