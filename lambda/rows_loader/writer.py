"""Writing items with ``BatchWriteItem``: 25 at a time, several requests in flight, unprocessed items retried.

DynamoDB may write part of a batch and hand back the rest as ``UnprocessedItems`` (throttling, a
partition's limit): those are sent again after an exponential backoff with jitter, as AWS's
guidance for batch writes says, up to ``ATTEMPTS`` times; throttling errors of the whole call are
retried the same way. What is still unwritten then fails the load (``UnwrittenItemsError``): the
workflow then leaves the run pointer where it was.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

from botocore.exceptions import ClientError

LOGGER = logging.getLogger(__name__)

BATCH_ITEMS = 25  # BatchWriteItem's limit
ATTEMPTS = 8
BASE_SECONDS = 0.05
MAX_BACKOFF_SECONDS = 5.0
WORKERS = 8
RETRYABLE = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
    }
)


class UnwrittenItemsError(Exception):
    """Items DynamoDB did not take after every attempt (or refused for a reason a retry cannot fix)."""


def batches(items: Iterable[dict[str, Any]], size: int = BATCH_ITEMS) -> Iterator[list[dict[str, Any]]]:
    """Items in groups of at most ``size``; an item whose key is already in the group starts a new one
    (BatchWriteItem refuses a request naming one key twice)."""
    group: list[dict[str, Any]] = []
    keys: set[tuple[str, str]] = set()
    for item in items:
        key = (str(item["pk"]["S"]), str(item["run"]["S"]))
        if len(group) == size or key in keys:
            yield group
            group, keys = [], set()
        group.append(item)
        keys.add(key)
    if group:
        yield group


class BatchWriter:
    def __init__(
        self,
        client: Any,
        table: str,
        *,
        sleep: Callable[[float], None] = time.sleep,
        workers: int = WORKERS,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self._client = client
        self._table = table
        self._sleep = sleep
        self._workers = workers
        self._jitter = jitter

    def _backoff(self, attempt: int) -> None:
        ceiling = min(MAX_BACKOFF_SECONDS, BASE_SECONDS * 2**attempt)
        self._sleep(ceiling * (0.5 + 0.5 * self._jitter()))

    def write_batch(self, batch: list[dict[str, Any]]) -> int:
        """Write one batch, retrying what DynamoDB leaves unprocessed; the number of items written."""
        requests = [{"PutRequest": {"Item": item}} for item in batch]
        for attempt in range(ATTEMPTS):
            if attempt:
                self._backoff(attempt)
            try:
                answer = self._client.batch_write_item(RequestItems={self._table: requests})
            except ClientError as exc:
                code = str(exc.response.get("Error", {}).get("Code", ""))
                if code not in RETRYABLE:
                    raise UnwrittenItemsError(f"BatchWriteItem refused {len(requests)} items: {code}") from None
                LOGGER.warning("BatchWriteItem: %s, %d items to send again", code, len(requests))
                continue
            requests = answer.get("UnprocessedItems", {}).get(self._table, [])
            if not requests:
                return len(batch)
            LOGGER.info("BatchWriteItem left %d of %d items unprocessed", len(requests), len(batch))
        raise UnwrittenItemsError(f"{len(requests)} items still unprocessed after {ATTEMPTS} attempts")

    def write(self, items: Iterable[dict[str, Any]]) -> int:
        """Write every item, ``workers`` batches in flight; the number written. Raises on the first failure."""
        written = 0
        with ThreadPoolExecutor(max_workers=self._workers) as pool:
            running: set[Future[int]] = set()
            for batch in batches(items):
                if len(running) >= 2 * self._workers:
                    done, running = wait(running, return_when=FIRST_COMPLETED)
                    written += sum(future.result() for future in done)
                running.add(pool.submit(self.write_batch, batch))
            written += sum(future.result() for future in running)
        return written
