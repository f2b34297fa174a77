"""``GET /catalog`` and ``GET /catalog/{titleId}`` over injected reads, so tests run it without AWS."""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from cloudfront_token.policy import TITLE_ID, is_title_id
from entitlement.rules import country_from_headers
from showrunner_common.container import NotConfiguredError
from showrunner_common.responses import error, json_response

from catalog_api.listing import BadRequestError, Query, decode_cursor, page, page_size, visible

LOGGER = logging.getLogger(__name__)
MAX_CACHE_SECONDS = 60


class CatalogUnavailableError(Exception):
    """DynamoDB failed; answered 503 ``catalog_unavailable``."""


class ConfigurationError(NotConfiguredError):
    pass


@dataclass(frozen=True)
class Settings:
    table: str
    index: str
    page_size: int
    cache_seconds: int

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        table, index = environ.get("CATALOG_TABLE", ""), environ.get("CATALOG_INDEX", "")
        if not table or not index:
            raise ConfigurationError("CATALOG_TABLE and CATALOG_INDEX must name the catalog table and its index")
        values = {}
        for name, high in (("CATALOG_PAGE_SIZE", 100), ("CATALOG_CACHE_SECONDS", MAX_CACHE_SECONDS)):
            raw = environ.get(name, "")
            if not (raw.isascii() and raw.isdigit() and len(raw) <= 3 and 1 <= int(raw) <= high):
                raise ConfigurationError(f"{name} must be a whole number from 1 to {high}")
            values[name] = int(raw)
        return cls(table, index, values["CATALOG_PAGE_SIZE"], values["CATALOG_CACHE_SECONDS"])


class CachedQuery:
    """The index's pages, each kept ``ttl`` seconds per container (at most ``max_entries``).

    Every listing reads the same few first pages; viewers in every country share them (the country
    and the window are applied per request, after the cache), so DynamoDB sees about one query per
    page per container every ``ttl`` seconds, whatever the number of viewers.
    """

    def __init__(
        self, query: Query, *, ttl: float, max_entries: int = 256, clock: Callable[[], float] = time.monotonic
    ):
        self._query = query
        self._ttl = ttl
        self._max_entries = max_entries
        self._clock = clock
        self._cache: OrderedDict[tuple[str, int], tuple[float, Any]] = OrderedDict()

    def __call__(self, start: dict[str, Any] | None, limit: int) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        key = (repr(sorted((start or {}).items())), limit)
        now = self._clock()
        cached = self._cache.get(key)
        if cached is None or cached[0] <= now:
            cached = (now + self._ttl, self._query(start, limit))
            self._cache[key] = cached
            self._cache.move_to_end(key)
            while len(self._cache) > self._max_entries:
                self._cache.popitem(last=False)
        result: tuple[list[dict[str, Any]], dict[str, Any] | None] = cached[1]
        return result


class CatalogService:
    def __init__(
        self,
        settings: Settings,
        *,
        query: Query,
        get: Callable[[str], dict[str, Any] | None],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self._query = query
        self._get = get
        self._clock = clock

    def handle(self, event: Mapping[str, Any]) -> dict[str, Any]:
        headers = event.get("headers")
        country = country_from_headers(headers if isinstance(headers, Mapping) else None)
        parameters = event.get("pathParameters")
        title_id = parameters.get("titleId") if isinstance(parameters, dict) else None
        try:
            if title_id is None:
                return self._list(event, country)
            return self._one(title_id, country)
        except BadRequestError as exc:
            return error(400, "bad_request", str(exc))
        except CatalogUnavailableError:
            return error(503, "catalog_unavailable", "the catalog is temporarily unavailable; retry later")

    def _list(self, event: Mapping[str, Any], country: str | None) -> dict[str, Any]:
        query = event.get("queryStringParameters")
        query = query if isinstance(query, dict) else {}
        unknown = sorted(set(query) - {"cursor", "limit"})
        if unknown:
            raise BadRequestError(f"unknown query parameter {unknown[0]!r}: only cursor and limit")
        limit = page_size(query.get("limit"), self.settings.page_size)
        cursor = query.get("cursor")
        start = decode_cursor(cursor) if cursor is not None else None
        result = page(self._query, start=start, limit=limit, country=country, now=self._clock())
        return json_response(200, result.body())

    def _one(self, title_id: object, country: str | None) -> dict[str, Any]:
        if not is_title_id(title_id):
            return error(400, "invalid_title_id", f"titleId must match {TITLE_ID.pattern}")
        assert isinstance(title_id, str)
        item = self._get(title_id)
        view = visible(item, country, self._clock()) if item is not None else None
        if view is None:
            # Missing, unpublished, outside its window or not in this country: the same answer, so the API
            # does not tell a viewer which titles exist elsewhere.
            return error(404, "title_not_found", "no such title")
        return json_response(200, view)
