"""The player event schema of POST /events, on the shared corpus."""

from __future__ import annotations

import json
from typing import Any

import pytest
import showrunner_events
from event_ingest import schema
from event_ingest.schema import PlayerEvent, check, to_record

from tests.support.event_corpus import BASE, INVALID, STRICT_ONLY, VALID


@pytest.mark.parametrize("name", VALID)
def test_valid_events_are_accepted_and_written_back_unchanged(name: str):
    record = VALID[name]
    event = check(record, record["userId"])
    assert isinstance(event, PlayerEvent)
    written = to_record(event)
    assert written.endswith(b"\n")
    assert written.count(b"\n") == 1
    assert json.loads(written) == record  # same fields and values (12 == 12.0 in JSON terms)


@pytest.mark.parametrize("name", [*INVALID, *STRICT_ONLY])
def test_each_broken_rule_is_rejected_naming_its_field(name: str):
    record, field = {**INVALID, **STRICT_ONLY}[name]
    reasons = check(record, "u-123")
    assert isinstance(reasons, list)
    assert [r["field"] for r in reasons] == [field]
    assert all(r["reason"] for r in reasons)


def test_reasons_are_readable():
    def reasons(**changes: Any) -> list[str]:
        result = check({**BASE, **changes}, "u-123")
        assert isinstance(result, list)
        return [r["reason"] for r in result]

    assert reasons(titleId="../etc") == ["must be 1-128 letters, digits, _ or -, starting with a letter or digit"]
    assert reasons(country="usa") == ["must be an ISO 3166-1 alpha-2 code in capitals, such as US"]
    assert reasons(timestamp="2026-02-30T10:00:00Z") == ["is not a real date and time (day is out of range for month)"]
    assert reasons(positionSec=-1) == ["Input should be greater than or equal to 0"]
    assert check(42, "u-123") == [{"field": "", "reason": "an event must be a JSON object"}]


def test_every_broken_field_is_reported_not_just_the_first():
    result = check({**BASE, "type": "watch", "country": "usa", "extra": 1}, "u-123")
    assert isinstance(result, list)
    assert sorted(r["field"] for r in result) == ["country", "extra", "type"]


def test_user_id_must_be_the_signed_in_user():
    assert check(BASE, "someone-else") == [
        {"field": "userId", "reason": "must be the signed-in user (the token's subject)"}
    ]


@pytest.mark.parametrize("name", ["UUID", "USER_ID", "TITLE_ID", "COUNTRY", "TIMESTAMP"])
def test_spark_jobs_use_the_same_patterns(name: str):
    ingest_pattern = getattr(schema, f"{name}_PATTERN")
    spark_pattern = getattr(showrunner_events, f"{name}_PATTERN")
    assert ingest_pattern.endswith("$")
    assert spark_pattern == ingest_pattern.removesuffix("$") + r"\z"
