"""Viewing analytics: streams, Firehose, the nightly EMR run."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from stacks.config.base import _INSTANCE_TYPE, _SCHEDULE, FieldError, Model


class StreamSettings(Model):
    """One Kinesis data stream: ``provisioned`` with ``shards`` shards, or ``on_demand`` (``shards`` unused)."""

    mode: Literal["provisioned", "on_demand"]
    shards: Annotated[int, Field(ge=1, le=500)] = 1


class EmrSettings(Model):
    """The nightly transient EMR cluster that runs the Spark jobs (docs/architecture.md#analytics)."""

    release_label: Annotated[str, Field(pattern=r"^emr-7\.[0-9]{1,2}\.[0-9]{1,2}$")]
    schedule: str
    primary_instance_types: Annotated[list[str], Field(min_length=1, max_length=5)]
    core_instance_types: Annotated[list[str], Field(min_length=1, max_length=5)]
    task_instance_types: Annotated[list[str], Field(min_length=1, max_length=15)]
    core_units: Annotated[int, Field(ge=1, le=100)]
    task_spot_units: Annotated[int, Field(ge=1, le=500)]
    max_units: Annotated[int, Field(ge=2, le=1000)]
    step_timeout_minutes: Annotated[int, Field(ge=10, le=1440)]
    idle_timeout_minutes: Annotated[int, Field(ge=5, le=1440)]

    @field_validator("primary_instance_types", "core_instance_types", "task_instance_types")
    @classmethod
    def _instance_types(cls, value: list[str]) -> list[str]:
        bad = [t for t in value if not _INSTANCE_TYPE.fullmatch(t)]
        if bad:
            raise ValueError(f"must be EC2 instance types such as m7g.xlarge, got {bad}")
        if len(set(value)) != len(value):
            raise ValueError("lists an instance type more than once")
        return value

    @field_validator("schedule")
    @classmethod
    def _schedule(cls, value: str) -> str:
        if not _SCHEDULE.fullmatch(value) or len(value[5:-1].split()) != 6:
            raise ValueError(f"must be an EventBridge cron expression such as 'cron(0 3 * * ? *)', got {value!r}")
        return value

    @model_validator(mode="after")
    def _capacity(self) -> EmrSettings:
        if self.max_units < self.core_units + self.task_spot_units:
            raise FieldError(
                "max_units",
                f"is {self.max_units}, below core_units + task_spot_units "
                f"({self.core_units} + {self.task_spot_units}), the capacity every run starts with",
            )
        return self


class AnalyticsConfig(Model):
    """Viewing analytics: Kinesis streams, Firehose to the data lake, nightly EMR."""

    player_events: StreamSettings
    # The CloudFront real-time log stream; null turns real-time logs off (the Edge stack then has none).
    cdn_logs: StreamSettings | None
    stream_retention_hours: Annotated[int, Field(ge=24, le=8760)]
    iterator_age_alarm_minutes: Annotated[int, Field(ge=1, le=1440)]
    firehose_buffer_seconds: Annotated[int, Field(ge=0, le=900)]
    firehose_buffer_mib: Annotated[int, Field(ge=1, le=128)]
    emr: EmrSettings

    @model_validator(mode="after")
    def _alarm_before_loss(self) -> AnalyticsConfig:
        if self.iterator_age_alarm_minutes * 60 >= self.stream_retention_hours * 3600:
            raise FieldError(
                "iterator_age_alarm_minutes",
                f"is {self.iterator_age_alarm_minutes} minutes, not less than the stream retention "
                f"({self.stream_retention_hours} hours): records would expire before the alarm fires",
            )
        return self
