"""POST /events: validate player events one by one and put the valid ones on Kinesis.

The body is one event (a JSON object) or a batch (a JSON array of up to 500).

* The whole body is refused, and nothing is written, when it cannot be read
  as events at all: 413 when it is too large or holds more than 500 events,
  400 when it is not UTF-8 JSON (or nested too deeply to read: ``body.read``),
  not an object or array, or an empty array. The client can fix or split it
  and send it again.
* Otherwise each event is checked on its own (``body.problems``, then
  ``schema.check``). Valid events are packed into as few Kinesis records as
  the limits allow (``records.pack``: one JSON line per event, ``userId`` as the
  partition key); invalid ones come back under ``rejected`` with their reasons (at most
  ``MAX_REASONS`` each, and ``omitted`` says how many more), and do not stop the
  valid ones. A number of thousands of digits, ``NaN`` or a repeated name
  rejects its own event only.
* Records Kinesis refuses are retried twice with a short backoff; the events of
  any still refused come back under ``failed``, with ``retryable: true`` only when a
  retry can help (throttling, an internal or transient error), so the client
  resends exactly those; an access or configuration error is ``false``.

Status: 200 when every event was written; 207 when some were rejected or
failed; 400 when every event was rejected; 503 when valid events could not be
written and none were. The body always has ``accepted``, ``rejected`` and
``failed``.
"""

from __future__ import annotations

import base64
import binascii
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

if TYPE_CHECKING:
    from types_boto3_kinesis import KinesisClient

from showrunner_common.responses import error, json_response

from event_ingest.body import BodyError, problems, read
from event_ingest.records import Record, calls, pack
from event_ingest.schema import PlayerEvent, check

MAX_EVENTS = 500
MAX_BODY_BYTES = 1_048_576  # 500 events of about 300 bytes fit many times over; Kinesis takes 5 MiB a call
ATTEMPTS = 3
BACKOFF_SECONDS = 0.05
# Reasons listed per rejected event; field names are cut to this many characters (they echo the client's input).
MAX_REASONS = 10
MAX_FIELD_CHARS = 64
# Kinesis errors a retry can fix (PutRecords per-record codes, and the call's own throttling or 5xx); anything
# else (AccessDenied, ResourceNotFound, KMS access or state, validation) needs an operator, not a retry.
RETRYABLE_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "LimitExceededException",
        "InternalFailure",
        "InternalFailureException",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "KMSThrottlingException",
        "RequestTimeout",
        "RequestTimeoutException",
    }
)

logger = logging.getLogger(__name__)


def _refuse(status: int, code: str, message: str) -> dict[str, Any]:
    return error(status, code, message, accepted=0, rejected=[], failed=[])


def _subject(event: dict[str, Any]) -> str | None:
    claims = event.get("requestContext", {}).get("authorizer", {}).get("jwt", {}).get("claims", {})
    subject = claims.get("sub") if isinstance(claims, dict) else None
    return subject if isinstance(subject, str) and subject else None


def _body_bytes(event: dict[str, Any]) -> bytes:
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        return base64.b64decode(body, validate=True)
    if not isinstance(body, str):
        return b""
    try:
        return body.encode()
    except UnicodeEncodeError:  # a lone surrogate: text no UTF-8 byte sequence encodes
        raise BodyError("malformed_json", "the body is not valid UTF-8") from None


def _event_id(record: object) -> str | None:
    """The event's id to echo: a short printable string, or nothing (never the client's arbitrary value)."""
    event_id = record.get("eventId") if isinstance(record, dict) else None
    return event_id if isinstance(event_id, str) and len(event_id) <= 64 and event_id.isprintable() else None


def _rejection(index: int, record: object, reasons: list[dict[str, str]]) -> dict[str, Any]:
    listed = [
        {**reason, "field": reason["field"][:MAX_FIELD_CHARS] + ("…" if len(reason["field"]) > MAX_FIELD_CHARS else "")}
        for reason in reasons[:MAX_REASONS]
    ]
    entry: dict[str, Any] = {"index": index, "eventId": _event_id(record), "errors": listed}
    if len(reasons) > MAX_REASONS:
        entry["omitted"] = len(reasons) - MAX_REASONS
    return entry


def put_events(
    kinesis: KinesisClient,
    stream_arn: str,
    events: list[tuple[int, PlayerEvent]],
    sleep: Callable[[float], None] = time.sleep,
) -> list[dict[str, Any]]:
    """Put ``(index, event)`` pairs, packed into records (``records.pack``); return the events still not written.

    Records Kinesis refuses are put again, up to ``ATTEMPTS`` times in all; each event of a record that is
    still refused is reported with the record's error.
    """
    pending = pack(events)
    refused: list[tuple[Record, str]] = []  # the records of the last attempt that Kinesis refused, and why
    for attempt in range(ATTEMPTS):
        if attempt:
            sleep(BACKOFF_SECONDS * 2 ** (attempt - 1))
        refused = []
        for call in calls(pending):
            try:
                results = kinesis.put_records(
                    StreamARN=stream_arn,
                    Records=[{"Data": record.data, "PartitionKey": record.partition_key} for record in call],
                )["Records"]
            except (ClientError, BotoCoreError) as exc:
                code = exc.response["Error"]["Code"] if isinstance(exc, ClientError) else type(exc).__name__
                logger.warning("PutRecords failed for %d records: %s", len(call), code)
                results = [{"ErrorCode": code}] * len(call)
            refused += [
                (record, result["ErrorCode"])
                for record, result in zip(call, results, strict=True)
                if "ErrorCode" in result
            ]
        pending = [record for record, _ in refused]
        if not pending:
            break
    if pending:
        logger.warning(
            "%d records (%d events) not written after %d attempts",
            len(pending),
            sum(len(record.events) for record in pending),
            ATTEMPTS,
        )
    failed = [
        {"index": index, "eventId": event.event_id, "error": code, "retryable": code in RETRYABLE_CODES}
        for record, code in refused
        for index, event in record.events
    ]
    return sorted(failed, key=lambda entry: entry["index"])


def handle(event: dict[str, Any], *, kinesis: KinesisClient, stream_arn: str) -> dict[str, Any]:
    """The API Gateway HTTP API (payload 2.0) request -> response."""
    subject = _subject(event)
    if subject is None:
        return _refuse(401, "unauthorized", "no signed-in user in the request")
    try:
        raw = _body_bytes(event)
    except BodyError as exc:
        return _refuse(400, exc.code, str(exc))
    except (binascii.Error, ValueError):
        return _refuse(400, "malformed_body", "the body is marked base64 but is not valid base64")
    if len(raw) > MAX_BODY_BYTES:
        return _refuse(413, "body_too_large", f"the body is {len(raw)} bytes; at most {MAX_BODY_BYTES} are accepted")
    try:
        parsed = read(raw)
    except BodyError as exc:
        return _refuse(400, exc.code, str(exc))
    if isinstance(parsed, dict):
        records: list[object] = [parsed]
    elif isinstance(parsed, list):
        records = parsed
    else:
        return _refuse(400, "invalid_body", "the body must be one event (a JSON object) or a JSON array of events")
    if not records:
        return _refuse(400, "empty_batch", "the batch holds no events")
    if len(records) > MAX_EVENTS:
        return _refuse(413, "too_many_events", f"the batch holds {len(records)} events; at most {MAX_EVENTS} a request")

    valid: list[tuple[int, PlayerEvent]] = []
    rejected: list[dict[str, Any]] = []
    for index, record in enumerate(records):
        found = problems(record)
        result = found or check(record, subject)
        if isinstance(result, PlayerEvent):
            valid.append((index, result))
        else:
            rejected.append(_rejection(index, record, result))

    failed = put_events(kinesis, stream_arn, valid) if valid else []
    accepted = len(valid) - len(failed)
    body = {"accepted": accepted, "rejected": rejected, "failed": failed}
    if accepted == len(records):
        status = 200
    elif accepted:
        status = 207
    elif failed:
        status = 503
    else:
        status = 400
    logger.info("events: %d accepted, %d rejected, %d failed", accepted, len(rejected), len(failed))
    return json_response(status, body)
