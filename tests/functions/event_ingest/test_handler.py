"""POST /events against moto's Kinesis: records are put, read back, and bad input never loses good events.

A request's valid events are packed into Kinesis records of JSON lines (``event_ingest.records``):
these tests read every record back from moto and split it into its lines.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from event_ingest import handler as handler_module
from event_ingest import ingest, records
from event_ingest.ingest import handle
from event_ingest.schema import PlayerEvent
from moto import mock_aws

from tests.support.event_corpus import BASE, INVALID, event
from tests.support.events import events_post

SUBJECT = "u-123"


@pytest.fixture
def kinesis() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("kinesis", region_name="us-east-1")
        client.create_stream(StreamName="player-events", ShardCount=2)
        yield client


@pytest.fixture
def stream_arn(kinesis: Any) -> str:
    arn: str = kinesis.describe_stream_summary(StreamName="player-events")["StreamDescriptionSummary"]["StreamARN"]
    return arn


def request(
    body: Any, *, subject: str | None = SUBJECT, raw: str | None = None, b64: bool | bytes = False
) -> dict[str, Any]:
    """An HTTP API v2 request; ``b64`` as bytes is sent base64-encoded as they are."""
    text = raw if raw is not None else json.dumps(body)
    if isinstance(b64, bytes):
        text, b64 = base64.b64encode(b64).decode(), False
        return {**request(None, raw=text, subject=subject), "isBase64Encoded": True}
    return events_post(base64.b64encode(text.encode()).decode() if b64 else text, subject or None, base64_encoded=b64)


def stream_records(kinesis: Any) -> list[tuple[str, bytes]]:
    """Every (partition key, data) on the stream, from every shard."""
    found = []
    for shard in kinesis.list_shards(StreamName="player-events")["Shards"]:
        iterator = kinesis.get_shard_iterator(
            StreamName="player-events", ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        found += [(r["PartitionKey"], r["Data"]) for r in kinesis.get_records(ShardIterator=iterator)["Records"]]
    return found


def stream_events(kinesis: Any) -> list[dict[str, Any]]:
    """Every event on the stream, in the order of the records' lines (each line one JSON event)."""
    found = []
    for _key, data in stream_records(kinesis):
        assert data.endswith(b"\n")
        found += [json.loads(line) for line in data.splitlines()]
    return found


def new_event(**changes: Any) -> dict[str, Any]:
    return event(eventId=str(uuid.uuid4()), **changes)


def body_of(response: dict[str, Any]) -> dict[str, Any]:
    assert response["headers"]["Content-Type"] == "application/json"
    result: dict[str, Any] = json.loads(response["body"])
    return result


def test_one_event_is_written_with_user_id_as_partition_key(kinesis: Any, stream_arn: str):
    sent = new_event()
    response = handle(request(sent), kinesis=kinesis, stream_arn=stream_arn)
    assert response["statusCode"] == 200
    assert body_of(response) == {"accepted": 1, "rejected": [], "failed": []}
    ((key, data),) = stream_records(kinesis)
    assert key == SUBJECT
    assert data.endswith(b"\n")
    assert json.loads(data) == sent


def test_a_batch_of_500_is_one_kinesis_record_of_500_json_lines_in_order(kinesis: Any, stream_arn: str):
    sent = [new_event(positionSec=n) for n in range(500)]
    response = handle(request(sent), kinesis=kinesis, stream_arn=stream_arn)
    assert response["statusCode"] == 200
    assert body_of(response)["accepted"] == 500
    ((key, data),) = stream_records(kinesis)  # one record: about 100 KB, far under Kinesis's 1 MiB
    assert key == SUBJECT
    assert len(data) < records.MAX_RECORD_BYTES
    lines = data.split(b"\n")
    assert lines[-1] == b""
    assert [json.loads(line) for line in lines[:-1]] == sent


def test_records_concatenated_as_firehose_does_are_the_accepted_events_as_json_lines(kinesis: Any, stream_arn: str):
    """Firehose writes a stream's records one after the other: the object is then one event per line."""
    batches = [[new_event(positionSec=n + 10 * b) for n in range(7)] for b in range(3)]
    for batch in batches:
        assert handle(request(batch), kinesis=kinesis, stream_arn=stream_arn)["statusCode"] == 200
    found = stream_records(kinesis)
    assert len(found) == 3
    lines = b"".join(data for _, data in found).decode().splitlines()
    assert sorted(map(json.loads, lines), key=lambda e: e["positionSec"]) == [e for b in batches for e in b]


def test_bad_events_are_rejected_per_record_and_good_ones_still_written(kinesis: Any, stream_arn: str):
    good = [new_event(), new_event(type="heartbeat", positionSec=30)]
    bad = [record for record, _ in INVALID.values()]
    batch: list[Any] = [good[0], *bad, good[1]]
    response = handle(request(batch), kinesis=kinesis, stream_arn=stream_arn)
    assert response["statusCode"] == 207
    result = body_of(response)
    assert result["accepted"] == 2
    assert result["failed"] == []
    assert [r["index"] for r in result["rejected"]] == list(range(1, len(bad) + 1))
    for rejection, (record, field) in zip(result["rejected"], INVALID.values(), strict=True):
        assert [e["field"] for e in rejection["errors"]] == [field]
        assert rejection["eventId"] == (record.get("eventId") if isinstance(record, dict) else None)
    assert [e["eventId"] for e in stream_events(kinesis)] == [e["eventId"] for e in good]


def test_another_users_events_are_rejected(kinesis: Any, stream_arn: str):
    response = handle(request([new_event(userId="u-999")]), kinesis=kinesis, stream_arn=stream_arn)
    assert response["statusCode"] == 400
    (rejection,) = body_of(response)["rejected"]
    assert rejection["errors"] == [{"field": "userId", "reason": "must be the signed-in user (the token's subject)"}]
    assert stream_records(kinesis) == []


def test_base64_bodies_are_decoded(kinesis: Any, stream_arn: str):
    response = handle(request(new_event(), b64=True), kinesis=kinesis, stream_arn=stream_arn)
    assert response["statusCode"] == 200
    assert len(stream_events(kinesis)) == 1


@pytest.mark.parametrize(
    ("req", "status", "error"),
    [
        (request(None, raw='[{"eventId": '), 400, "malformed_json"),
        (request(None, b64=b"\xff\xfe[]"), 400, "malformed_json"),
        (request(None, raw=""), 400, "malformed_json"),
        ({**request(None, raw="not base64!"), "isBase64Encoded": True}, 400, "malformed_body"),
        (request("play"), 400, "invalid_body"),
        (request(42), 400, "invalid_body"),
        (request([]), 400, "empty_batch"),
        (request([BASE] * 501), 413, "too_many_events"),
        (request(None, raw=json.dumps([BASE]) + " " * ingest.MAX_BODY_BYTES), 413, "body_too_large"),
        (request(BASE, subject=None), 401, "unauthorized"),
    ],
    ids=["truncated", "not-utf8", "empty", "bad-base64", "string", "number", "empty-array", "501", "1MiB", "no-sub"],
)
def test_unreadable_bodies_get_a_clear_4xx_and_nothing_is_written(
    kinesis: Any, stream_arn: str, req: dict[str, Any], status: int, error: str
):
    response = handle(req, kinesis=kinesis, stream_arn=stream_arn)
    assert response["statusCode"] == status
    result = body_of(response)
    assert result["error"] == error
    assert result["message"]
    assert (result["accepted"], result["rejected"], result["failed"]) == (0, [], [])
    assert stream_records(kinesis) == []


class Throttling:
    """Kinesis (moto) behind a proxy that refuses chosen records on the first ``refusals`` calls."""

    def __init__(
        self, client: Any, refuse: set[int], refusals: int, refuse_if: Callable[[bytes], bool] | None = None
    ) -> None:
        self.client, self.refusals, self.calls = client, refusals, 0
        self.positions, self.refuse_if = refuse, refuse_if

    def put_records(self, **kwargs: Any) -> Any:
        self.calls += 1
        records = kwargs["Records"]
        if self.calls > self.refusals:
            return self.client.put_records(**kwargs)
        # Positions are within this call (on a first call, the packed records' own), or records whose data matches.
        self.refuse = {
            i for i, r in enumerate(records) if i in self.positions or (self.refuse_if and self.refuse_if(r["Data"]))
        }
        passed = [r for i, r in enumerate(records) if i not in self.refuse]
        written = iter(
            self.client.put_records(StreamARN=kwargs["StreamARN"], Records=passed)["Records"] if passed else []
        )
        refused = {"ErrorCode": "ProvisionedThroughputExceededException", "ErrorMessage": "Rate exceeded"}
        return {
            "FailedRecordCount": len(self.refuse),
            "Records": [refused if i in self.refuse else next(written) for i in range(len(records))],
        }


@pytest.fixture
def two_events_a_record(monkeypatch: pytest.MonkeyPatch) -> None:
    """Records small enough to hold two of these events (each line is about 230 bytes), not three."""
    line = len(json.dumps(new_event(), separators=(",", ":"))) + 1
    monkeypatch.setattr(records, "MAX_RECORD_BYTES", len(SUBJECT) + 2 * line + 10)


def test_small_records_hold_consecutive_events_and_split_where_the_limit_falls(
    kinesis: Any, stream_arn: str, two_events_a_record: None
):
    sent = [new_event(positionSec=n) for n in range(5)]
    assert handle(request(sent), kinesis=kinesis, stream_arn=stream_arn)["statusCode"] == 200
    found = stream_records(kinesis)
    assert [[json.loads(line)["positionSec"] for line in data.splitlines()] for _, data in found] == [
        [0, 1],
        [2, 3],
        [4],
    ]
    assert all(len(data) + len(key) <= records.MAX_RECORD_BYTES for key, data in found)


def test_throttled_records_are_retried_until_written(kinesis: Any, stream_arn: str, two_events_a_record: None):
    sent = [new_event(positionSec=n) for n in range(5)]
    proxy = Throttling(kinesis, refuse={1}, refusals=1)  # the record of events 2 and 3, once
    response = handle(request(sent), kinesis=proxy, stream_arn=stream_arn)  # type: ignore[arg-type]
    assert response["statusCode"] == 200
    assert body_of(response) == {"accepted": 5, "rejected": [], "failed": []}
    assert proxy.calls == 2
    assert sorted(e["positionSec"] for e in stream_events(kinesis)) == [0, 1, 2, 3, 4]


def test_every_event_of_a_record_still_refused_is_reported_and_the_others_written(
    kinesis: Any, stream_arn: str, two_events_a_record: None
):
    sent = [new_event(positionSec=n) for n in range(5)]
    proxy = Throttling(kinesis, refuse={0}, refusals=99)
    pauses: list[float] = []
    valid = [(i, PlayerEvent.model_validate(e)) for i, e in enumerate(sent)]
    failed = ingest.put_events(proxy, stream_arn, valid, sleep=pauses.append)  # type: ignore[arg-type]
    assert proxy.calls == ingest.ATTEMPTS
    assert pauses == [0.05, 0.1]
    throttled = "ProvisionedThroughputExceededException"
    assert failed == [
        {"index": i, "eventId": sent[i]["eventId"], "error": throttled, "retryable": True} for i in (0, 1)
    ]
    assert sorted(e["positionSec"] for e in stream_events(kinesis)) == [2, 3, 4]


def test_a_partly_refused_batch_is_207_naming_exactly_the_events_not_written(
    kinesis: Any, stream_arn: str, two_events_a_record: None, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(ingest, "BACKOFF_SECONDS", 0.0)
    sent = [new_event(positionSec=n) for n in range(4)]
    proxy = Throttling(kinesis, refuse=set(), refusals=99, refuse_if=lambda data: b'"positionSec":2' in data)
    response = handle(request([sent[0], {"bad": 1}, *sent[1:]]), kinesis=proxy, stream_arn=stream_arn)  # type: ignore[arg-type]
    assert response["statusCode"] == 207
    result = body_of(response)
    assert result["accepted"] == 2
    assert [r["index"] for r in result["rejected"]] == [1]
    assert [(f["index"], f["eventId"]) for f in result["failed"]] == [(3, sent[2]["eventId"]), (4, sent[3]["eventId"])]
    assert [e["positionSec"] for e in stream_events(kinesis)] == [0, 1]


def test_put_records_calls_stay_within_kinesis_limits_of_records_and_bytes(monkeypatch: pytest.MonkeyPatch):
    """500 records or 5 MiB a call: with tiny limits, a batch is spread over several calls, in order."""
    monkeypatch.setattr(records, "MAX_RECORD_BYTES", 1)  # one event a record
    monkeypatch.setattr(records, "MAX_CALL_RECORDS", 3)

    class Recording:
        def __init__(self) -> None:
            self.calls: list[list[dict[str, Any]]] = []

        def put_records(self, **kwargs: Any) -> Any:
            self.calls.append(kwargs["Records"])
            return {"FailedRecordCount": 0, "Records": [{"SequenceNumber": "1"} for _ in kwargs["Records"]]}

    sent = [new_event(positionSec=n) for n in range(7)]
    stub = Recording()
    response = handle(request(sent), kinesis=stub, stream_arn="arn:aws:kinesis:us-east-1:123456789012:stream/x")  # type: ignore[arg-type]
    assert response["statusCode"] == 200
    assert [len(call) for call in stub.calls] == [3, 3, 1]
    assert [json.loads(r["Data"])["positionSec"] for call in stub.calls for r in call] == list(range(7))


class Unavailable:
    def __init__(self) -> None:
        self.calls = 0

    def put_records(self, **kwargs: Any) -> Any:
        self.calls += 1
        raise ClientError({"Error": {"Code": "InternalFailure", "Message": "boom"}}, "PutRecords")


def test_a_failed_stream_returns_503_with_every_valid_event_retryable(kinesis: Any, stream_arn: str, monkeypatch):
    monkeypatch.setattr(ingest, "BACKOFF_SECONDS", 0.0)
    sent = [new_event(), new_event()]
    proxy = Unavailable()
    response = handle(request([*sent, {"bad": 1}]), kinesis=proxy, stream_arn=stream_arn)  # type: ignore[arg-type]
    assert response["statusCode"] == 503
    result = body_of(response)
    assert result["accepted"] == 0
    assert [(f["index"], f["eventId"], f["error"], f["retryable"]) for f in result["failed"]] == [
        (0, sent[0]["eventId"], "InternalFailure", True),
        (1, sent[1]["eventId"], "InternalFailure", True),
    ]
    assert [r["index"] for r in result["rejected"]] == [2]
    assert proxy.calls == ingest.ATTEMPTS


def test_lambda_handler_reads_the_stream_from_its_environment(kinesis: Any, stream_arn: str, monkeypatch):
    monkeypatch.setenv("STREAM_ARN", stream_arn)
    handler_module._kinesis.cache_clear()
    response = handler_module.handler(request(new_event()), None)
    handler_module._kinesis.cache_clear()
    assert response["statusCode"] == 200
    assert len(stream_events(kinesis)) == 1
