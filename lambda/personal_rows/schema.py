"""Items of the rows table, in DynamoDB's low-level attribute-value format.

One table, partition key ``pk``, sort key ``run`` (both strings), TTL on ``expiresAt``:

* the **run pointer** ``pk = "pointer"``, ``run = "current"``: ``runId`` of the run readers serve,
  with its ``runDate`` and ``startedAt``; the nightly workflow switches it once a run's rows are
  all written, so a reader never mixes two runs;
* a **viewer's recommendations** ``pk = "user#<userId>"``, ``run = <runId>``: ``titles``, a list of
  ``{titleId, score}``, best first;
* a **trending list** ``pk = "trending#<country>"`` (``trending#ALL``: every country together),
  ``run = <runId>``: ``titles``, a list of ``{titleId, plays}``, most played first, and ``date``,
  the UTC day it counts.

Every row item expires (``expiresAt``, epoch seconds) a configured number of days after its run
started. DynamoDB deletes expired items lazily (within days), so readers treat an item whose
``expiresAt`` has passed as absent (``expired``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

PARTITION_KEY = "pk"
SORT_KEY = "run"
TTL_ATTRIBUTE = "expiresAt"
POINTER_KEY: dict[str, dict[str, str]] = {PARTITION_KEY: {"S": "pointer"}, SORT_KEY: {"S": "current"}}
EVERY_COUNTRY = "ALL"
RUN_ID = re.compile(r"[A-Za-z0-9_-]{1,80}")  # a Step Functions execution name
TITLE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,127}")
USER_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}")
COUNTRY = re.compile(r"[A-Z]{2}")
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True, slots=True)
class Entry:
    """One title of a row, with the number that ranked it (a score, or a count of viewers)."""

    title_id: str
    value: float


@dataclass(frozen=True, slots=True)
class Pointer:
    run_id: str
    run_date: str  # YYYY-MM-DD, the UTC day the run started


def user_key(user_id: str, run_id: str) -> dict[str, dict[str, str]]:
    return {PARTITION_KEY: {"S": f"user#{user_id}"}, SORT_KEY: {"S": run_id}}


def trending_key(country: str, run_id: str) -> dict[str, dict[str, str]]:
    """``country``: an ISO 3166-1 alpha-2 code, or ``EVERY_COUNTRY``."""
    return {PARTITION_KEY: {"S": f"trending#{country}"}, SORT_KEY: {"S": run_id}}


def _number(value: float) -> dict[str, str]:
    return {"N": repr(int(value)) if float(value).is_integer() else repr(float(value))}


def row_item(
    key: Mapping[str, Any], entries: Sequence[Entry], value_name: str, expires_at: int, **strings: str
) -> dict[str, Any]:
    """A row item: ``key``, ``titles`` (``[{titleId, <value_name>}]``), ``expiresAt`` and any string attributes."""
    titles = [{"M": {"titleId": {"S": e.title_id}, value_name: _number(e.value)}} for e in entries]
    item: dict[str, Any] = {**key, "titles": {"L": titles}, TTL_ATTRIBUTE: {"N": str(expires_at)}}
    item.update({name: {"S": value} for name, value in strings.items()})
    return item


def entries(item: Mapping[str, Any], value_name: str) -> list[Entry]:
    """The titles of a row item, in order; entries that break the schema are left out."""
    found = []
    for element in item.get("titles", {}).get("L", []):
        fields = element.get("M", {}) if isinstance(element, dict) else {}
        title_id = fields.get("titleId", {}).get("S")
        raw = fields.get(value_name, {}).get("N")
        if isinstance(title_id, str) and TITLE_ID.fullmatch(title_id) and isinstance(raw, str):
            try:
                found.append(Entry(title_id, float(raw)))
            except ValueError:
                continue
    return found


def expired(item: Mapping[str, Any], now: float) -> bool:
    """True when the item's ``expiresAt`` has passed (or is unreadable): DynamoDB may not have deleted it yet."""
    raw = item.get(TTL_ATTRIBUTE, {}).get("N")
    try:
        return float(raw) <= now
    except (TypeError, ValueError):
        return True


def pointer(item: Mapping[str, Any] | None) -> Pointer | None:
    """The run readers serve, from the pointer item (None: no run has been loaded yet)."""
    if not item:
        return None
    run_id = item.get("runId", {}).get("S")
    run_date = item.get("runDate", {}).get("S")
    if not (isinstance(run_id, str) and RUN_ID.fullmatch(run_id) and isinstance(run_date, str)):
        return None
    return Pointer(run_id, run_date)


def top(entries_: Iterable[Entry], count: int) -> list[Entry]:
    """The ``count`` largest values, ties by ``titleId`` (byte order), as the Spark jobs order them."""
    return sorted(entries_, key=lambda e: (-e.value, e.title_id))[:count]
