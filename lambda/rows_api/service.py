"""The rows a viewer sees: ``GET /me/recommendations`` and ``GET /trending`` (pure: the store and the
catalog are passed in).

* Every answer comes from the run the pointer names (``personal_rows.schema``): one night's
  results, never two mixed.
* ``GET /trending``: the list of the viewer's country (``CloudFront-Viewer-Country``, which
  CloudFront sets on the API behaviors; never anything else the client sends), or the list of
  every country when that country has none (or is unknown).
* ``GET /me/recommendations``: the viewer's own list (the subject of the JWT); a viewer with none
  (no history: a cold start), or none that the catalog still lists, gets the trending row instead,
  and ``source`` says so.
* Each title is shown only when the catalog lists it for this viewer now: the catalog API's own
  rule (``entitlement.rules.available``: published, inside its window, allowed in the country;
  the plan is the issuer's to decide when the viewer presses play), with its name from the catalog;
  at most ``ROW_LENGTH`` titles, in the row's order.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from entitlement.rules import InvalidTitleError, Title, available, country_from_headers
from personal_rows.schema import EVERY_COUNTRY, Pointer, entries, expired, trending_key, user_key
from showrunner_common.responses import error, json_response

LOGGER = logging.getLogger(__name__)

ROW_LENGTH = 10
ROUTES = ("GET /me/recommendations", "GET /trending")


class ServiceUnavailableError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class Store(Protocol):
    def pointer(self) -> Pointer | None: ...

    def row(self, key: Mapping[str, Any]) -> Mapping[str, Any] | None: ...


class Catalog(Protocol):
    def items(self, title_ids: Sequence[str]) -> Mapping[str, Mapping[str, Any]]:
        """The catalog items of those titles that exist, by titleId."""
        ...


def subject_of(event: Mapping[str, Any]) -> str | None:
    try:
        subject = event["requestContext"]["authorizer"]["jwt"]["claims"]["sub"]
    except (KeyError, TypeError):
        return None
    return subject if isinstance(subject, str) and subject else None


def _display(item: Mapping[str, Any]) -> dict[str, Any]:
    shown: dict[str, Any] = {"titleId": item["titleId"]["S"]}
    name = item.get("name", {}).get("S")
    shown["name"] = name if isinstance(name, str) and name else shown["titleId"]
    with contextlib.suppress(KeyError, TypeError, ValueError):
        shown["year"] = int(item["year"]["N"])
    return shown


@dataclass
class Rows:
    store: Store
    catalog: Catalog
    clock: Callable[[], float] = time.time
    length: int = ROW_LENGTH

    def _listed(self, title_ids: Sequence[str], country: str | None) -> list[dict[str, Any]]:
        items = self.catalog.items(title_ids)
        now = self.clock()
        shown = []
        for title_id in title_ids:
            item = items.get(title_id)
            if item is None:
                continue
            try:
                if available(Title.from_item(item), country, now) is not None:
                    continue
            except InvalidTitleError as exc:
                LOGGER.warning("catalog item %s is not listed: %s", title_id, exc)
                continue
            shown.append(_display(item))
            if len(shown) == self.length:
                break
        return shown

    def _row(self, key: Mapping[str, Any], value_name: str) -> tuple[list[str], Mapping[str, Any] | None]:
        item = self.store.row(key)
        if item is None or expired(item, self.clock()):
            return [], None
        return [entry.title_id for entry in entries(item, value_name)], item

    def trending(self, run: Pointer, country: str | None) -> dict[str, Any]:
        found: list[str] = []
        scope = EVERY_COUNTRY
        item: Mapping[str, Any] | None = None
        if country is not None:
            found, item = self._row(trending_key(country, run.run_id), "plays")
            scope = country
        if not found:
            found, item = self._row(trending_key(EVERY_COUNTRY, run.run_id), "plays")
            scope = EVERY_COUNTRY
        day = item.get("date", {}).get("S") if item else None
        return {"scope": scope, "date": day, "titles": self._listed(found, country)}

    def handle(self, event: Mapping[str, Any]) -> dict[str, Any]:
        route = event.get("routeKey")
        if route not in ROUTES:
            return error(404, "not_found", "no such route")
        subject = subject_of(event)
        if subject is None:
            return error(401, "unauthorized", "no signed-in user in the request")
        country = country_from_headers(event.get("headers"))
        try:
            run = self.store.pointer()
            if run is None:  # no night has been loaded yet
                return json_response(200, {"country": country, "runDate": None, "source": None, "titles": []})
            body: dict[str, Any] = {"country": country, "runDate": run.run_date}
            if route == "GET /me/recommendations":
                found, _item = self._row(user_key(subject, run.run_id), "score")
                titles = self._listed(found, country) if found else []
                if titles:
                    return json_response(200, {**body, "source": "recommendations", "titles": titles})
            trending = self.trending(run, country)
            return json_response(200, {**body, "source": "trending", **trending})
        except ServiceUnavailableError as exc:
            return error(503, exc.code, str(exc))
