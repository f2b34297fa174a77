"""The rows viewers see: the nightly results served from DynamoDB (docs/api.md, "Rows")."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from stacks.config.base import Model


class PersonalizationConfig(Model):
    """``rows_retention_days``: how long a night's rows are kept (DynamoDB TTL) after their run started.

    The rows a viewer sees are those of the last run whose load completed; when later runs fail,
    they keep serving until they expire. So the retention must outlast the gap between two runs
    of ``analytics.emr.schedule`` (checked with the rest of the environment), with room for a
    failed night or two: 7 days where the run is nightly, 21 where it is weekly (dev).
    """

    rows_retention_days: Annotated[int, Field(ge=2, le=90)] = 7


def longest_gap_days(schedule: str) -> int:
    """The longest gap, in whole days, between two runs of an EventBridge ``cron(...)`` schedule.

    Daily when day-of-month and day-of-week are ``*``/``?``; a day-of-week list (``SUN``,
    ``MON-FRI``, ``1,4``) gives the largest distance between consecutive days; anything set on the
    day-of-month counts as a month (31 days).
    """
    fields = schedule.removeprefix("cron(").removesuffix(")").split()
    day_of_month, day_of_week = fields[2], fields[4]
    if day_of_month not in ("*", "?"):
        return 31
    if day_of_week in ("*", "?"):
        return 1
    days: set[int] = set()
    for part in day_of_week.split(","):
        part = part.split("#")[0].split("/")[0].removesuffix("L")
        first, _, last = part.partition("-")
        start, end = _weekday(first), _weekday(last or first)
        span = range(start, end + 1) if start <= end else [*range(start, 8), *range(1, end + 1)]
        days.update(span)
    ordered = sorted(days)
    return max((b - a) % 7 or 7 for a, b in zip(ordered, [*ordered[1:], ordered[0]], strict=True))


_DAY_NAMES = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")  # EventBridge numbers them 1 to 7


def _weekday(text: str) -> int:
    """EventBridge's day of week, 1 (SUN) to 7 (SAT), from its number or name."""
    if text.isdigit() and 1 <= int(text) <= 7:
        return int(text)
    if text.upper() in _DAY_NAMES:
        return _DAY_NAMES.index(text.upper()) + 1
    raise ValueError(f"{text!r} is not a day of the week")
