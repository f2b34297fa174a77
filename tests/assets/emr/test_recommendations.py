"""recommendations.py, run with spark-submit: checked by properties (ALS scores are not hand-computable).

Two taste groups that never overlap: group A watches only titles a-0..a-7 and
group B only b-0..b-7, each user 5 of their group's 8. With N = 3 every user
has exactly 3 unplayed titles in their own group, and those must be the 3
recommended. One more user has played all of group A, so only B titles are
left for them (and the N + P ranking has to reach past their 8 played titles).
"""

from __future__ import annotations

import random
import uuid
from collections import defaultdict
from typing import Any

import pytest

from tests.assets.emr.conftest import JobRun, as_lines, run_job, write_lines
from tests.support.event_corpus import event

TOP_N = 3
GROUPS = {"a": [f"a-{n}" for n in range(8)], "b": [f"b-{n}" for n in range(8)]}
USERS_PER_GROUP = 12
WATCHED_PER_USER = 5
ALL_OF_A = "heavy-a"


def watch(user: str, title: str, minutes: float, rng: random.Random) -> list[dict[str, Any]]:
    """A viewing session: play, heartbeats, stop at ``minutes`` in."""
    positions = [0.0, minutes * 20, minutes * 40, minutes * 60]
    kinds = ["play", "heartbeat", "heartbeat", "stop"]
    day = rng.randint(1, 28)
    return [
        event(
            eventId=str(uuid.uuid4()),
            userId=user,
            titleId=title,
            type=kind,
            positionSec=position,
            timestamp=f"2026-10-{day:02d}T{18 + i}:00:00Z",
            device=rng.choice(["tv", "web", "mobile", "tablet"]),
        )
        for i, (kind, position) in enumerate(zip(kinds, positions, strict=True))
    ]


def dataset() -> tuple[list[dict[str, Any]], dict[str, set[str]], dict[str, str]]:
    rng = random.Random(7)
    events: list[dict[str, Any]] = []
    played: dict[str, set[str]] = defaultdict(set)
    group_of: dict[str, str] = {}
    for group, titles in GROUPS.items():
        for n in range(USERS_PER_GROUP):
            user = f"{group}-user-{n:02d}"
            group_of[user] = group
            for title in rng.sample(titles, WATCHED_PER_USER):
                events += watch(user, title, rng.uniform(10, 90), rng)
                played[user].add(title)
    for title in GROUPS["a"]:
        events += watch(ALL_OF_A, title, rng.uniform(10, 90), rng)
        played[ALL_OF_A].add(title)
    rng.shuffle(events)
    return events, played, group_of


EVENTS, PLAYED, GROUP_OF = dataset()
MALFORMED = ["{", '{"userId": "a-user-00", "titleId": "b-0", "type": "play"}', "[]"]


@pytest.fixture(scope="module")
def recommendations_run(tmp_path_factory: pytest.TempPathFactory) -> JobRun:
    root = tmp_path_factory.mktemp("recommendations")
    half = len(EVENTS) // 2
    write_lines(root / "events/day=01/part-1.gz", as_lines(EVENTS[:half]))
    write_lines(root / "events/day=02/part-2", as_lines(EVENTS[half:]) + MALFORMED)
    return run_job("recommendations", root / "events", root / "out", "--top-n", str(TOP_N))


def by_user(run: JobRun) -> dict[str, list[dict[str, Any]]]:
    users = [row["userId"] for row in run.rows]
    assert len(users) == len(set(users)), "one line per user"
    return {row["userId"]: row["recommendations"] for row in run.rows}


def test_every_user_gets_one_line_with_the_contract_fields(recommendations_run: JobRun):
    assert set(by_user(recommendations_run)) == set(PLAYED)
    for row in recommendations_run.rows:
        assert list(row) == ["userId", "recommendations"]
        for item in row["recommendations"]:
            assert list(item) == ["titleId", "score"]
            assert isinstance(item["score"], float)


def test_never_recommends_a_played_title(recommendations_run: JobRun):
    for user, recommended in by_user(recommendations_run).items():
        assert not {r["titleId"] for r in recommended} & PLAYED[user], user


def test_n_per_user_while_unplayed_titles_remain(recommendations_run: JobRun):
    catalog = set(GROUPS["a"] + GROUPS["b"])
    for user, recommended in by_user(recommendations_run).items():
        assert len(recommended) == min(TOP_N, len(catalog - PLAYED[user])), user
    assert {r["titleId"] for r in by_user(recommendations_run)[ALL_OF_A]} <= set(GROUPS["b"])


def test_separated_taste_groups_get_their_own_groups_titles(recommendations_run: JobRun):
    recommended = by_user(recommendations_run)
    for user, group in GROUP_OF.items():
        unplayed_in_group = set(GROUPS[group]) - PLAYED[user]
        assert len(unplayed_in_group) == TOP_N  # the data set's design
        assert {r["titleId"] for r in recommended[user]} == unplayed_in_group, user


def test_recommendations_are_best_first(recommendations_run: JobRun):
    for user, recommended in by_user(recommendations_run).items():
        scores = [r["score"] for r in recommended]
        assert scores == sorted(scores, reverse=True), user


def test_malformed_lines_are_skipped_counted_and_reported(recommendations_run: JobRun):
    assert recommendations_run.report == {
        "job": "recommendations",
        "lines": len(EVENTS) + len(MALFORMED),
        "valid": len(EVENTS),
        "malformed": len(MALFORMED),
        "users": len(PLAYED),
        "topN": TOP_N,
    }


def test_input_with_no_valid_event_writes_an_empty_result_and_reports(tmp_path):
    write_lines(tmp_path / "events/part-1", MALFORMED)
    run = run_job("recommendations", tmp_path / "events", tmp_path / "out")
    assert run.rows == []
    assert run.report == {
        "job": "recommendations",
        "lines": len(MALFORMED),
        "valid": 0,
        "malformed": len(MALFORMED),
        "users": 0,
        "topN": 10,
    }
