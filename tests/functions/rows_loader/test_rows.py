"""From the Spark jobs' lines to rows-table items: which day counts, the list of every country, bad lines."""

from __future__ import annotations

import json
from typing import Any

from personal_rows.schema import entries
from rows_loader.rows import WINDOW_DAYS, Counts, Run, recommendation_items, trending_items

RUN = Run(run_id="run-2", run_date="2026-11-27", expires_at=1_800_000_000, candidates=3)


def line(**row: Any) -> str:
    return json.dumps(row) + "\n"


def trend(day: str, country: str, rank: int, title: str, plays: int) -> str:
    return line(date=day, country=country, rank=rank, titleId=title, plays=plays)


def by_key(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {item["pk"]["S"]: item for item in items}


def titles(item: dict[str, Any], value: str) -> list[tuple[str, float]]:
    return [(e.title_id, e.value) for e in entries(item, value)]


def test_a_country_gets_its_latest_complete_day_and_every_country_the_sum_of_the_newest_day():
    lines = [
        trend("2026-11-26", "US", 1, "t-a", 5),
        trend("2026-11-26", "US", 2, "t-b", 3),
        trend("2026-11-25", "US", 1, "t-old", 9),  # an older day of the same country: not shown
        trend("2026-11-27", "US", 1, "t-today", 7),  # the run's own day has only begun: not shown
        trend("2026-11-24", "DE", 1, "t-b", 4),  # Germany's latest day in the window
        trend("2026-11-26", "DE", 1, "t-b", 2),
        trend("2026-11-26", "DE", 2, "t-c", 1),
    ]
    counts = Counts()
    items = by_key(trending_items(lines, RUN, counts))
    assert sorted(items) == ["trending#ALL", "trending#DE", "trending#US"]
    assert titles(items["trending#US"], "plays") == [("t-a", 5.0), ("t-b", 3.0)]
    assert items["trending#US"]["date"] == {"S": "2026-11-26"}
    assert titles(items["trending#DE"], "plays") == [("t-b", 2.0), ("t-c", 1.0)]
    # 2026-11-26 summed over the countries: t-b 3 + 2, t-a 5, t-c 1; ties by titleId, cut to the candidates.
    assert titles(items["trending#ALL"], "plays") == [("t-a", 5.0), ("t-b", 5.0), ("t-c", 1.0)]
    assert all(item["run"] == {"S": "run-2"} for item in items.values())
    assert all(item["expiresAt"] == {"N": "1800000000"} for item in items.values())
    assert (counts.lines, counts.malformed, counts.items, counts.countries) == (7, 0, 3, ["DE", "US"])


def test_a_country_without_plays_in_the_window_gets_no_list():
    first_day_out = "2026-11-19"  # the run's date minus WINDOW_DAYS + 1
    assert WINDOW_DAYS == 7
    lines = [trend(first_day_out, "FR", 1, "t-x", 3), trend("2026-11-20", "JP", 1, "t-y", 1)]
    items = by_key(trending_items(lines, RUN, Counts()))
    assert sorted(items) == ["trending#ALL", "trending#JP"]
    assert titles(items["trending#ALL"], "plays") == [("t-y", 1.0)]


def test_no_plays_at_all_writes_nothing():
    assert trending_items([], RUN, Counts()) == []


def test_lines_that_break_the_jobs_shapes_are_counted_and_skipped():
    lines = [
        "not json\n",
        "[1, 2]\n",
        "\n",  # blank lines are not counted at all
        line(date="2026-11-26", country="us", rank=1, titleId="t-a", plays=1),
        line(date="2026-11-26", country="US", rank=1, titleId="../t", plays=1),
        line(date="2026-11-26", country="US", rank=1, titleId="t-a", plays=-1),
        line(date="2026-11-26", country="US", rank=True, titleId="t-a", plays=1),
        trend("2026-11-26", "US", 1, "t-good", 1),
    ]
    counts = Counts()
    items = by_key(trending_items(lines, RUN, counts))
    assert titles(items["trending#US"], "plays") == [("t-good", 1.0)]
    assert (counts.lines, counts.malformed) == (7, 6)


def test_recommendations_become_one_item_per_viewer_best_first_cut_to_the_candidates():
    lines = [
        line(userId="viewer-1", recommendations=[{"titleId": f"t-{n}", "score": 1 - n / 10} for n in range(5)]),
        line(userId="viewer-2", recommendations=[]),  # played everything: served trending
        line(userId="viewer-3", recommendations=[{"titleId": "t-1", "score": "high"}]),
        line(userId="bad user", recommendations=[{"titleId": "t-1", "score": 1}]),
        line(userId="viewer-4", recommendations=[{"titleId": "t-9", "score": float("nan")}]),
    ]
    counts = Counts()
    items = list(recommendation_items(lines, RUN, counts))
    assert [item["pk"]["S"] for item in items] == ["user#viewer-1"]
    assert titles(items[0], "score") == [("t-0", 1.0), ("t-1", 0.9), ("t-2", 0.8)]
    assert (counts.lines, counts.malformed, counts.items) == (5, 3, 1)
