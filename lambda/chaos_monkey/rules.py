"""The chaos monkey's decisions, as pure functions of what it observed (no AWS calls here).

A run goes through these steps, each able to end it with a ``skip``:

1. ``dry_run_requested``: the event may ask for a dry run with ``{"dryRun": true}``;
   any other value of ``dryRun`` (a string, a number, null) is refused, never read
   as "not a dry run".
2. ``gate``: the kill switch must read exactly ``enabled`` (no trimming, no case
   folding) and the moment must fall within business hours.
3. ``stand_down``: no alarm of ``STAND_DOWN_ALARMS`` (the origin's 5xx, latency and
   fleet alarms, CloudFront's 5xx) may be in ALARM, as FIS experiments stop on
   the origin 5xx alarm; a missing alarm also stands the monkey down.
4. ``choose``: among the Auto Scaling groups opted in for this environment, the
   eligible ones are those that are steady (every instance in service and
   healthy, at least the desired capacity in service, no instance refresh under
   way) and that lost no instance to the monkey within ``min_interval`` (its
   terminations are recorded per group, ``parse_terminations``). One in-service
   instance of one eligible group is picked at random.

Every outcome is a ``Decision``, including every reason for doing nothing, and
``Decision.to_log`` renders it as one structured log record.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
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
# An alarm name as CloudWatch allows it (1-255 characters), without the comma that separates them here.
_ALARM_NAME = re.compile(r"^[^,\x00-\x1f]{1,255}$")
MAX_INTERVAL_MINUTES = 7 * 24 * 60


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
    terminations_parameter: str
    min_interval: timedelta
    stand_down_alarms: tuple[str, ...]

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        """Read ``ENVIRONMENT``, ``KILL_SWITCH_PARAMETER``, ``DRY_RUN``, ``BUSINESS_DAYS``,
        ``BUSINESS_HOURS``, ``TIME_ZONE``, ``TERMINATIONS_PARAMETER``, ``MIN_INTERVAL_MINUTES`` and
        ``STAND_DOWN_ALARMS``; raise ``ConfigurationError`` naming the bad one."""

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
        terminations = required("TERMINATIONS_PARAMETER")
        if not terminations.startswith("/"):
            raise ConfigurationError(
                f"TERMINATIONS_PARAMETER must be an SSM parameter name starting with '/', got {terminations!r}"
            )
        minutes = required("MIN_INTERVAL_MINUTES")
        if not (minutes.isascii() and minutes.isdigit() and len(minutes) <= 6) or not (
            1 <= int(minutes) <= MAX_INTERVAL_MINUTES
        ):
            raise ConfigurationError(
                f"MIN_INTERVAL_MINUTES must be whole minutes from 1 to {MAX_INTERVAL_MINUTES}, got {minutes!r}"
            )
        alarms = tuple(required("STAND_DOWN_ALARMS").split(","))
        if not all(_ALARM_NAME.fullmatch(name) for name in alarms):
            raise ConfigurationError(
                f"STAND_DOWN_ALARMS must be CloudWatch alarm names separated by commas, got {list(alarms)}"
            )
        return cls(
            environment=environment,
            kill_switch_parameter=parameter,
            dry_run=dry_run in _TRUE,
            hours=BusinessHours(frozenset(WEEKDAYS.index(d) for d in days), start, end, zone),
            terminations_parameter=terminations,
            min_interval=timedelta(minutes=int(minutes)),
            stand_down_alarms=alarms,
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


def dry_run_requested(event: object, settings: Settings) -> bool | Decision:
    """Whether this run is a dry run, or a ``skip`` when the event asks in a way we do not read.

    Only a JSON boolean ``dryRun`` counts; the configured dry run can never be turned off by an event.
    """
    if event is None:
        event = {}
    if not isinstance(event, Mapping):
        return Decision("skip", "invalid-event", f"the event must be a JSON object, got {type(event).__name__}")
    requested = event.get("dryRun", False)
    if not isinstance(requested, bool):
        return Decision(
            "skip", "invalid-event", f"dryRun must be true or false, got {json.dumps(requested, default=str)[:64]}"
        )
    return settings.dry_run or requested


def gate(settings: Settings, *, now: datetime, kill_switch: str | None) -> Decision | None:
    """A ``skip`` decision if the kill switch or the business hours forbid acting now, else None."""
    if kill_switch is None:
        return Decision(
            "skip",
            "kill-switch-missing",
            f"kill switch {settings.kill_switch_parameter} does not exist; acting only when it reads "
            f"'{KILL_SWITCH_ENABLED}'",
        )
    if kill_switch != KILL_SWITCH_ENABLED:
        return Decision(
            "skip",
            "kill-switch-off",
            f"kill switch {settings.kill_switch_parameter} reads {kill_switch[:64]!r}, not exactly "
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


def stand_down(alarms: Mapping[str, str | None]) -> Decision | None:
    """A ``skip`` while any watched alarm is in ALARM, or missing (None); else None."""
    missing = sorted(name for name, state in alarms.items() if state is None)
    if missing:
        return Decision("skip", "stand-down-alarm-missing", f"alarms {missing} do not exist; standing down")
    firing = sorted(name for name, state in alarms.items() if state == "ALARM")
    if firing:
        return Decision("skip", "stand-down", f"alarms {firing} are in ALARM; standing down as FIS experiments do")
    return None


def parse_terminations(text: str | None) -> dict[str, datetime] | None:
    """The recorded time of the last termination per group (``{"<group>": "<ISO 8601 UTC>"}``), or None if the
    record is missing or unreadable: the monkey then does nothing rather than guess."""
    if text is None:
        return None
    try:
        raw = json.loads(text)
        if not isinstance(raw, dict):
            return None
        recorded = {str(group): datetime.fromisoformat(when) for group, when in raw.items()}
    except (ValueError, TypeError):
        return None
    if any(when.tzinfo is None for when in recorded.values()):
        return None
    return recorded


def record_termination(terminations: Mapping[str, datetime], group: str, at: datetime) -> str:
    """The record with ``group`` terminated ``at``, as stored (compact JSON, sorted)."""
    updated = {**terminations, group: at}
    return json.dumps({name: when.isoformat() for name, when in sorted(updated.items())}, separators=(",", ":"))


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


def choose(
    settings: Settings,
    groups: Sequence[Group],
    rng: random.Random,
    *,
    dry_run: bool,
    now: datetime | None = None,
    terminations: Mapping[str, datetime] | None = None,
) -> Decision:
    """Pick at most one in-service instance of one eligible group, uniformly at random.

    A group whose last termination (``terminations``) is less than ``settings.min_interval`` before
    ``now`` is skipped as ``terminated-recently``.
    """
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
        last = (terminations or {}).get(group.name)
        if reason is None and last is not None and now is not None and now - last < settings.min_interval:
            reason = Skipped(
                group.name,
                "terminated-recently",
                f"last termination {last.isoformat()}; next not before {(last + settings.min_interval).isoformat()}",
            )
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
