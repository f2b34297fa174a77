"""trending.py, run with spark-submit: exact output on a small hand-checked event set."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.assets.emr.conftest import JobRun, as_lines, run_job, write_lines
from tests.support.event_corpus import INVALID, VALID, event
from tests.support.synth import ROOT
from tools.developer.emr.spark import cds_archive

# Lines that are not JSON objects at all, on top of the corpus' invalid events.
NOT_JSON = ["not json", '{"eventId": "4e0f", "userId": "u-1", ']


def play(user: str, title: str, timestamp: str, country: str = "US", kind: str = "play") -> dict[str, Any]:
    return event(eventId=str(uuid.uuid4()), userId=user, titleId=title, timestamp=timestamp, country=country, type=kind)


D26 = "2026-11-26T10:00:00Z"

PLAYS = [
    # 2026-11-26, US. t-a: u1 (twice), u2, u3, and u10 at 01:30+05:00 on the 27th, which is 20:30Z on the 26th.
    play("u1", "t-a", D26),
    play("u1", "t-a", "2026-11-26T11:00:00Z"),
    play("u2", "t-a", D26),
    play("u3", "t-a", "2026-11-26T23:59:59.999999Z"),
    play("u10", "t-a", "2026-11-27T01:30:00+05:00"),
    # t-b and t-c tie at 2 plays: t-b ranks first.
    play("u1", "t-b", D26),
    play("u2", "t-b", D26),
    play("u5", "t-c", D26),
    play("u4", "t-c", D26),
    # t-d has one play; other event types never count, however many.
    play("u6", "t-d", D26),
    *[play(f"u{n}", "t-d", D26, kind=kind) for n in (7, 8, 9) for kind in ("heartbeat", "pause", "complete")],
    # 2026-11-27, US: 22:30-03:00 on the 26th is 01:30Z on the 27th. t-a and t-b tie at 1.
    play("u1", "t-b", "2026-11-26T22:30:00-03:00"),
    play("u2", "t-a", "2026-11-27T00:00:00+00:00"),
    # 2026-11-26, DE: u1 travels; counts are per country.
    play("u1", "t-z", D26, country="DE"),
    play("u11", "t-z", D26, country="DE"),
    play("u12", "t-a", D26, country="DE"),
]


def poisoned(index: int, record: Any, field: str) -> Any:
    """As a play on 2026-11-25 by its own user: if counted, a row for that date would appear."""
    if not isinstance(record, dict):
        return record
    record = dict(record)
    if field != "timestamp":
        record["timestamp"] = "2026-11-25T12:00:00Z"
    if field != "userId":
        record["userId"] = f"poison-{index}"
    return record


CORPUS_INVALID = [poisoned(i, record, field) for i, (record, field) in enumerate(INVALID.values())]
# The valid corpus as French plays of t-9 (and of the 128-character title), each its own event (the corpus
# reuses one eventId; the uppercase-UUID case keeps its case).
CORPUS_VALID = [
    {**record, "country": "FR", "eventId": (str.upper if record["eventId"].isupper() else str)(str(uuid.uuid4()))}
    for record in VALID.values()
]
# A client that resent the first three plays after a timeout, and a fourth with its eventId in capitals
# (docs/api.md: retried events may be written twice). ``plays`` counts distinct users, so they count once.
RETRIED = [*PLAYS[:3], {**PLAYS[3], "eventId": PLAYS[3]["eventId"].upper()}]
LONG_TITLE = "t" * 128

EXPECTED = [
    {"date": "2026-11-26", "country": "DE", "rank": 1, "titleId": "t-z", "plays": 2},
    {"date": "2026-11-26", "country": "DE", "rank": 2, "titleId": "t-a", "plays": 1},
    # FR from the valid corpus: u-123 and viewer@example.com played t-9 on the 26th.
    {"date": "2026-11-26", "country": "FR", "rank": 1, "titleId": "t-9", "plays": 2},
    {"date": "2026-11-26", "country": "FR", "rank": 2, "titleId": LONG_TITLE, "plays": 1},
    {"date": "2026-11-26", "country": "US", "rank": 1, "titleId": "t-a", "plays": 4},
    {"date": "2026-11-26", "country": "US", "rank": 2, "titleId": "t-b", "plays": 2},
    {"date": "2026-11-26", "country": "US", "rank": 3, "titleId": "t-c", "plays": 2},
    # FR on the 27th: the -03:00 corpus event.
    {"date": "2026-11-27", "country": "FR", "rank": 1, "titleId": "t-9", "plays": 1},
    {"date": "2026-11-27", "country": "US", "rank": 1, "titleId": "t-a", "plays": 1},
    {"date": "2026-11-27", "country": "US", "rank": 2, "titleId": "t-b", "plays": 1},
]


@pytest.fixture(scope="module")
def trending_run(tmp_path_factory: pytest.TempPathFactory) -> JobRun:
    root = tmp_path_factory.mktemp("trending")
    events = root / "events"
    # Firehose's layout: nested date prefixes, gzip-compressed objects.
    write_lines(events / "year=2026/month=11/day=26/hour=10/part-1.gz", as_lines(PLAYS[:9]))
    write_lines(events / "year=2026/month=11/day=26/hour=20/part-2", [*as_lines(PLAYS[9:]), "", "   "])
    write_lines(events / "year=2026/month=11/day=25/hour=12/part-3.gz", as_lines(CORPUS_INVALID) + NOT_JSON)
    write_lines(events / "year=2026/month=11/day=27/hour=00/part-4", as_lines(CORPUS_VALID))
    write_lines(events / "year=2026/month=11/day=27/hour=01/part-5", as_lines(RETRIED))
    return run_job("trending", events, root / "out", "--top-n", "3")


def test_trending_output_is_exact(trending_run: JobRun):
    assert trending_run.rows == EXPECTED


def test_output_fields_and_types_follow_the_contract(trending_run: JobRun):
    for row in trending_run.rows:
        assert list(row) == ["date", "country", "rank", "titleId", "plays"]
        assert isinstance(row["rank"], int)
        assert isinstance(row["plays"], int)


def test_malformed_lines_are_skipped_counted_and_reported(trending_run: JobRun):
    malformed = len(INVALID) + len(NOT_JSON)
    valid = len(PLAYS) + len(VALID) + len(RETRIED)
    assert trending_run.report == {
        "job": "trending",
        "lines": valid + malformed,
        "valid": valid,
        "malformed": malformed,
        "rows": len(EXPECTED),
        "topN": 3,
    }


def test_the_local_jvm_keeps_the_class_data_sharing_archive_a_job_wrote(trending_run: JobRun):
    """tools/developer/emr/spark.py: the first spark-submit writes the archive; the next ones map it."""
    archive = cds_archive()
    assert archive.is_file()
    assert archive.stat().st_size > 10_000_000  # Spark's classes, not an empty or cut-short file
    assert archive.parent == ROOT / "build" / "spark-cds"
