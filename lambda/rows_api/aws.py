"""The rows API's DynamoDB reads: the run pointer and row items (rows table), and catalog items.

Imported on the first request (botocore is most of a cold start). Both caches are per container:

* the run pointer for ``POINTER_SECONDS``: a container serves a newly switched run at most that
  long after the switch, and each answer reads one run only;
* catalog items for ``CATALOG_SECONDS``, at most ``CATALOG_ENTRIES`` titles (oldest first out):
  a title withdrawn or moved out of its window leaves the rows within that time. Whether a title
  is listed is decided at every request, on the cached item, with the request's country and time.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from personal_rows.schema import POINTER_KEY, Pointer, pointer

from rows_api.service import ServiceUnavailableError

LOGGER = logging.getLogger(__name__)

POINTER_SECONDS = 60.0
CATALOG_SECONDS = 60.0
CATALOG_ENTRIES = 10_000
BATCH_GET_KEYS = 100  # BatchGetItem's limit
BATCH_GET_ATTEMPTS = 3


def _code(exc: Exception) -> str:
    return str(exc.response.get("Error", {}).get("Code", "")) if isinstance(exc, ClientError) else type(exc).__name__


class RowStore:
    def __init__(self, client: Any, table: str, clock: Callable[[], float] = time.monotonic) -> None:
        self._client = client
        self._table = table
        self._clock = clock
        self._pointer: tuple[float, Pointer | None] | None = None
        self._lock = threading.Lock()

    def _get(self, key: Mapping[str, Any]) -> Mapping[str, Any] | None:
        try:
            item: Mapping[str, Any] | None = self._client.get_item(TableName=self._table, Key=dict(key)).get("Item")
        except (ClientError, BotoCoreError) as exc:
            LOGGER.error("GetItem on the rows table failed: %s", _code(exc))
            raise ServiceUnavailableError("rows_unavailable", "the rows cannot be read") from None
        return item

    def pointer(self) -> Pointer | None:
        with self._lock:
            cached = self._pointer
        if cached is not None and self._clock() - cached[0] < POINTER_SECONDS:
            return cached[1]
        found = pointer(self._get(POINTER_KEY))
        with self._lock:
            self._pointer = (self._clock(), found)
        return found

    def row(self, key: Mapping[str, Any]) -> Mapping[str, Any] | None:
        return self._get(key)


class CatalogItems:
    def __init__(self, client: Any, table: str, clock: Callable[[], float] = time.monotonic) -> None:
        self._client = client
        self._table = table
        self._clock = clock
        self._cache: OrderedDict[str, tuple[float, Mapping[str, Any] | None]] = OrderedDict()
        self._lock = threading.Lock()

    def _fetch(self, title_ids: Sequence[str]) -> dict[str, Mapping[str, Any]]:
        found: dict[str, Mapping[str, Any]] = {}
        for start in range(0, len(title_ids), BATCH_GET_KEYS):
            keys: list[dict[str, Any]] = [{"titleId": {"S": t}} for t in title_ids[start : start + BATCH_GET_KEYS]]
            for _attempt in range(BATCH_GET_ATTEMPTS):
                try:
                    answer = self._client.batch_get_item(RequestItems={self._table: {"Keys": keys}})
                except (ClientError, BotoCoreError) as exc:
                    LOGGER.error("BatchGetItem on the catalog failed: %s", _code(exc))
                    raise ServiceUnavailableError("catalog_unavailable", "the catalog cannot be read") from None
                for item in answer.get("Responses", {}).get(self._table, []):
                    found[item["titleId"]["S"]] = item
                keys = answer.get("UnprocessedKeys", {}).get(self._table, {}).get("Keys", [])
                if not keys:
                    break
            if keys:
                LOGGER.error("BatchGetItem left %d catalog keys unprocessed", len(keys))
                raise ServiceUnavailableError("catalog_unavailable", "the catalog cannot be read")
        return found

    def items(self, title_ids: Sequence[str]) -> Mapping[str, Mapping[str, Any]]:
        now = self._clock()
        result: dict[str, Mapping[str, Any]] = {}
        missing = []
        with self._lock:
            for title_id in dict.fromkeys(title_ids):
                cached = self._cache.get(title_id)
                if cached is not None and now - cached[0] < CATALOG_SECONDS:
                    if cached[1] is not None:
                        result[title_id] = cached[1]
                else:
                    missing.append(title_id)
        if missing:
            fetched = self._fetch(missing)
            with self._lock:
                for title_id in missing:
                    item = fetched.get(title_id)
                    self._cache[title_id] = (now, item)
                    self._cache.move_to_end(title_id)
                    if item is not None:
                        result[title_id] = item
                while len(self._cache) > CATALOG_ENTRIES:
                    self._cache.popitem(last=False)
        return result
