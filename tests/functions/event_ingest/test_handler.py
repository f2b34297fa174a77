"""POST /events against moto's Kinesis: records are put, read back, and bad input never loses good events."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from event_ingest import handler as handler_module
from event_ingest import ingest
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


def test_a_batch_of_500_is_written_in_full(kinesis: Any, stream_arn: str):
    sent = [new_event(positionSec=n) for n in range(500)]
    response = handle(request(sent), kinesis=kinesis, stream_arn=stream_arn)
    assert response["statusCode"] == 200
    assert body_of(response)["accepted"] == 500
    records = stream_records(kinesis)
    assert {key for key, _ in records} == {SUBJECT}
    assert sorted(json.loads(data)["eventId"] for _, data in records) == sorted(e["eventId"] for e in sent)


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
    assert sorted(json.loads(data)["eventId"] for _, data in stream_records(kinesis)) == sorted(
        e["eventId"] for e in good
    )


def test_another_users_events_are_rejected(kinesis: Any, stream_arn: str):
    response = handle(request([new_event(userId="u-999")]), kinesis=kinesis, stream_arn=stream_arn)
    assert response["statusCode"] == 400
    (rejection,) = body_of(response)["rejected"]
    assert rejection["errors"] == [{"field": "userId", "reason": "must be the signed-in user (the token's subject)"}]
    assert stream_records(kinesis) == []


def test_base64_bodies_are_decoded(kinesis: Any, stream_arn: str):
    response = handle(request(new_event(), b64=True), kinesis=kinesis, stream_arn=stream_arn)
    assert response["statusCode"] == 200
    assert len(stream_records(kinesis)) == 1


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

    def __init__(self, client: Any, refuse: set[int], refusals: int) -> None:
        self.client, self.refuse, self.refusals, self.calls = client, refuse, refusals, 0

    def put_records(self, **kwargs: Any) -> Any:
        self.calls += 1
        records = kwargs["Records"]
        if self.calls > self.refusals:
            return self.client.put_records(**kwargs)
        # Positions are within this call; on a first call they are the batch's own.
        passed = [r for i, r in enumerate(records) if i not in self.refuse]
        written = iter(
            self.client.put_records(StreamARN=kwargs["StreamARN"], Records=passed)["Records"] if passed else []
        )
        refused = {"ErrorCode": "ProvisionedThroughputExceededException", "ErrorMessage": "Rate exceeded"}
        return {
            "FailedRecordCount": len(self.refuse),
            "Records": [refused if i in self.refuse else next(written) for i in range(len(records))],
        }


def test_throttled_records_are_retried_until_written(kinesis: Any, stream_arn: str):
    sent = [new_event(positionSec=n) for n in range(5)]
    proxy = Throttling(kinesis, refuse={1, 3}, refusals=1)
    response = handle(request(sent), kinesis=proxy, stream_arn=stream_arn)  # type: ignore[arg-type]
    assert response["statusCode"] == 200
    assert body_of(response) == {"accepted": 5, "rejected": [], "failed": []}
    assert proxy.calls == 2
    assert sorted(json.loads(d)["positionSec"] for _, d in stream_records(kinesis)) == [0, 1, 2, 3, 4]


def test_records_still_throttled_after_retries_are_reported_as_retryable(kinesis: Any, stream_arn: str):
    sent = [new_event(positionSec=n) for n in range(3)]
    proxy = Throttling(kinesis, refuse={0}, refusals=99)
    pauses: list[float] = []
    valid = [(i, PlayerEvent.model_validate(e)) for i, e in enumerate(sent)]
    failed = ingest.put_events(proxy, stream_arn, valid, sleep=pauses.append)  # type: ignore[arg-type]
    assert proxy.calls == ingest.ATTEMPTS
    assert pauses == [0.05, 0.1]
    assert failed == [
        {
            "index": 0,
            "eventId": sent[0]["eventId"],
            "error": "ProvisionedThroughputExceededException",
            "retryable": True,
        }
    ]
    assert sorted(json.loads(d)["positionSec"] for _, d in stream_records(kinesis)) == [1, 2]


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
    assert len(stream_records(kinesis)) == 1
