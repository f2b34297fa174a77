"""The entitlement decision: every reason, the window's edges to the second, plans and countries as they arrive."""

from __future__ import annotations

from typing import Any

import pytest
from entitlement.rules import (
    COUNTRY_NOT_ALLOWED,
    EXPIRED,
    MESSAGES,
    NOT_PUBLISHED,
    NOT_YET_AVAILABLE,
    PLAN_TOO_LOW,
    REASONS,
    WITHDRAWN,
    InvalidTitleError,
    Title,
    Viewer,
    available,
    country_from_headers,
    decide,
    format_timestamp,
    parse_timestamp,
    plan_from_claims,
)

FROM = parse_timestamp("2026-12-01T00:00:00Z")
UNTIL = parse_timestamp("2026-12-31T00:00:00Z")


def item(**attributes: Any) -> dict[str, Any]:
    """A catalog item as DynamoDB's low-level API returns it."""
    base: dict[str, Any] = {
        "titleId": {"S": "film-1"},
        "status": {"S": "published"},
        "formats": {"L": [{"S": "hls"}, {"S": "dash"}]},
        "durationSeconds": {"N": "5400.5"},
    }
    base.update(attributes)
    return {key: value for key, value in base.items() if value is not None}


def windowed(**attributes: Any) -> Title:
    defaults: dict[str, Any] = {
        "availableFrom": {"S": "2026-12-01T00:00:00Z"},
        "availableUntil": {"S": "2026-12-31T00:00:00Z"},
        "countries": {"L": [{"S": "US"}, {"S": "CA"}]},
        "tier": {"S": "standard"},
    }
    return Title.from_item(item(**{**defaults, **attributes}))


STANDARD_US = Viewer(plan="standard", country="US")


def test_an_item_reads_into_the_fields_a_play_needs():
    title = windowed()
    assert title == Title(
        title_id="film-1",
        status="published",
        formats=("hls", "dash"),
        duration_seconds=5400.5,
        available_from=FROM,
        available_until=UNTIL,
        countries=frozenset({"US", "CA"}),
        tier="standard",
    )
    assert format_timestamp(FROM) == "2026-12-01T00:00:00Z"
    assert FROM == 1_796_083_200


def test_entitled_inside_the_window_in_an_allowed_country_on_a_covering_plan():
    assert decide(windowed(), STANDARD_US, FROM + 3600) is None
    assert decide(windowed(), Viewer("premium", "CA"), FROM + 3600) is None


@pytest.mark.parametrize(
    ("at", "reason"),
    [
        (FROM - 1, NOT_YET_AVAILABLE),
        (FROM, None),  # availableFrom is inclusive
        (FROM + 0.5, None),
        (UNTIL - 1, None),
        (UNTIL - 0.001, None),
        (UNTIL, EXPIRED),  # availableUntil is exclusive
        (UNTIL + 1, EXPIRED),
    ],
)
def test_the_window_is_half_open_to_the_second(at: float, reason: str | None):
    assert decide(windowed(), STANDARD_US, at) == reason


def test_a_missing_bound_is_open_on_that_side():
    title = Title.from_item(item(availableFrom={"S": "2026-12-01T00:00:00Z"}, tier={"S": "free"}))
    assert decide(title, Viewer("free", None), 4_000_000_000) is None
    assert decide(title, Viewer("free", None), FROM - 1) == NOT_YET_AVAILABLE
    title = Title.from_item(item(availableUntil={"S": "2026-12-31T00:00:00Z"}, tier={"S": "free"}))
    assert decide(title, Viewer("free", None), 0) is None
    assert decide(title, Viewer("free", None), UNTIL) == EXPIRED


@pytest.mark.parametrize(
    ("status", "reason"), [("withdrawn", WITHDRAWN), ("processing", NOT_PUBLISHED), ("failed", NOT_PUBLISHED)]
)
def test_only_published_titles_play(status: str, reason: str):
    title = windowed(status={"S": status})
    assert decide(title, Viewer("premium", "US"), FROM + 1) == reason
    assert available(title, "US", FROM + 1) == reason


@pytest.mark.parametrize("country", ["FR", None])
def test_a_country_outside_the_list_or_an_unknown_one_is_refused(country: str | None):
    assert decide(windowed(), Viewer("premium", country), FROM + 1) == COUNTRY_NOT_ALLOWED


def test_a_title_without_countries_plays_everywhere_even_from_an_unknown_country():
    title = Title.from_item(item(tier={"S": "free"}))
    assert title.countries is None
    assert decide(title, Viewer("free", None), FROM) is None
    assert decide(title, Viewer("free", "KP"), FROM) is None


@pytest.mark.parametrize(
    ("plan", "tier", "reason"),
    [
        ("free", "free", None),
        ("free", "standard", PLAN_TOO_LOW),
        ("free", "premium", PLAN_TOO_LOW),
        ("standard", "free", None),
        ("standard", "standard", None),
        ("standard", "premium", PLAN_TOO_LOW),
        ("premium", "premium", None),
        ("premium", "free", None),
    ],
)
def test_a_plan_covers_its_tier_and_those_below(plan: str, tier: str, reason: str | None):
    assert decide(windowed(tier={"S": tier}), Viewer(plan, "US"), FROM) == reason


def test_a_title_nobody_gave_a_tier_is_for_the_highest_plan():
    title = Title.from_item(item())
    assert title.tier == "premium"
    assert decide(title, Viewer("standard", "US"), 0) == PLAN_TOO_LOW
    assert decide(title, Viewer("premium", "US"), 0) is None


def test_reasons_come_in_the_documented_order():
    # Everything wrong at once: the status is said first, then the window, the country, the plan.
    assert decide(windowed(status={"S": "withdrawn"}), Viewer("free", "FR"), FROM - 1) == WITHDRAWN
    assert decide(windowed(), Viewer("free", "FR"), FROM - 1) == NOT_YET_AVAILABLE
    assert decide(windowed(), Viewer("free", "FR"), UNTIL) == EXPIRED
    assert decide(windowed(), Viewer("free", "FR"), FROM) == COUNTRY_NOT_ALLOWED
    assert decide(windowed(), Viewer("free", "US"), FROM) == PLAN_TOO_LOW
    assert set(MESSAGES) == set(REASONS)


@pytest.mark.parametrize(
    ("claim", "plan"),
    [
        ("[plan-premium]", "premium"),  # how API Gateway's JWT authorizer hands an array claim to a function
        ("[viewers plan-standard beta]", "standard"),
        ("[plan-standard plan-premium]", "premium"),  # several: the highest
        ("plan-standard", "standard"),
        (["plan-free", "plan-standard"], "standard"),  # a real list (direct invocation)
        ("[]", "free"),
        ("[plan-gold admin]", "free"),  # an unknown plan is no plan
        ("[Plan-Premium]", "free"),  # group names are case-sensitive
        ("[xplan-premium]", "free"),
        (None, "free"),
        (42, "free"),
    ],
)
def test_the_plan_comes_from_the_cognito_groups_claim(claim: object, plan: str):
    claims = {"sub": "viewer-1"} if claim is None else {"sub": "viewer-1", "cognito:groups": claim}
    assert plan_from_claims(claims) == plan


@pytest.mark.parametrize(
    ("headers", "country"),
    [
        ({"cloudfront-viewer-country": "US"}, "US"),
        ({"cloudfront-viewer-country": "us"}, None),
        ({"cloudfront-viewer-country": "USA"}, None),
        ({"cloudfront-viewer-country": ""}, None),
        ({"x-country": "US"}, None),
        ({}, None),
        (None, None),
    ],
)
def test_the_country_comes_only_from_cloudfronts_header(headers: dict[str, str] | None, country: str | None):
    assert country_from_headers(headers) == country


def test_a_viewer_is_read_from_the_http_api_event():
    event = {
        "headers": {"cloudfront-viewer-country": "DE"},
        "queryStringParameters": {"country": "US", "plan": "premium"},  # what a client says counts for nothing
        "requestContext": {"authorizer": {"jwt": {"claims": {"sub": "v", "cognito:groups": "[plan-standard]"}}}},
    }
    assert Viewer.from_request(event) == Viewer(plan="standard", country="DE")
    assert Viewer.from_request({}) == Viewer(plan="free", country=None)


@pytest.mark.parametrize(
    ("attributes", "message"),
    [
        ({"titleId": None}, "titleId is missing"),
        ({"status": {"S": "live"}}, "status must be one of"),
        ({"status": None}, "status must be one of"),
        ({"formats": {"L": [{"S": "mp4"}]}}, "formats must be distinct values"),
        ({"formats": {"L": [{"S": "hls"}, {"S": "hls"}]}}, "formats must be distinct values"),
        ({"formats": None}, "a published title must have formats"),
        ({"countries": {"L": []}}, "countries must list"),
        ({"countries": {"L": [{"S": "usa"}]}}, "countries must list"),
        ({"tier": {"S": "gold"}}, "tier must be one of"),
        ({"availableFrom": {"S": "2026-12-01"}}, "availableFrom must be"),
        ({"availableUntil": {"N": "5"}}, "availableUntil must be a string"),
        (
            {"availableFrom": {"S": "2026-12-02T00:00:00Z"}, "availableUntil": {"S": "2026-12-02T00:00:00Z"}},
            "availableUntil must be after availableFrom",
        ),
        ({"durationSeconds": {"N": "-1"}}, "durationSeconds is out of range"),
        ({"durationSeconds": {"S": "90"}}, "durationSeconds must be a number"),
    ],
)
def test_an_item_that_breaks_the_schema_is_refused(attributes: dict[str, Any], message: str):
    with pytest.raises(InvalidTitleError, match=message):
        Title.from_item(item(**attributes))


def test_unpublished_items_need_no_formats_and_string_sets_read_as_lists():
    assert Title.from_item(item(status={"S": "processing"}, formats=None)).formats == ()
    title = Title.from_item(item(countries={"SS": ["GB"]}, formats={"SS": ["hls"]}))
    assert title.countries == frozenset({"GB"})
    assert title.formats == ("hls",)
