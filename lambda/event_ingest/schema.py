"""The player event schema (DESIGN.md section 2), validated one record at a time.

``check(record, subject)`` returns the event, re-serializable with
``to_record``, or the list of reasons it was rejected: each names the field
(``""`` for the record itself) and says what is wrong. The Spark jobs apply
the same rules (``assets/emr/jobs/showrunner_events.py``); the patterns match
character for character and ``tests/support/event_corpus.py`` checks both.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
USER_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}$"
TITLE_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$"
COUNTRY_PATTERN = r"^[A-Z]{2}$"
TIMESTAMP_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?(Z|[+-][0-9]{2}:[0-9]{2})$"
MAX_POSITION_SEC = 86_400

# What a pattern mismatch means, in words a player developer can act on.
PATTERN_REASONS = {
    "eventId": "must be a UUID such as 0b7e8f7c-3f0e-4a58-9a43-3b1b2c4d5e6f",
    "userId": "must be 1-128 letters, digits or _ . : @ -, starting with a letter or digit",
    "titleId": "must be 1-128 letters, digits, _ or -, starting with a letter or digit",
    "timestamp": "must be an ISO 8601 date-time with seconds and a zone, such as 2026-11-26T20:15:00Z",
    "country": "must be an ISO 3166-1 alpha-2 code in capitals, such as US",
}


class PlayerEvent(BaseModel):
    """One player event. Strict: no type coercion ("12" is not a number), no unknown fields."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True, allow_inf_nan=False)

    event_id: Annotated[str, Field(alias="eventId", pattern=UUID_PATTERN)]
    user_id: Annotated[str, Field(alias="userId", pattern=USER_ID_PATTERN)]
    title_id: Annotated[str, Field(alias="titleId", pattern=TITLE_ID_PATTERN)]
    type: Literal["play", "pause", "resume", "seek", "stop", "heartbeat", "complete", "error"]
    position_sec: Annotated[float, Field(alias="positionSec", ge=0, le=MAX_POSITION_SEC)]
    timestamp: Annotated[str, Field(pattern=TIMESTAMP_PATTERN)]
    device: Literal["tv", "web", "mobile", "tablet"]
    country: Annotated[str, Field(pattern=COUNTRY_PATTERN)]
    bitrate_kbps: Annotated[float, Field(ge=0, le=1_000_000)] | None = Field(default=None, alias="bitrateKbps")
    rebuffer_ms: Annotated[float, Field(ge=0, le=86_400_000)] | None = Field(default=None, alias="rebufferMs")

    @field_validator("timestamp")
    @classmethod
    def _real_instant(cls, value: str) -> str:
        try:
            datetime.fromisoformat(value)
        except ValueError as exc:
            raise ValueError(f"is not a real date and time ({exc})") from None
        return value


def _reason(field: str, error_type: str, message: str) -> dict[str, str]:
    if error_type == "string_pattern_mismatch" and field in PATTERN_REASONS:
        message = PATTERN_REASONS[field]
    elif error_type == "model_type":
        message = "an event must be a JSON object"
    return {"field": field, "reason": message.removeprefix("Value error, ")}


def check(record: object, subject: str) -> PlayerEvent | list[dict[str, str]]:
    """The valid event, or its rejection reasons. ``userId`` must be the caller's token subject."""
    try:
        event = PlayerEvent.model_validate(record)
    except ValidationError as exc:
        return [
            _reason(".".join(str(part) for part in error["loc"]), error["type"], error["msg"])
            for error in exc.errors(include_url=False)
        ]
    if event.user_id != subject:
        return [{"field": "userId", "reason": "must be the signed-in user (the token's subject)"}]
    return event


def to_record(event: PlayerEvent) -> bytes:
    """The Kinesis record: compact JSON and a newline, so Firehose output is JSON lines."""
    body = event.model_dump(by_alias=True, exclude_none=True)
    return (json.dumps(body, separators=(",", ":")) + "\n").encode()
