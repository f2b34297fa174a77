"""What every configuration model shares: the base model, errors, field checks and reference lookups."""

from __future__ import annotations

import re
from functools import cache
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_ACM_ARN = re.compile(r"^arn:aws[a-z-]*:acm:us-east-1:\d{12}:certificate/[0-9a-f-]{36}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_GRAVITON = re.compile(r"[a-z][a-z0-9]*g[a-z]*\.[a-z0-9]+")
_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")

_INSTANCE_TYPE = re.compile(r"^[a-z][a-z0-9-]*\.[a-z0-9]+$")
_SCHEDULE = re.compile(r"^cron\([^()]+\)$")


class ConfigError(Exception):
    """A configuration value is invalid. The message names the setting."""


@cache
def known_regions() -> frozenset[str]:
    """Commercial AWS regions, from botocore's bundled endpoint data (no network)."""
    import botocore.session  # local import: only config validation needs botocore

    return frozenset(botocore.session.get_session().get_available_regions("ec2"))


class FieldError(ValueError):
    """Raised by a model-level check to blame one field (``loc`` of a model check is the model itself)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@cache
def available_time_zones() -> frozenset[str]:
    """IANA time zones of the machine's tz database (no network)."""
    import zoneinfo

    return frozenset(zoneinfo.available_timezones())


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)


def _clock(value: str) -> str:
    if not _CLOCK.fullmatch(value):
        raise ValueError(f"must be a 24-hour time HH:MM such as '18:30', got {value!r}")
    return value


def _time_zone(value: str | None) -> str | None:
    if value is not None and value not in available_time_zones():
        raise ValueError(f"unknown IANA time zone {value!r} (for example 'America/New_York')")
    return value


# A local time of day, and an IANA time zone (unset means the region's, REGION_TIME_ZONES).
Clock = Annotated[str, AfterValidator(_clock)]
TimeZoneName = Annotated[str | None, AfterValidator(_time_zone)]
