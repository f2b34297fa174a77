"""What the catalog API answers, as pure functions: the public view of a title, cursors, pages.

A page lists published titles available now in the viewer's country (``entitlement.rules.available``),
ordered by name then titleId (the ``published-by-name`` index), whatever the viewer's plan: the plan
decides what plays, not what is shown, and each title says its ``tier``.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from cloudfront_token.policy import is_title_id
from entitlement.rules import InvalidTitleError, Title, available, format_timestamp

PUBLISHED = "published"
MAX_PAGE_SIZE = 100
MAX_NAME = 400  # characters of a name in a cursor (names are at most 200; room for the encoding)
# At most this many DynamoDB pages per request: a page of titles mostly hidden from a country ends
# early with a cursor rather than reading the whole index in one request.
MAX_QUERIES = 5


class BadRequestError(ValueError):
    """The request's query string is not one we answer; the message says which parameter."""


def _s(item: Mapping[str, Any], name: str) -> str | None:
    value = item.get(name)
    return value["S"] if isinstance(value, dict) and isinstance(value.get("S"), str) else None


def _n(item: Mapping[str, Any], name: str) -> int | float | None:
    value = item.get(name)
    try:
        number = float(value["N"])  # type: ignore[index]
    except (KeyError, TypeError, ValueError):
        return None
    return int(number) if number.is_integer() else number


def _strings(item: Mapping[str, Any], name: str) -> list[str]:
    value = item.get(name)
    if not isinstance(value, dict):
        return []
    members = value.get("SS") or [m.get("S") for m in value.get("L", []) if isinstance(m, dict)]
    return [m for m in members if isinstance(m, str)]


def public_view(item: Mapping[str, Any], title: Title) -> dict[str, Any]:
    """The fields a viewer sees (docs/api.md): nothing about sources, jobs, failures or other countries."""
    view: dict[str, Any] = {"titleId": title.title_id, "name": _s(item, "name") or title.title_id}
    for key, value in (
        ("year", _n(item, "year")),
        ("synopsis", _s(item, "synopsis")),
        ("genres", _strings(item, "genres") or None),
        ("durationSeconds", _n(item, "durationSeconds")),
        ("poster", _s(item, "poster")),
    ):
        if value is not None:
            view[key] = value
    view["formats"] = list(title.formats)
    view["tier"] = title.tier
    if title.available_until is not None:
        view["availableUntil"] = format_timestamp(title.available_until)
    return view


def visible(item: Mapping[str, Any], country: str | None, now: float) -> dict[str, Any] | None:
    """The public view when the title is listed for ``country`` at ``now``; None otherwise (or if invalid)."""
    try:
        title = Title.from_item(item)
    except InvalidTitleError:
        return None
    if available(title, country, now) is not None:
        return None
    return public_view(item, title)


def encode_cursor(last_key: Mapping[str, Any]) -> str:
    """An opaque cursor for the index position after ``last_key`` (DynamoDB's LastEvaluatedKey)."""
    data = json.dumps({"t": last_key["titleId"]["S"], "n": last_key["name"]["S"]}, separators=(",", ":"))
    return base64.urlsafe_b64encode(data.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> dict[str, Any]:
    """The ExclusiveStartKey a cursor stands for; ``BadRequestError`` for anything we did not hand out."""
    if len(cursor) > 2048:
        raise BadRequestError("cursor is not one this API returned")
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError):
        raise BadRequestError("cursor is not one this API returned") from None
    if (
        not isinstance(data, dict)
        or set(data) != {"t", "n"}
        or not is_title_id(data["t"])
        or not isinstance(data["n"], str)
        or not 0 < len(data["n"]) <= MAX_NAME
    ):
        raise BadRequestError("cursor is not one this API returned")
    return {"titleId": {"S": data["t"]}, "status": {"S": PUBLISHED}, "name": {"S": data["n"]}}


def page_size(raw: str | None, default: int) -> int:
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 3 and 1 <= int(raw) <= MAX_PAGE_SIZE):
        raise BadRequestError(f"limit must be a whole number from 1 to {MAX_PAGE_SIZE}")
    return int(raw)


# query(exclusive_start_key or None, limit) -> (items in index order, LastEvaluatedKey or None)
Query = Callable[[dict[str, Any] | None, int], tuple[list[dict[str, Any]], dict[str, Any] | None]]


@dataclass(frozen=True)
class Page:
    titles: list[dict[str, Any]]
    next_cursor: str | None

    def body(self) -> dict[str, Any]:
        return {"titles": self.titles, **({"nextCursor": self.next_cursor} if self.next_cursor else {})}


def page(query: Query, *, start: dict[str, Any] | None, limit: int, country: str | None, now: float) -> Page:
    """Up to ``limit`` visible titles from ``start``, and the cursor after the last title evaluated.

    Each DynamoDB query asks for only as many items as are still missing (its ``Limit`` counts items
    read, before the country and window are applied), so the cursor never skips a title. After
    ``MAX_QUERIES`` queries the page may be short; ``nextCursor`` then continues where it stopped.
    """
    titles: list[dict[str, Any]] = []
    key = start
    for _ in range(MAX_QUERIES):
        items, key = query(key, limit - len(titles))
        titles += [view for item in items if (view := visible(item, country, now)) is not None]
        if key is None or len(titles) >= limit:
            break
    return Page(titles, encode_cursor(key) if key is not None else None)
