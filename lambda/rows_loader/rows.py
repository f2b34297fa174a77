"""From the Spark jobs' output lines to rows-table items (pure: no AWS).

* **trending** lines are ``{"date", "country", "rank", "titleId", "plays"}`` (one per title, UTC day
  and country; ``assets/emr/jobs/trending.py``). A country's list is its titles of the most recent
  *complete* UTC day with plays: before the run's own day (at 03:00 UTC that day has only begun)
  and at most ``WINDOW_DAYS`` before it; a country with no plays in that window gets no list, and
  its viewers are served the list of every country. That one (``EVERY_COUNTRY``) sums each
  title's viewers over the countries on the most recent complete day with any plays (a viewer
  seen in two countries that day counts twice).
* **recommendations** lines are ``{"userId", "recommendations": [{"titleId", "score"}]}``, best
  first (``recommendations.py``): one item per viewer with at least one title.

A line that breaks these shapes is counted as malformed and skipped: the jobs wrote it, so a
count above zero is a bug to look at, not a reason to keep yesterday's rows.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from personal_rows.schema import (
    COUNTRY,
    DATE,
    EVERY_COUNTRY,
    TITLE_ID,
    USER_ID,
    Entry,
    row_item,
    top,
    trending_key,
    user_key,
)

WINDOW_DAYS = 7
MAX_TITLES = 100  # a row item stays far below DynamoDB's 400 KB whatever the jobs' --top-n


@dataclass
class Counts:
    lines: int = 0
    malformed: int = 0
    items: int = 0
    countries: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Run:
    run_id: str
    run_date: str  # YYYY-MM-DD (UTC), the day the run started
    expires_at: int  # epoch seconds: every row item of the run expires then
    candidates: int  # titles kept per row (the jobs' --top-n)


def _lines(texts: Iterable[str], counts: Counts) -> Iterator[dict[str, Any]]:
    for text in texts:
        if not text.strip():
            continue
        counts.lines += 1
        try:
            row = json.loads(text)
        except ValueError:
            counts.malformed += 1
            continue
        if isinstance(row, dict):
            yield row
        else:
            counts.malformed += 1


def _count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def trending_items(texts: Iterable[str], run: Run, counts: Counts) -> list[dict[str, Any]]:
    """The trending items of one run: one per country with plays in the window, and one for every country."""
    first = (date.fromisoformat(run.run_date) - timedelta(days=WINDOW_DAYS)).isoformat()
    plays: dict[tuple[str, str], list[Entry]] = defaultdict(list)  # (country, date) -> entries
    for row in _lines(texts, counts):
        day, country, title_id, viewers = row.get("date"), row.get("country"), row.get("titleId"), row.get("plays")
        if not (
            isinstance(day, str)
            and DATE.fullmatch(day)
            and isinstance(country, str)
            and COUNTRY.fullmatch(country)
            and isinstance(title_id, str)
            and TITLE_ID.fullmatch(title_id)
            and _count(viewers)
            and _count(row.get("rank"))
        ):
            counts.malformed += 1
            continue
        if first <= day < run.run_date:
            plays[(country, day)].append(Entry(title_id, float(viewers)))  # type: ignore[arg-type]
    latest: dict[str, str] = {}
    for country, day in plays:
        latest[country] = max(day, latest.get(country, day))
    items = [
        row_item(
            trending_key(country, run.run_id),
            top(plays[(country, day)], min(run.candidates, MAX_TITLES)),
            "plays",
            run.expires_at,
            date=day,
        )
        for country, day in sorted(latest.items())
    ]
    counts.countries = sorted(latest)
    if plays:
        newest = max(day for _, day in plays)
        summed: dict[str, float] = defaultdict(float)
        for (_, day), found in plays.items():
            if day == newest:
                for entry in found:
                    summed[entry.title_id] += entry.value
        every = top((Entry(t, v) for t, v in summed.items()), min(run.candidates, MAX_TITLES))
        items.append(row_item(trending_key(EVERY_COUNTRY, run.run_id), every, "plays", run.expires_at, date=newest))
    counts.items += len(items)
    return items


def recommendation_items(texts: Iterable[str], run: Run, counts: Counts) -> Iterator[dict[str, Any]]:
    """One item per viewer with recommendations, as the lines are read (the output may be large)."""
    for row in _lines(texts, counts):
        user_id, ranked = row.get("userId"), row.get("recommendations")
        if not (isinstance(user_id, str) and USER_ID.fullmatch(user_id) and isinstance(ranked, list)):
            counts.malformed += 1
            continue
        found: list[Entry] = []
        for entry in ranked:
            title_id = entry.get("titleId") if isinstance(entry, dict) else None
            score = entry.get("score") if isinstance(entry, dict) else None
            if not (
                isinstance(title_id, str)
                and TITLE_ID.fullmatch(title_id)
                and isinstance(score, int | float)
                and not isinstance(score, bool)
                and math.isfinite(score)
            ):
                found = []
                break
            found.append(Entry(title_id, float(score)))
        if not found:
            if ranked:  # an entry broke the shape
                counts.malformed += 1
            continue  # a viewer with nothing left to recommend is served trending
        counts.items += 1
        yield row_item(user_key(user_id, run.run_id), found[: min(run.candidates, MAX_TITLES)], "score", run.expires_at)
