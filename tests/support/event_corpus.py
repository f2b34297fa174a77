"""Player events that both validators judge: POST /events (lambda/event_ingest) and the Spark jobs.

``INVALID`` holds, for each rule of the schema (DESIGN.md section 2), an event
that breaks it and the field the rejection must name. Both the ingestion
tests and the Spark tests run every case, so the two validators cannot drift
apart on these rules. ``STRICT_ONLY`` are cases that only ingestion rejects:
the Spark jobs do not read those fields or read JSON more leniently, and the
data lake only holds what ingestion accepted (docs/architecture.md).
"""

from __future__ import annotations

from typing import Any

from tools.developer.samples import PLAYER_EVENT

BASE: dict[str, Any] = dict(PLAYER_EVENT)

_MISSING = object()


def event(**changes: Any) -> dict[str, Any]:
    """BASE with fields changed; a value of ``MISSING`` removes the field."""
    result = dict(BASE)
    for key, value in changes.items():
        if value is _MISSING:
            result.pop(key, None)
        else:
            result[key] = value
    return result


MISSING: Any = _MISSING

VALID: dict[str, dict[str, Any]] = {
    "base": event(),
    "offset timestamp": event(timestamp="2026-11-27T01:30:00+05:00"),
    "negative offset": event(timestamp="2026-11-26T22:30:00-03:00"),
    "fractional seconds": event(timestamp="2026-11-26T20:15:00.123456Z"),
    "integer position": event(positionSec=0),
    "uppercase uuid": event(eventId="0B7E8F7C-3F0E-4A58-9A43-3B1B2C4D5E6F"),
    "no optional fields": event(bitrateKbps=MISSING, rebufferMs=MISSING),
    "email-like user": event(userId="viewer@example.com"),
    "every type": event(type="complete"),
    "longest title id": event(titleId="t" * 128),
}

# name -> (event or other JSON value, the field the rejection names; "" for the record itself)
INVALID: dict[str, tuple[Any, str]] = {
    "eventId missing": (event(eventId=MISSING), "eventId"),
    "eventId not a uuid": (event(eventId="123"), "eventId"),
    "userId missing": (event(userId=MISSING), "userId"),
    "userId null": (event(userId=None), "userId"),
    "userId empty": (event(userId=""), "userId"),
    "userId with a space": (event(userId="u 1"), "userId"),
    "userId with a trailing newline": (event(userId="u-123\n"), "userId"),
    "titleId with a slash": (event(titleId="t/1"), "titleId"),
    "titleId wildcard": (event(titleId="*"), "titleId"),
    "titleId too long": (event(titleId="t" * 129), "titleId"),
    "type unknown": (event(type="watch"), "type"),
    "type wrong case": (event(type="PLAY"), "type"),
    "type missing": (event(type=MISSING), "type"),
    "positionSec negative": (event(positionSec=-1), "positionSec"),
    "positionSec a string": (event(positionSec="12"), "positionSec"),
    "positionSec a boolean": (event(positionSec=True), "positionSec"),
    "positionSec missing": (event(positionSec=MISSING), "positionSec"),
    "positionSec past a day": (event(positionSec=86_401), "positionSec"),
    "timestamp without zone": (event(timestamp="2026-11-26T20:15:00"), "timestamp"),
    "timestamp impossible date": (event(timestamp="2026-02-30T10:00:00Z"), "timestamp"),
    "timestamp hour 24": (event(timestamp="2026-11-26T24:00:00Z"), "timestamp"),
    "timestamp words": (event(timestamp="yesterday"), "timestamp"),
    "timestamp epoch number": (event(timestamp=1764188100), "timestamp"),
    "timestamp date only": (event(timestamp="2026-11-26"), "timestamp"),
    "timestamp offset past a day": (event(timestamp="2026-11-26T20:15:00+25:00"), "timestamp"),
    "timestamp seven fraction digits": (event(timestamp="2026-11-26T20:15:00.1234567Z"), "timestamp"),
    "device unknown": (event(device="fridge"), "device"),
    "country lowercase": (event(country="us"), "country"),
    "country three letters": (event(country="USA"), "country"),
    "country missing": (event(country=MISSING), "country"),
    "an array": ([BASE], ""),
    "a string": ("play", ""),
    "a number": (42, ""),
    "null": (None, ""),
}

STRICT_ONLY: dict[str, tuple[Any, str]] = {
    "unknown field": (event(extra="x"), "extra"),
    "userId a number": (event(userId=123), "userId"),
    "bitrateKbps negative": (event(bitrateKbps=-5), "bitrateKbps"),
    "rebufferMs a string": (event(rebufferMs="0"), "rebufferMs"),
}
