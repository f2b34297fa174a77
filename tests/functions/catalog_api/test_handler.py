"""The catalog API's handler against moto's DynamoDB: what is listed, in which order, pages, and every error."""

from __future__ import annotations

import json
import logging
from typing import Any

import catalog_api.handler
import pytest
from catalog_api.handler import handler
from catalog_api.listing import MAX_QUERIES, decode_cursor, encode_cursor
from catalog_api.service import CachedQuery

from tests.support import catalog
from tests.support.events import catalog_event

NOW = 1_800_000_000  # 2027-01-15T08:00:00Z
PAST, FUTURE = "2026-01-01T00:00:00Z", "2028-01-01T00:00:00Z"


@pytest.fixture
def catalog_env(monkeypatch: pytest.MonkeyPatch, dynamodb: Any) -> Any:
    catalog.create_table(dynamodb)
    for name, value in {
        "CATALOG_TABLE": catalog.TABLE,
        "CATALOG_INDEX": catalog.INDEX,
        "CATALOG_PAGE_SIZE": "3",
        "CATALOG_CACHE_SECONDS": "10",
    }.items():
        monkeypatch.setenv(name, value)
    return dynamodb


def put(dynamodb: Any, *items: dict[str, Any]) -> None:
    for item in items:
        dynamodb.put_item(TableName=catalog.TABLE, Item=item)


def call(request: dict[str, Any], now: float = NOW) -> tuple[int, dict[str, Any]]:
    service = catalog_api.handler._service.get()
    service._clock = lambda: now
    response = handler(request, None)
    json.dumps(response)
    assert response["headers"] == {"Content-Type": "application/json", "Cache-Control": "no-store"}
    return response["statusCode"], json.loads(response["body"])


def names(body: dict[str, Any]) -> list[str]:
    return [title["name"] for title in body["titles"]]


@pytest.fixture
def library(catalog_env: Any) -> Any:
    put(
        catalog_env,
        catalog.item(
            "t-amelie",
            name="Amélie",
            tier="standard",
            year={"N": "2001"},
            synopsis={"S": "Paris."},
            genres={"L": [{"S": "comedy"}, {"S": "romance"}]},
            poster={"S": "vod/t-amelie/images/frame_poster.0000001.jpg"},
            source={"M": {"bucket": {"S": "ingest"}, "key": {"S": "incoming/amelie.mov"}}},
            jobId={"S": "job-1"},
        ),
        catalog.item("t-brazil", name="Brazil", tier="premium", available_until=FUTURE),
        catalog.item("t-casablanca", name="Casablanca", countries=["US", "GB"]),
        catalog.item("t-dune", name="Dune", available_from=FUTURE),  # not yet
        catalog.item("t-eraserhead", name="Eraserhead", available_until=PAST),  # gone
        catalog.item("t-fargo", name="Fargo", status="withdrawn"),
        catalog.item("t-gilda", name="Gilda", status="processing", formats=()),
        catalog.item("t-heat", name="Heat", status="failed", formats=()),
        catalog.item("t-ikiru", name="Ikiru", countries=["JP"]),
        catalog.item("t-jaws", name="Jaws"),
    )
    return catalog_env


def test_lists_published_titles_available_now_in_the_viewers_country_by_name(library: Any):
    status, body = call(catalog_event(query={"limit": "100"}))
    assert status == 200
    assert names(body) == ["Amélie", "Brazil", "Casablanca", "Jaws"]
    assert "nextCursor" not in body
    assert names(call(catalog_event(query={"limit": "100"}, country="JP"))[1]) == ["Amélie", "Brazil", "Ikiru", "Jaws"]
    # No CloudFront country (a request that did not come through the distribution): only unrestricted titles.
    assert names(call(catalog_event(query={"limit": "100"}, country=None))[1]) == ["Amélie", "Brazil", "Jaws"]


def test_a_title_shows_what_a_viewer_needs_and_nothing_else(library: Any):
    first, second = call(catalog_event(query={"limit": "2"}))[1]["titles"]
    assert first == {
        "titleId": "t-amelie",
        "name": "Amélie",
        "year": 2001,
        "synopsis": "Paris.",
        "genres": ["comedy", "romance"],
        "durationSeconds": 4,
        "poster": "vod/t-amelie/images/frame_poster.0000001.jpg",
        "formats": ["hls", "dash"],
        "tier": "standard",
    }
    assert second["availableUntil"] == FUTURE
    assert second["tier"] == "premium"  # listed whatever the viewer's plan; the issuer decides what plays


def test_pages_follow_the_cursor_without_skipping_or_repeating(library: Any):
    seen: list[str] = []
    request = catalog_event(query={"limit": "1"})
    pages = 0
    while True:
        status, body = call(request)
        assert status == 200
        seen += names(body)
        pages += 1
        if "nextCursor" not in body:
            break
        request = catalog_event(query={"limit": "1", "cursor": body["nextCursor"]})
    assert seen == ["Amélie", "Brazil", "Casablanca", "Jaws"]
    assert pages >= 4


def test_the_default_page_size_and_a_short_page_when_hidden_titles_run_long(catalog_env: Any):
    hidden = [catalog.item(f"t-hidden-{n:02d}", name=f"Hidden {n:02d}", countries=["JP"]) for n in range(20)]
    put(catalog_env, catalog.item("t-a", name="A"), *hidden, catalog.item("t-z", name="Z"))
    status, body = call(catalog_event())  # CATALOG_PAGE_SIZE=3; only A and Z are visible from the US
    assert status == 200
    # Each DynamoDB query asks for the titles still missing (here 3, then 2, ...) and at most MAX_QUERIES are made.
    assert names(body) == ["A"]
    assert "nextCursor" in body
    assert decode_cursor(body["nextCursor"])["name"]["S"].startswith("Hidden")
    titles: list[str] = names(body)
    while "nextCursor" in body:
        body = call(catalog_event(query={"cursor": body["nextCursor"]}))[1]
        titles += names(body)
    assert titles == ["A", "Z"]
    assert MAX_QUERIES == 5


def test_one_title(library: Any):
    status, body = call(catalog_event("t-casablanca"))
    assert (status, body["name"], body["tier"]) == (200, "Casablanca", "free")


@pytest.mark.parametrize(
    ("title_id", "country"),
    [
        ("t-nothing", "US"),
        ("t-dune", "US"),
        ("t-eraserhead", "US"),
        ("t-fargo", "US"),
        ("t-gilda", "US"),
        ("t-heat", "US"),
        ("t-ikiru", "US"),
        ("t-casablanca", "FR"),
        ("t-casablanca", None),
    ],
)
def test_404_for_a_title_the_viewer_cannot_see_whatever_the_reason(library: Any, title_id: str, country: str | None):
    assert call(catalog_event(title_id, country=country)) == (
        404,
        {"error": "title_not_found", "message": "no such title"},
    )


def test_the_window_edges_apply_to_the_listing(catalog_env: Any):
    start, end = "2027-01-15T08:00:00Z", "2027-01-15T09:00:00Z"
    put(catalog_env, catalog.item("t-live", name="Live", available_from=start, available_until=end))
    assert names(call(catalog_event(), now=NOW - 1)[1]) == []
    assert names(call(catalog_event(), now=NOW)[1]) == ["Live"]
    catalog_api.handler.reset()
    assert names(call(catalog_event(), now=NOW + 3599)[1]) == ["Live"]
    assert names(call(catalog_event(), now=NOW + 3600)[1]) == []


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"limit": "0"}, "limit must be a whole number from 1 to 100"),
        ({"limit": "101"}, "limit must be a whole number from 1 to 100"),
        ({"limit": "ten"}, "limit must be a whole number from 1 to 100"),
        ({"cursor": "not-a-cursor"}, "cursor is not one this API returned"),
        ({"cursor": encode_cursor({"titleId": {"S": "../x"}, "name": {"S": "A"}})}, "cursor is not one"),
        ({"cursor": "eyJ0IjoiYSJ9"}, "cursor is not one this API returned"),  # {"t":"a"}
        ({"country": "US"}, "unknown query parameter 'country': only cursor and limit"),
    ],
)
def test_400_for_a_query_we_do_not_answer(catalog_env: Any, query: dict[str, str], message: str):
    status, body = call(catalog_event(query=query))
    assert status == 400
    assert body["error"] == "bad_request"
    assert message in body["message"]


def test_400_for_an_invalid_title_id(catalog_env: Any):
    assert call(catalog_event("../etc"))[0] == 400


def test_503_when_dynamodb_fails(catalog_env: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture):
    monkeypatch.setenv("CATALOG_TABLE", "no-such-table")
    caplog.set_level(logging.ERROR)
    assert call(catalog_event()) == (
        503,
        {"error": "catalog_unavailable", "message": "the catalog is temporarily unavailable; retry later"},
    )
    assert "Query failed: ResourceNotFoundException" in caplog.text


@pytest.mark.parametrize(
    ("name", "value"), [("CATALOG_TABLE", ""), ("CATALOG_PAGE_SIZE", "0"), ("CATALOG_CACHE_SECONDS", "61")]
)
def test_503_when_not_configured(catalog_env: Any, monkeypatch: pytest.MonkeyPatch, name: str, value: str):
    monkeypatch.setenv(name, value)
    response = handler(catalog_event(), None)
    assert (response["statusCode"], json.loads(response["body"])["error"]) == (503, "not_configured")


def test_pages_are_cached_briefly_per_container():
    calls: list[Any] = []
    now = [0.0]

    def query(start: Any, limit: int) -> tuple[list[dict[str, Any]], None]:
        calls.append((start, limit))
        return [], None

    cached = CachedQuery(query, ttl=10, max_entries=2, clock=lambda: now[0])
    cached(None, 3)
    cached(None, 3)
    now[0] = 9.9
    cached(None, 3)
    assert len(calls) == 1
    now[0] = 10
    cached(None, 3)
    assert len(calls) == 2
    cached(None, 4)
    cached({"titleId": {"S": "a"}}, 3)
    assert len(cached._cache) == 2
