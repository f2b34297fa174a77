"""POST /events answers every body with a clear status, never an exception, and loses no good event.

``handle`` with a recording Kinesis stub (nothing leaves the process): each class of body that used to
escape as an exception (a 500 the client retries forever, the batch's good events lost) or to produce
an answer larger than Lambda may return.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError
from event_ingest import ingest
from event_ingest.ingest import MAX_REASONS, handle
from event_ingest.schema import ISO_3166_1_ALPHA_2

from tests.support.event_corpus import event

SUBJECT = "u-123"
LAMBDA_RESPONSE_LIMIT = 6 * 1024 * 1024


class Kinesis:
    """Accepts every record, or fails them with ``code`` (per record, or the whole call when ``call_fails``).

    ``written``: the events of the records it accepted (each record holds JSON lines, one per event)."""

    def __init__(self, code: str | None = None, *, call_fails: bool = False) -> None:
        self.code = code
        self.call_fails = call_fails
        self.written: list[dict[str, Any]] = []

    def put_records(self, **kwargs: Any) -> dict[str, Any]:
        if self.code and self.call_fails:
            raise ClientError({"Error": {"Code": self.code, "Message": "no"}}, "PutRecords")
        if self.code:
            count = len(kwargs["Records"])
            return {"FailedRecordCount": count, "Records": [{"ErrorCode": self.code}] * count}
        self.written += [json.loads(line) for record in kwargs["Records"] for line in record["Data"].splitlines()]
        return {"FailedRecordCount": 0, "Records": [{"SequenceNumber": "1", "ShardId": "0"} for _ in kwargs["Records"]]}


def post(body: str | bytes, kinesis: Kinesis | None = None) -> tuple[int, dict[str, Any], Kinesis]:
    stub = kinesis or Kinesis()
    request = {
        "requestContext": {"authorizer": {"jwt": {"claims": {"sub": SUBJECT}}}},
        "body": body,
        "isBase64Encoded": False,
    }
    response = handle(request, kinesis=stub, stream_arn="arn:aws:kinesis:us-east-1:123456789012:stream/x")  # type: ignore[arg-type]
    assert len(json.dumps(response)) <= LAMBDA_RESPONSE_LIMIT
    return response["statusCode"], json.loads(response["body"]), stub


def good() -> dict[str, Any]:
    return event(eventId=str(uuid.uuid4()))


GOOD = json.dumps(good())


# --- nothing readable: 400 malformed_json -------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    ["[" * 100_000, '{"a":' * 100_000, "[" + "[" * 50_000 + GOOD + "]" * 50_000 + "]"],
    ids=["arrays", "objects", "an event inside"],
)
def test_nesting_too_deep_to_read_is_400_malformed_json(body: str):
    status, answer, stub = post(body)
    assert (status, answer["error"]) == (400, "malformed_json")
    assert answer["message"] == "the body is nested too deeply to read; an event is a flat JSON object"
    assert stub.written == []


def test_a_lone_surrogate_in_the_body_text_is_400_malformed_json():
    status, answer, _ = post('[{"eventId": "\ud800"}]')
    assert (status, answer["error"], answer["message"]) == (400, "malformed_json", "the body is not valid UTF-8")


# --- readable: the bad event is rejected, the good ones are written ------------------------------------------

PER_EVENT = {  # field, its value as written in the body, the reason
    "int of 5,000 digits": ("positionSec", "1" + "0" * 4999, "is a number of 5000 characters"),
    "float of 5,000 digits": ("positionSec", "0." + "1" * 4998, "is a number of 5000 characters"),
    "float beyond a double": ("positionSec", "1e400", "is a number too large for a double"),
    "NaN": ("positionSec", "NaN", "is NaN, which is not a JSON number"),
    "-Infinity": ("bitrateKbps", "-Infinity", "is -Infinity, which is not a JSON number"),
    "repeated userId": ("userId", '"u-123", "userId": "someone-else"', "appears more than once"),
    "repeated userId, the other way": ("userId", '"someone-else", "userId": "u-123"', "appears more than once"),
    "unassigned country": ("country", '"ZZ"', "is not an assigned ISO 3166-1 alpha-2 code"),
}


@pytest.mark.parametrize("case", PER_EVENT)
def test_a_value_no_event_can_hold_rejects_only_its_event(case: str):
    field, written, reason = PER_EVENT[case]
    bad = json.dumps({**good(), field: "PLACEHOLDER"}).replace('"PLACEHOLDER"', written)
    first, last = good(), good()
    status, answer, stub = post(f"[{json.dumps(first)}, {bad}, {json.dumps(last)}]")
    assert status == 207
    assert answer["accepted"] == 2
    assert [e["eventId"] for e in stub.written] == [first["eventId"], last["eventId"]]
    (rejected,) = answer["rejected"]
    assert rejected["index"] == 1
    assert any(e["field"] == field and e["reason"].startswith(reason) for e in rejected["errors"]), rejected


def test_every_assigned_country_code_is_accepted_and_only_those():
    assert len(ISO_3166_1_ALPHA_2) == 249
    assert {"US", "DE", "JP", "GB", "AQ", "SS", "BQ"} <= ISO_3166_1_ALPHA_2
    assert not {"UK", "EU", "XK", "ZZ", "AA", "QO"} & ISO_3166_1_ALPHA_2


# --- bounded answers ----------------------------------------------------------------------------------------


def test_a_megabyte_of_unknown_fields_gets_a_small_answer_that_says_how_much_was_left_out():
    record = good()
    fields = ", ".join(f'"f{index:06d}": 0' for index in range(70_000))
    status, answer, _ = post(json.dumps(record)[:-1] + ", " + fields + "}")
    assert status == 400
    (rejected,) = answer["rejected"]
    assert len(rejected["errors"]) == MAX_REASONS
    assert rejected["omitted"] == 70_000 - MAX_REASONS
    assert rejected["eventId"] == record["eventId"]


def test_long_or_strange_client_values_are_not_echoed():
    long_name = "n" * 100_000
    records = [
        {**good(), long_name: 1},
        {**good(), "eventId": "x" * 500_000},
        {**good(), "eventId": "\udc00"},
        {**good(), "eventId": [[[["nested"]]]]},
    ]
    status, answer, _ = post(json.dumps(records))
    assert status == 400
    first, long_id, surrogate, nested = answer["rejected"]
    assert first["errors"] == [{"field": "n" * 64 + "…", "reason": "Extra inputs are not permitted"}]
    assert (long_id["eventId"], surrogate["eventId"], nested["eventId"]) == (None, None, None)
    assert len(json.dumps(answer)) < 10_000


def test_a_nested_event_id_is_not_written_back_into_the_answer():
    """Echoed, a value nested near the decoder's limit would take the encoder past it (a 500 after the writes)."""
    status, answer, stub = post(json.dumps([good()])[:-1] + ', {"eventId": ' + "[" * 400 + "]" * 400 + "}]")
    assert (status, answer["accepted"], answer["rejected"][0]["eventId"]) == (207, 1, None)
    assert len(stub.written) == 1


# --- retryable: only what a retry can fix -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "call_fails", "retryable"),
    [
        ("ProvisionedThroughputExceededException", False, True),
        ("InternalFailure", False, True),
        ("ThrottlingException", True, True),
        ("KMSThrottlingException", False, True),
        ("AccessDeniedException", True, False),
        ("ResourceNotFoundException", True, False),
        ("KMSAccessDeniedException", False, False),
        ("KMSDisabledException", False, False),
        ("ValidationException", True, False),
    ],
)
def test_failed_events_are_retryable_only_when_a_retry_can_help(code: str, call_fails: bool, retryable: bool):
    ingest.BACKOFF_SECONDS, saved = 0.0, ingest.BACKOFF_SECONDS
    try:
        status, answer, _ = post(json.dumps([good(), good()]), Kinesis(code, call_fails=call_fails))
    finally:
        ingest.BACKOFF_SECONDS = saved
    assert status == 503
    assert [(f["error"], f["retryable"]) for f in answer["failed"]] == [(code, retryable)] * 2
