"""Operations: the chaos monkey, the budget and alarm thresholds."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from stacks.config.base import Clock, FieldError, Model, TimeZoneName
from stacks.config.reference import WEEKDAYS


class BusinessHours(Model):
    """When the chaos monkey may act: ``days`` from ``start`` to ``end`` (local time, same day)."""

    days: Annotated[list[Literal["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"]], Field(min_length=1)] = [
        "MON",
        "TUE",
        "WED",
        "THU",
        "FRI",
    ]
    start: Clock = "10:00"
    end: Clock = "16:00"
    time_zone: TimeZoneName = None

    @field_validator("days")
    @classmethod
    def _unique_days(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError(f"lists a day more than once: {value}")
        return sorted(value, key=WEEKDAYS.index)

    @model_validator(mode="after")
    def _window(self) -> BusinessHours:
        if self.end <= self.start:
            raise FieldError("end", f"is {self.end}, not after start {self.start}; business hours end the same day")
        return self


class ChaosMonkeySettings(Model):
    """The chaos-monkey Lambda (docs/operations.md, "Chaos monkey").

    * ``enabled``: whether its schedule runs (hourly within ``business_hours``).
      The kill-switch parameter starts as ``enabled`` or ``disabled`` to match.
    * ``dry_run``: decide and log, never terminate.
    * ``min_interval_minutes``: the least time between two terminations in one
      Auto Scaling group (Netflix's Chaos Monkey: at most one a group a work day).
    * ``reserved_concurrency``: reserve this many concurrent executions for the
      function (null: none, the default). Runs are an hour apart and time out after
      a minute, so they never overlap without it; reserving any fails the whole
      Operations stack in an account whose Lambda concurrency quota leaves less than
      100 unreserved (new accounts may have a quota of 10 or 50; docs/operations.md).
    """

    enabled: bool
    dry_run: bool = False
    min_interval_minutes: Annotated[int, Field(ge=60, le=10_080)] = 1440
    reserved_concurrency: Annotated[int, Field(ge=1, le=10)] | None = None
    business_hours: BusinessHours = Field(default_factory=BusinessHours)


class BudgetSettings(Model):
    """The environment's monthly AWS Budget and its alerts (percentages of the limit)."""

    monthly_limit_usd: Annotated[int, Field(ge=1, le=10_000_000)]
    actual_alert_percents: Annotated[list[Annotated[int, Field(ge=1, le=1000)]], Field(min_length=1, max_length=4)] = [
        80,
        100,
    ]
    forecast_alert_percent: Annotated[int, Field(ge=1, le=1000)] = 100

    @field_validator("actual_alert_percents")
    @classmethod
    def _ascending(cls, value: list[int]) -> list[int]:
        if sorted(set(value)) != value:
            raise ValueError(f"must be distinct and ascending, got {value}")
        return value


class AlarmThresholds(Model):
    """Alarm thresholds of the Operations stack (docs/operations.md, "Alarms")."""

    origin_5xx_percent: Annotated[float, Field(gt=0, le=100)] = 5.0
    origin_p99_seconds: Annotated[float, Field(gt=0, le=60)] = 1.0
    cloudfront_5xx_percent: Annotated[float, Field(gt=0, le=100)] = 5.0
    lambda_error_percent: Annotated[float, Field(gt=0, le=100)] = 1.0


class OperationsConfig(Model):
    """Chaos monkey, budget and alarm thresholds of one environment."""

    chaos_monkey: ChaosMonkeySettings
    budget: BudgetSettings
    alarms: AlarmThresholds = Field(default_factory=AlarmThresholds)
