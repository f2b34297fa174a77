"""The entitlement decision: may this viewer, now, in this country, on this plan, watch this title?

* ``Title.from_item`` reads a catalog item as DynamoDB's low-level API returns it (attribute-value
  maps), keeping only what the decision and a play need; an item that breaks the schema
  (docs/api.md, "The catalog") raises ``InvalidTitleError``.
* ``Viewer.from_request`` reads the plan from the JWT's ``cognito:groups`` claim and the country from
  CloudFront's ``CloudFront-Viewer-Country`` header, never from anything else the client sends.
* ``available`` is what the catalog lists (published, inside its window, allowed in the country);
  ``decide`` adds the plan. Each answers ``None`` or one of ``REASONS``, checked in that order.

The window is half-open: a title is available from ``availableFrom`` (inclusive) until
``availableUntil`` (exclusive), both whole UTC seconds.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

# Plans and tiers, lowest first: a plan covers its own tier and every tier below it.
TIERS = ("free", "standard", "premium")
_RANK = {tier: rank for rank, tier in enumerate(TIERS)}
# A title whose tier nobody set is for the highest plan only (fail closed: the catalog operator
# command sets it; the ingest workflow does not).
DEFAULT_TIER = "premium"
# A viewer's plan is the Cognito group ``plan-<tier>``; a viewer in none of them is on the free plan,
# one in several gets the highest.
PLAN_GROUP_PREFIX = "plan-"
DEFAULT_PLAN = "free"
GROUPS_CLAIM = "cognito:groups"
COUNTRY_HEADER = "cloudfront-viewer-country"  # HTTP API payload v2.0 lowercases header names

STATUSES = ("processing", "published", "failed", "withdrawn")
FORMATS = ("hls", "dash")
# How a title's media is protected (docs/api.md, "The catalog"); an item without the field is clear.
PROTECTIONS = ("none", "aes-128", "speke")

# Every refusal, in the order they are checked (docs/api.md, "Entitlement").
NOT_PUBLISHED = "not_published"
WITHDRAWN = "withdrawn"
NOT_YET_AVAILABLE = "not_yet_available"
EXPIRED = "expired"
COUNTRY_NOT_ALLOWED = "country_not_allowed"
PLAN_TOO_LOW = "plan_too_low"
REASONS = (NOT_PUBLISHED, WITHDRAWN, NOT_YET_AVAILABLE, EXPIRED, COUNTRY_NOT_ALLOWED, PLAN_TOO_LOW)

COUNTRY = re.compile(r"[A-Z]{2}")
TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")


class InvalidTitleError(ValueError):
    """A catalog item that breaks the schema. The message names the attribute, never a viewer's data."""


def parse_timestamp(value: str) -> int:
    """``YYYY-MM-DDTHH:MM:SSZ`` (UTC, whole seconds) as epoch seconds."""
    if not TIMESTAMP.fullmatch(value):
        raise ValueError(f"not a UTC timestamp YYYY-MM-DDTHH:MM:SSZ: {value!r}")
    return int(datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp())


def format_timestamp(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _string(item: Mapping[str, Any], name: str) -> str | None:
    value = item.get(name)
    if value is None:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("S"), str):
        raise InvalidTitleError(f"{name} must be a string")
    text: str = value["S"]
    return text


def _strings(item: Mapping[str, Any], name: str) -> tuple[str, ...] | None:
    """A list of strings, stored as ``L`` of ``S`` or as ``SS``."""
    value = item.get(name)
    if value is None:
        return None
    if isinstance(value, dict) and isinstance(value.get("SS"), list):
        members = value["SS"]
    elif isinstance(value, dict) and isinstance(value.get("L"), list):
        members = [member.get("S") if isinstance(member, dict) else None for member in value["L"]]
    else:
        raise InvalidTitleError(f"{name} must be a list of strings")
    if not all(isinstance(member, str) for member in members):
        raise InvalidTitleError(f"{name} must be a list of strings")
    return tuple(members)


def _number(item: Mapping[str, Any], name: str) -> float | None:
    value = item.get(name)
    if value is None:
        return None
    try:
        number = float(value["N"])
    except (KeyError, TypeError, ValueError):
        raise InvalidTitleError(f"{name} must be a number") from None
    if not 0 <= number < 10**7:
        raise InvalidTitleError(f"{name} is out of range")
    return number


def _timestamp(item: Mapping[str, Any], name: str) -> int | None:
    text = _string(item, name)
    if text is None:
        return None
    try:
        return parse_timestamp(text)
    except ValueError:
        raise InvalidTitleError(f"{name} must be YYYY-MM-DDTHH:MM:SSZ") from None


@dataclass(frozen=True, slots=True)
class Title:
    """What entitlement and a play need of one catalog item."""

    title_id: str
    status: str
    formats: tuple[str, ...] = ()
    duration_seconds: float | None = None
    available_from: int | None = None  # epoch seconds, inclusive; None: always was
    available_until: int | None = None  # epoch seconds, exclusive; None: no end
    countries: frozenset[str] | None = None  # None: every country
    tier: str = DEFAULT_TIER
    protection: str = "none"

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> Title:
        title_id = _string(item, "titleId")
        status = _string(item, "status")
        if not title_id:
            raise InvalidTitleError("titleId is missing")
        if status not in STATUSES:
            raise InvalidTitleError("status must be one of " + ", ".join(STATUSES))
        formats = _strings(item, "formats") or ()
        if any(fmt not in FORMATS for fmt in formats) or len(set(formats)) != len(formats):
            raise InvalidTitleError("formats must be distinct values of " + ", ".join(FORMATS))
        countries = _strings(item, "countries")
        if countries is not None and (not countries or not all(COUNTRY.fullmatch(code) for code in countries)):
            raise InvalidTitleError("countries must list ISO 3166-1 alpha-2 codes (omit it for every country)")
        tier = _string(item, "tier") or DEFAULT_TIER
        if tier not in _RANK:
            raise InvalidTitleError("tier must be one of " + ", ".join(TIERS))
        protection = _string(item, "protection") or "none"
        if protection not in PROTECTIONS:
            raise InvalidTitleError("protection must be one of " + ", ".join(PROTECTIONS))
        title = cls(
            title_id=title_id,
            protection=protection,
            status=status,
            formats=formats,
            duration_seconds=_number(item, "durationSeconds"),
            available_from=_timestamp(item, "availableFrom"),
            available_until=_timestamp(item, "availableUntil"),
            countries=frozenset(countries) if countries is not None else None,
            tier=tier,
        )
        if (
            title.available_from is not None
            and title.available_until is not None
            and title.available_until <= title.available_from
        ):
            raise InvalidTitleError("availableUntil must be after availableFrom")
        if status == "published" and not formats:
            raise InvalidTitleError("a published title must have formats")
        return title


def plan_from_claims(claims: Mapping[str, Any]) -> str:
    """The viewer's plan from ``cognito:groups``: the highest ``plan-<tier>`` group, or ``free``.

    API Gateway's JWT authorizer hands an array claim to the function as one string, ``[a b c]``
    (space-separated in brackets); a list (a direct invocation, other authorizers) is read too.
    Cognito group names contain no whitespace, so the split is exact.
    """
    raw = claims.get(GROUPS_CLAIM)
    if isinstance(raw, str):
        text = raw.strip()
        if text.startswith("[") and text.endswith("]"):
            text = text[1:-1]
        groups: list[Any] = text.replace(",", " ").split()
    elif isinstance(raw, list):
        groups = raw
    else:
        groups = []
    ranks = [
        _RANK[group[len(PLAN_GROUP_PREFIX) :]]
        for group in groups
        if isinstance(group, str) and group.startswith(PLAN_GROUP_PREFIX) and group[len(PLAN_GROUP_PREFIX) :] in _RANK
    ]
    return TIERS[max(ranks)] if ranks else DEFAULT_PLAN


def country_from_headers(headers: Mapping[str, Any] | None) -> str | None:
    """The viewer's country as CloudFront determined it (``CloudFront-Viewer-Country``), or None."""
    if not isinstance(headers, Mapping):
        return None
    value = headers.get(COUNTRY_HEADER)
    return value if isinstance(value, str) and COUNTRY.fullmatch(value) else None


@dataclass(frozen=True, slots=True)
class Viewer:
    plan: str
    country: str | None  # None: unknown (the request did not come through CloudFront)

    @classmethod
    def from_request(cls, event: Mapping[str, Any]) -> Viewer:
        """From an HTTP API (payload v2.0) event: claims of the JWT authorizer, headers CloudFront forwarded."""
        try:
            claims = event["requestContext"]["authorizer"]["jwt"]["claims"]
        except (KeyError, TypeError):
            claims = {}
        return cls(
            plan=plan_from_claims(claims if isinstance(claims, Mapping) else {}),
            country=country_from_headers(event.get("headers")),
        )


def available(title: Title, country: str | None, now: float) -> str | None:
    """``None`` when the catalog lists the title for a viewer in ``country`` at ``now``, else the reason."""
    if title.status == "withdrawn":
        return WITHDRAWN
    if title.status != "published":
        return NOT_PUBLISHED
    if title.available_from is not None and now < title.available_from:
        return NOT_YET_AVAILABLE
    if title.available_until is not None and now >= title.available_until:
        return EXPIRED
    if title.countries is not None and country not in title.countries:
        return COUNTRY_NOT_ALLOWED
    return None


def covers(plan: str, tier: str) -> bool:
    return _RANK.get(plan, -1) >= _RANK[tier]


def decide(title: Title, viewer: Viewer, now: float) -> str | None:
    """``None`` when ``viewer`` may watch ``title`` at ``now``, else the first reason in ``REASONS`` order."""
    reason = available(title, viewer.country, now)
    if reason is not None:
        return reason
    if not covers(viewer.plan, title.tier):
        return PLAN_TOO_LOW
    return None


# What each refusal means, in words a viewer understands (the API's ``message``; the site has its own copy).
MESSAGES = {
    NOT_PUBLISHED: "This title is not available to watch.",
    WITHDRAWN: "This title has been withdrawn.",
    NOT_YET_AVAILABLE: "This title is not available yet.",
    EXPIRED: "This title is no longer available.",
    COUNTRY_NOT_ALLOWED: "This title is not available in your country.",
    PLAN_TOO_LOW: "Your plan does not include this title.",
}
