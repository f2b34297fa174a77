"""GET /me/recommendations and GET /trending against moto's DynamoDB: one run, the catalog's say, cold starts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from personal_rows.schema import POINTER_KEY, Entry, row_item, trending_key, user_key
from rows_api import aws as aws_module
from rows_api import handler as handler_module
from rows_api.aws import CatalogItems, RowStore
from rows_api.service import Rows

from tests.support.catalog import TABLE as CATALOG_TABLE
from tests.support.catalog import create_table as create_catalog_table
from tests.support.catalog import item as catalog_item
from tests.support.rows import ROWS_TABLE, create_rows_table

NOW = 1_800_000_000.0
LATER = int(NOW) + 86_400
VIEWER = "viewer-1"


class Clock:
    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("dynamodb")
        create_rows_table(client)
        create_catalog_table(client)
        for title in ("t-a", "t-b", "t-c", "t-d", "t-e"):
            client.put_item(TableName=CATALOG_TABLE, Item=catalog_item(title, name=f"Title {title[-1].upper()}"))
        yield client


def put(client: Any, item: dict[str, Any]) -> None:
    client.put_item(TableName=ROWS_TABLE, Item=item)


def switch(client: Any, run_id: str, run_date: str = "2026-11-27") -> None:
    put(client, {**POINTER_KEY, "runId": {"S": run_id}, "runDate": {"S": run_date}})


def rows(client: Any, clock: Clock | None = None) -> Rows:
    clock = clock or Clock()
    return Rows(
        store=RowStore(client, ROWS_TABLE, clock=clock),
        catalog=CatalogItems(client, CATALOG_TABLE, clock=clock),
        clock=clock,
    )


def request(route: str, *, sub: str | None = VIEWER, country: str | None = "US") -> dict[str, Any]:
    claims = {"sub": sub} if sub else {}
    headers = {"authorization": "Bearer x", **({"cloudfront-viewer-country": country} if country else {})}
    method, path = route.split(" ")
    return {
        "version": "2.0",
        "routeKey": route,
        "rawPath": path,
        "headers": headers,
        "requestContext": {"http": {"method": method, "path": path}, "authorizer": {"jwt": {"claims": claims}}},
    }


def answer(service: Rows, route: str, **options: Any) -> tuple[int, dict[str, Any]]:
    response = service.handle(request(route, **options))
    assert response["headers"]["Cache-Control"] == "no-store"
    return response["statusCode"], json.loads(response["body"])


def ids(body: dict[str, Any]) -> list[str]:
    return [title["titleId"] for title in body["titles"]]


def recommend(client: Any, run_id: str, titles: list[str], user: str = VIEWER, expires: int = LATER) -> None:
    found = [Entry(t, 1.0 - n / 10) for n, t in enumerate(titles)]
    put(client, row_item(user_key(user, run_id), found, "score", expires))


def trend(client: Any, run_id: str, country: str, titles: list[str], expires: int = LATER) -> None:
    found = [Entry(t, 10.0 - n) for n, t in enumerate(titles)]
    put(client, row_item(trending_key(country, run_id), found, "plays", expires, date="2026-11-26"))


def test_a_viewer_gets_their_recommendations_with_names_from_the_catalog(dynamodb: Any):
    recommend(dynamodb, "run-1", ["t-c", "t-a"])
    switch(dynamodb, "run-1")
    status, body = answer(rows(dynamodb), "GET /me/recommendations")
    assert status == 200
    assert body == {
        "country": "US",
        "runDate": "2026-11-27",
        "source": "recommendations",
        "titles": [{"titleId": "t-c", "name": "Title C"}, {"titleId": "t-a", "name": "Title A"}],
    }


def test_only_the_run_the_pointer_names_is_served(dynamodb: Any):
    recommend(dynamodb, "run-1", ["t-a"])
    recommend(dynamodb, "run-2", ["t-b"])  # loaded, not switched yet
    trend(dynamodb, "run-1", "US", ["t-d"])
    switch(dynamodb, "run-1")
    assert ids(answer(rows(dynamodb), "GET /me/recommendations")[1]) == ["t-a"]
    switch(dynamodb, "run-2")
    _, body = answer(rows(dynamodb), "GET /me/recommendations")
    assert ids(body) == ["t-b"]
    # run-2 has no trending rows: nothing of run-1 is mixed in.
    assert answer(rows(dynamodb), "GET /trending")[1]["titles"] == []


def test_a_viewer_without_history_gets_trending_in_their_country(dynamodb: Any):
    trend(dynamodb, "run-1", "US", ["t-e", "t-d"])
    trend(dynamodb, "run-1", "ALL", ["t-a"])
    switch(dynamodb, "run-1")
    status, body = answer(rows(dynamodb), "GET /me/recommendations", sub="newcomer")
    assert (status, body["source"], body["scope"], ids(body)) == (200, "trending", "US", ["t-e", "t-d"])
    assert body["date"] == "2026-11-26"


def test_a_country_without_a_list_or_an_unknown_one_gets_every_countrys_list(dynamodb: Any):
    trend(dynamodb, "run-1", "US", ["t-e"])
    trend(dynamodb, "run-1", "ALL", ["t-a", "t-b"])
    switch(dynamodb, "run-1")
    for country in ("FR", None):
        _, body = answer(rows(dynamodb), "GET /trending", country=country)
        assert (body["country"], body["scope"], ids(body)) == (country, "ALL", ["t-a", "t-b"])


def test_the_country_comes_only_from_cloudfronts_header(dynamodb: Any):
    trend(dynamodb, "run-1", "DE", ["t-c"])
    trend(dynamodb, "run-1", "ALL", ["t-a"])
    switch(dynamodb, "run-1")
    event = request("GET /trending", country=None)
    event["rawQueryString"] = "country=DE"
    event["queryStringParameters"] = {"country": "DE"}
    event["headers"]["x-country"] = "DE"
    body = json.loads(rows(dynamodb).handle(event)["body"])
    assert (body["country"], ids(body)) == (None, ["t-a"])
    _, body = answer(rows(dynamodb), "GET /trending", country="de")  # not a code CloudFront sends
    assert body["country"] is None


def test_titles_the_catalog_does_not_list_for_the_viewer_are_left_out(dynamodb: Any):
    dynamodb.put_item(TableName=CATALOG_TABLE, Item=catalog_item("t-b", status="withdrawn"))
    dynamodb.put_item(TableName=CATALOG_TABLE, Item=catalog_item("t-c", countries=["CA"]))
    dynamodb.put_item(TableName=CATALOG_TABLE, Item=catalog_item("t-d", available_from="2030-01-01T00:00:00Z"))
    dynamodb.put_item(TableName=CATALOG_TABLE, Item=catalog_item("t-e", available_until="2026-01-01T00:00:00Z"))
    dynamodb.put_item(TableName=CATALOG_TABLE, Item=catalog_item("t-a", countries=["XX", "not a code"]))
    recommend(dynamodb, "run-1", ["t-a", "t-b", "t-c", "t-d", "t-e", "t-gone"])
    trend(dynamodb, "run-1", "US", ["t-b"])
    trend(dynamodb, "run-1", "ALL", [])
    switch(dynamodb, "run-1")
    # Nothing left for the viewer: the trending row instead, itself filtered (t-b is withdrawn).
    _, body = answer(rows(dynamodb), "GET /me/recommendations")
    assert (body["source"], ids(body)) == ("trending", [])
    _, body = answer(rows(dynamodb), "GET /me/recommendations", country="CA")
    assert (body["source"], ids(body)) == ("recommendations", ["t-c"])


def test_a_row_shows_at_most_ten_titles(dynamodb: Any):
    many = [f"t-{n:02d}" for n in range(25)]
    for title in many:
        dynamodb.put_item(TableName=CATALOG_TABLE, Item=catalog_item(title))
    recommend(dynamodb, "run-1", many)
    switch(dynamodb, "run-1")
    assert ids(answer(rows(dynamodb), "GET /me/recommendations")[1]) == many[:10]


def test_expired_rows_are_ignored_though_dynamodb_has_not_deleted_them(dynamodb: Any):
    recommend(dynamodb, "run-1", ["t-a"], expires=int(NOW))
    trend(dynamodb, "run-1", "US", ["t-b"], expires=int(NOW) - 1)
    trend(dynamodb, "run-1", "ALL", ["t-c"])
    switch(dynamodb, "run-1")
    _, body = answer(rows(dynamodb), "GET /me/recommendations")
    assert (body["source"], body["scope"], ids(body)) == ("trending", "ALL", ["t-c"])


def test_before_the_first_run_every_row_is_empty(dynamodb: Any):
    for route in ("GET /me/recommendations", "GET /trending"):
        assert answer(rows(dynamodb), route) == (
            200,
            {"country": "US", "runDate": None, "source": None, "titles": []},
        )


def test_the_pointer_and_catalog_items_are_kept_for_a_minute(dynamodb: Any):
    clock = Clock()
    service = rows(dynamodb, clock)
    recommend(dynamodb, "run-1", ["t-a"])
    recommend(dynamodb, "run-2", ["t-b"])
    switch(dynamodb, "run-1")
    assert ids(answer(service, "GET /me/recommendations")[1]) == ["t-a"]
    switch(dynamodb, "run-2")
    dynamodb.put_item(TableName=CATALOG_TABLE, Item=catalog_item("t-a", status="withdrawn"))
    clock.now += aws_module.POINTER_SECONDS - 1
    assert ids(answer(service, "GET /me/recommendations")[1]) == ["t-a"]
    clock.now += 1
    assert ids(answer(service, "GET /me/recommendations")[1]) == ["t-b"]


def test_a_withdrawn_title_leaves_the_rows_within_the_cache_time(dynamodb: Any):
    clock = Clock()
    service = rows(dynamodb, clock)
    recommend(dynamodb, "run-1", ["t-a", "t-b"])
    switch(dynamodb, "run-1")
    assert ids(answer(service, "GET /me/recommendations")[1]) == ["t-a", "t-b"]
    dynamodb.put_item(TableName=CATALOG_TABLE, Item=catalog_item("t-a", status="withdrawn"))
    clock.now += aws_module.CATALOG_SECONDS
    assert ids(answer(service, "GET /me/recommendations")[1]) == ["t-b"]


def test_no_subject_is_401_and_an_unknown_route_404(dynamodb: Any):
    assert answer(rows(dynamodb), "GET /trending", sub=None)[0] == 401
    assert answer(rows(dynamodb), "GET /me/history")[0] == 404


def test_unreadable_tables_are_503_with_a_code_and_no_details(dynamodb: Any):
    broken = Rows(store=RowStore(dynamodb, "no-such-table"), catalog=CatalogItems(dynamodb, CATALOG_TABLE))
    status, body = answer(broken, "GET /trending")
    assert (status, body["error"]) == (503, "rows_unavailable")
    recommend(dynamodb, "run-1", ["t-a"])
    switch(dynamodb, "run-1")
    broken = Rows(store=RowStore(dynamodb, ROWS_TABLE), catalog=CatalogItems(dynamodb, "no-such-table"))
    status, body = answer(broken, "GET /me/recommendations")
    assert (status, body) == (503, {"error": "catalog_unavailable", "message": "the catalog cannot be read"})


def test_the_handler_reads_its_tables_from_the_environment(dynamodb: Any, monkeypatch: pytest.MonkeyPatch):
    recommend(dynamodb, "run-1", ["t-a"])
    switch(dynamodb, "run-1")
    handler_module.reset()
    monkeypatch.delenv("ROWS_TABLE", raising=False)
    response = handler_module.handler(request("GET /me/recommendations"), None)
    assert json.loads(response["body"])["error"] == "not_configured"
    monkeypatch.setenv("ROWS_TABLE", ROWS_TABLE)
    monkeypatch.setenv("CATALOG_TABLE", CATALOG_TABLE)
    try:
        response = handler_module.handler(request("GET /me/recommendations"), None)
    finally:
        handler_module.reset()
    assert response["statusCode"] == 200
    assert json.loads(response["body"])["source"] == "recommendations"
