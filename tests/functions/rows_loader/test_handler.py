"""The loader against moto's S3 and DynamoDB: a job's output becomes one run's items, or nothing is claimed."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from rows_loader import handler as handler_module
from rows_loader import writer
from rows_loader.handler import InvalidInputError, load
from rows_loader.lake import IncompleteOutputError
from rows_loader.writer import BatchWriter, UnwrittenItemsError, batches

from tests.support.rows import ROWS_TABLE, create_rows_table

LAKE = "showrunner-lake-test"
STARTED = "2026-11-27T03:00:00.123Z"
ENVIRONMENT = {"DATA_LAKE_BUCKET": LAKE, "ROWS_TABLE": ROWS_TABLE, "RETENTION_DAYS": "7", "ROW_CANDIDATES": "20"}


@pytest.fixture
def clients() -> Iterator[tuple[Any, Any]]:
    with mock_aws():
        s3, dynamodb = boto3.client("s3"), boto3.client("dynamodb")
        s3.create_bucket(Bucket=LAKE)
        create_rows_table(dynamodb)
        yield s3, dynamodb


def put_output(s3: Any, job: str, parts: list[list[dict[str, Any]]], *, success: bool = True, gz: bool = False) -> None:
    """A Spark job's output as it writes it: part files of JSON lines, then _SUCCESS."""
    prefix = f"{job}/date=2026-11-27/"
    for number, rows in enumerate(parts):
        body = "".join(json.dumps(row) + "\n" for row in rows).encode()
        name = f"part-{number:05d}-c000.json" + (".gz" if gz else "")
        s3.put_object(Bucket=LAKE, Key=prefix + name, Body=gzip.compress(body) if gz else body)
    if success:
        s3.put_object(Bucket=LAKE, Key=prefix + "_SUCCESS", Body=b"")


def event(job: str, run_id: str = "run-2") -> dict[str, Any]:
    return {"job": job, "runId": run_id, "runDate": "2026-11-27", "startedAt": STARTED}


def scan(dynamodb: Any) -> dict[tuple[str, str], dict[str, Any]]:
    items = dynamodb.scan(TableName=ROWS_TABLE)["Items"]
    return {(item["pk"]["S"], item["run"]["S"]): item for item in items}


def test_recommendations_from_every_part_file_are_written_under_the_run(clients: tuple[Any, Any]):
    s3, dynamodb = clients
    rows = [{"userId": f"viewer-{n}", "recommendations": [{"titleId": f"t-{n}", "score": 0.5}]} for n in range(60)]
    put_output(s3, "recommendations", [rows[:30], rows[30:]], gz=True)
    summary = load(event("recommendations"), s3=s3, dynamodb=dynamodb, environment=ENVIRONMENT)
    assert summary == {
        "job": "recommendations",
        "runId": "run-2",
        "objects": 2,
        "lines": 60,
        "malformed": 0,
        "items": 60,
    }
    items = scan(dynamodb)
    assert len(items) == 60
    item = items[("user#viewer-7", "run-2")]
    assert item["titles"] == {"L": [{"M": {"titleId": {"S": "t-7"}, "score": {"N": "0.5"}}}]}
    # Seven days after the execution started (03:00:00 UTC on 2026-11-27).
    assert item["expiresAt"] == {"N": str(1_795_748_400 + 7 * 86_400)}


def test_trending_is_written_per_country_and_for_every_country(clients: tuple[Any, Any]):
    s3, dynamodb = clients
    day = "2026-11-26"
    rows = [
        {"date": day, "country": "US", "rank": 1, "titleId": "t-a", "plays": 2},
        {"date": day, "country": "DE", "rank": 1, "titleId": "t-b", "plays": 1},
    ]
    put_output(s3, "trending", [rows])
    summary = load(event("trending"), s3=s3, dynamodb=dynamodb, environment=ENVIRONMENT)
    assert (summary["items"], summary["countries"]) == (3, 2)
    assert sorted(scan(dynamodb)) == [("trending#ALL", "run-2"), ("trending#DE", "run-2"), ("trending#US", "run-2")]


def test_an_output_without_success_is_not_loaded(clients: tuple[Any, Any]):
    s3, dynamodb = clients
    rows = [{"userId": "v", "recommendations": [{"titleId": "t", "score": 1}]}]
    put_output(s3, "recommendations", [rows], success=False)
    with pytest.raises(IncompleteOutputError, match="has no _SUCCESS"):
        load(event("recommendations"), s3=s3, dynamodb=dynamodb, environment=ENVIRONMENT)
    assert scan(dynamodb) == {}


def test_the_previous_runs_items_are_left_alone(clients: tuple[Any, Any]):
    s3, dynamodb = clients
    put_output(s3, "recommendations", [[{"userId": "v", "recommendations": [{"titleId": "t-new", "score": 1}]}]])
    dynamodb.put_item(TableName=ROWS_TABLE, Item={"pk": {"S": "user#v"}, "run": {"S": "run-1"}, "titles": {"L": []}})
    load(event("recommendations", run_id="run-2"), s3=s3, dynamodb=dynamodb, environment=ENVIRONMENT)
    assert sorted(scan(dynamodb)) == [("user#v", "run-1"), ("user#v", "run-2")]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"job": "everything"}, "job must be one of"),
        ({"runId": "a/b"}, "runId must be"),
        ({"runDate": "27.11.2026"}, "runDate must be"),
        ({"startedAt": "yesterday"}, "startedAt must be"),
    ],
)
def test_an_input_the_workflow_never_sends_is_refused(clients: tuple[Any, Any], change: dict[str, str], message: str):
    s3, dynamodb = clients
    with pytest.raises(InvalidInputError, match=message):
        load({**event("trending"), **change}, s3=s3, dynamodb=dynamodb, environment=ENVIRONMENT)


def test_the_handler_reads_its_environment(clients: tuple[Any, Any], monkeypatch: pytest.MonkeyPatch):
    s3, _dynamodb = clients
    put_output(s3, "recommendations", [[{"userId": "v", "recommendations": [{"titleId": "t", "score": 1}]}]])
    for name, value in ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    handler_module.reset()
    try:
        assert handler_module.handler(event("recommendations"), None)["items"] == 1
    finally:
        handler_module.reset()


# --- BatchWriteItem: 25 a request, unprocessed items sent again ------------------------------------------------


class Partial:
    """DynamoDB (moto) that leaves the last ``leave`` items of each of the first ``times`` requests unprocessed."""

    def __init__(self, client: Any, leave: int, times: int) -> None:
        self.client, self.leave, self.times = client, leave, times
        self.requests: list[int] = []

    def batch_write_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:  # noqa: N803 (boto3's name)
        ((table, requests),) = RequestItems.items()
        self.requests.append(len(requests))
        if len(self.requests) > self.times:
            answer: dict[str, Any] = self.client.batch_write_item(RequestItems=RequestItems)
            return answer
        done, left = requests[: -self.leave], requests[-self.leave :]
        if done:
            self.client.batch_write_item(RequestItems={table: done})
        return {"UnprocessedItems": {table: left}}


def items(count: int) -> list[dict[str, Any]]:
    return [{"pk": {"S": f"user#v{n}"}, "run": {"S": "r"}, "titles": {"L": []}} for n in range(count)]


def test_unprocessed_items_are_sent_again_after_a_backoff(clients: tuple[Any, Any]):
    _s3, dynamodb = clients
    proxy = Partial(dynamodb, leave=5, times=2)
    pauses: list[float] = []
    written = BatchWriter(proxy, ROWS_TABLE, sleep=pauses.append, workers=1, jitter=lambda: 1.0).write(items(25))
    assert written == 25
    assert proxy.requests == [25, 5, 5]
    assert pauses == [0.1, 0.2]
    assert len(scan(dynamodb)) == 25


def test_items_still_unprocessed_after_every_attempt_fail_the_load(clients: tuple[Any, Any]):
    _s3, dynamodb = clients
    proxy = Partial(dynamodb, leave=1, times=99)
    with pytest.raises(UnwrittenItemsError, match="1 items still unprocessed after 8 attempts"):
        BatchWriter(proxy, ROWS_TABLE, sleep=lambda _s: None, workers=1).write(items(3))
    assert len(proxy.requests) == writer.ATTEMPTS


def test_throttling_is_retried_and_other_errors_fail_at_once():
    class Refusing:
        def __init__(self, code: str, times: int) -> None:
            self.code, self.times, self.calls = code, times, 0

        def batch_write_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:  # noqa: N803
            self.calls += 1
            if self.calls <= self.times:
                raise ClientError({"Error": {"Code": self.code, "Message": "no"}}, "BatchWriteItem")
            return {"UnprocessedItems": {}}

    throttled = Refusing("ProvisionedThroughputExceededException", 2)
    assert BatchWriter(throttled, "t", sleep=lambda _s: None).write(items(2)) == 2
    assert throttled.calls == 3
    denied = Refusing("AccessDeniedException", 1)
    with pytest.raises(UnwrittenItemsError, match="AccessDeniedException"):
        BatchWriter(denied, "t", sleep=lambda _s: None).write(items(2))
    assert denied.calls == 1


def test_batches_hold_25_items_and_never_one_key_twice():
    found = list(batches(items(60)))
    assert [len(b) for b in found] == [25, 25, 10]
    repeated = [*items(3), *items(1), *items(2)]  # v0 v1 v2 | v0 | v0 v1: each repeat starts a request
    assert [[i["pk"]["S"] for i in b] for b in batches(repeated)] == [
        ["user#v0", "user#v1", "user#v2"],
        ["user#v0"],
        ["user#v0", "user#v1"],
    ]


def test_many_batches_in_flight_write_everything(clients: tuple[Any, Any]):
    _s3, dynamodb = clients
    assert BatchWriter(dynamodb, ROWS_TABLE, workers=4).write(items(260)) == 260
    assert len(scan(dynamodb)) == 260
