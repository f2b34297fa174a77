"""Whether the catalog lists a title for a viewer: published, available now, allowed in the country.

The rule the catalog API (``GET /catalog``) and the issuer apply, on a catalog item as DynamoDB's
low-level API returns it (docs/api.md, "The catalog"). ``listed`` is the only thing the rows API
asks: a row shows a title only when ``GET /catalog`` would list it for the same viewer.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
COUNTRY = re.compile(r"[A-Z]{2}")


class InvalidItemError(ValueError):
    """A catalog item that breaks the schema: not listed (fail closed)."""


def _string(item: Mapping[str, Any], name: str) -> str | None:
    value = item.get(name)
    if value is None:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("S"), str):
        raise InvalidItemError(f"{name} must be a string")
    text: str = value["S"]
    return text


def _epoch(item: Mapping[str, Any], name: str) -> int | None:
    text = _string(item, name)
    if text is None:
        return None
    if not TIMESTAMP.fullmatch(text):
        raise InvalidItemError(f"{name} must be YYYY-MM-DDTHH:MM:SSZ")
    return int(datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp())


def _countries(item: Mapping[str, Any]) -> frozenset[str] | None:
    value = item.get("countries")
    if value is None:
        return None
    if isinstance(value, dict) and isinstance(value.get("SS"), list):
        members = value["SS"]
    elif isinstance(value, dict) and isinstance(value.get("L"), list):
        members = [m.get("S") if isinstance(m, dict) else None for m in value["L"]]
    else:
        raise InvalidItemError("countries must be a list of strings")
    if not members or not all(isinstance(m, str) and COUNTRY.fullmatch(m) for m in members):
        raise InvalidItemError("countries must list ISO 3166-1 alpha-2 codes")
    return frozenset(members)


def listed(item: Mapping[str, Any], country: str | None, now: float) -> bool:
    """True when the catalog lists the title for a viewer in ``country`` (None: unknown) at ``now``.

    The window is half-open: from ``availableFrom`` (inclusive) until ``availableUntil`` (exclusive).
    A title with a ``countries`` list is listed only in those countries, so never to a viewer
    whose country is unknown.
    """
    if _string(item, "status") != "published":
        return False
    available_from, available_until = _epoch(item, "availableFrom"), _epoch(item, "availableUntil")
    if available_from is not None and now < available_from:
        return False
    if available_until is not None and now >= available_until:
        return False
    countries = _countries(item)
    return countries is None or country in countries
