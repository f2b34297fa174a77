"""Manifests from S3, with the raw bytes cached in memory by ETag.

A manifest fetched or revalidated within the last ``fresh_seconds`` is answered
from memory with no S3 request (VOD manifests do not change, and CloudFront
keeps a stored one at least that long anyway). After that the next request
revalidates it (``If-None-Match``): a 304 saves the transfer and starts a new
window, a changed object replaces it, a deleted one is forgotten. Imported on
the first request, with botocore.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from showrunner_common.s3 import ABSENT_CODES, error_code

from manifest_rewriter.service import (
    MAX_MANIFEST_BYTES,
    ManifestNotFoundError,
    ManifestTooLargeError,
    StorageUnavailableError,
)

LOGGER = logging.getLogger(__name__)

CACHE_BYTES = 64 * 1024 * 1024


class S3Manifests:
    """``fetch(key) -> bytes`` for one bucket."""

    def __init__(
        self,
        client: Any,
        bucket: str,
        *,
        fresh_seconds: float = 0,
        cache_bytes: int = CACHE_BYTES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._bucket = bucket
        self._fresh_seconds = fresh_seconds
        self._clock = clock
        # key -> (ETag, body, when S3 last confirmed it)
        self._cache: OrderedDict[str, tuple[str, bytes, float]] = OrderedDict()
        self._cache_bytes = cache_bytes
        self._cached_bytes = 0

    def __call__(self, key: str) -> bytes:
        cached = self._cache.get(key)
        now = self._clock()
        if cached is not None and now - cached[2] < self._fresh_seconds:
            self._cache.move_to_end(key)
            return cached[1]
        extra = {"IfNoneMatch": cached[0]} if cached else {}
        try:
            response = self._client.get_object(Bucket=self._bucket, Key=key, **extra)
        except ClientError as exc:
            code = error_code(exc)
            if cached is not None and code in ("304", "NotModified"):
                self._cache[key] = (cached[0], cached[1], now)
                self._cache.move_to_end(key)
                return cached[1]
            self._forget(key)
            if code in ABSENT_CODES:
                raise ManifestNotFoundError(key) from None
            LOGGER.error("GET %s failed: %s", key, code)
            raise StorageUnavailableError(key) from None
        except BotoCoreError as exc:
            LOGGER.error("GET %s failed: %s", key, type(exc).__name__)
            raise StorageUnavailableError(key) from None

        stream = response["Body"]
        try:
            if int(response.get("ContentLength", 0)) > MAX_MANIFEST_BYTES:
                raise ManifestTooLargeError(key)
            body: bytes = stream.read(MAX_MANIFEST_BYTES + 1)
        except BotoCoreError as exc:
            LOGGER.error("reading %s failed: %s", key, type(exc).__name__)
            raise StorageUnavailableError(key) from None
        finally:
            stream.close()
        if len(body) > MAX_MANIFEST_BYTES:
            raise ManifestTooLargeError(key)
        self._remember(key, response.get("ETag"), body, now)
        return body

    def _forget(self, key: str) -> None:
        old = self._cache.pop(key, None)
        if old is not None:
            self._cached_bytes -= len(old[1])

    def _remember(self, key: str, etag: str | None, body: bytes, checked_at: float) -> None:
        self._forget(key)
        if not etag or len(body) > self._cache_bytes:
            return
        self._cache[key] = (etag, body, checked_at)
        self._cached_bytes += len(body)
        while self._cached_bytes > self._cache_bytes:
            _, (_, evicted, _) = self._cache.popitem(last=False)
            self._cached_bytes -= len(evicted)
