"""Manifests from S3, with the raw bytes cached in memory by ETag.

Every request still asks S3 (``If-None-Match``), so an updated manifest is
served at once; a 304 saves the transfer. Imported on the first request, with
botocore.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from manifest_rewriter.service import (
    MAX_MANIFEST_BYTES,
    ManifestNotFoundError,
    ManifestTooLargeError,
    StorageUnavailableError,
)

LOGGER = logging.getLogger(__name__)

# Without s3:ListBucket (least privilege), S3 answers a GET on a missing key with 403, not 404.
_ABSENT = {"404", "NoSuchKey", "NotFound", "403", "AccessDenied", "Forbidden"}
CACHE_BYTES = 64 * 1024 * 1024


class S3Manifests:
    """``fetch(key) -> bytes`` for one bucket."""

    def __init__(self, client: Any, bucket: str, *, cache_bytes: int = CACHE_BYTES) -> None:
        self._client = client
        self._bucket = bucket
        self._cache: OrderedDict[str, tuple[str, bytes]] = OrderedDict()
        self._cache_bytes = cache_bytes
        self._cached_bytes = 0

    def __call__(self, key: str) -> bytes:
        cached = self._cache.get(key)
        extra = {"IfNoneMatch": cached[0]} if cached else {}
        try:
            response = self._client.get_object(Bucket=self._bucket, Key=key, **extra)
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if cached is not None and code in ("304", "NotModified"):
                self._cache.move_to_end(key)
                return cached[1]
            self._forget(key)
            if code in _ABSENT:
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
        self._remember(key, response.get("ETag"), body)
        return body

    def _forget(self, key: str) -> None:
        old = self._cache.pop(key, None)
        if old is not None:
            self._cached_bytes -= len(old[1])

    def _remember(self, key: str, etag: str | None, body: bytes) -> None:
        self._forget(key)
        if not etag or len(body) > self._cache_bytes:
            return
        self._cache[key] = (etag, body)
        self._cached_bytes += len(body)
        while self._cached_bytes > self._cache_bytes:
            _, (_, evicted) = self._cache.popitem(last=False)
            self._cached_bytes -= len(evicted)
