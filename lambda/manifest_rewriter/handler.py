"""Lambda entry point of the manifest rewriter (Function URL payload v2.0, behind CloudFront).

Thin on purpose: the ``ManifestService`` and its S3 client are built on the
first request (importing boto3 only then) and kept for the container's
lifetime, with the ETag cache.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

from showrunner_common.responses import error

from manifest_rewriter.service import ManifestService

LOGGER = logging.getLogger(__name__)
LOGGER.setLevel(logging.INFO)

_service: ManifestService | None = None
_lock = threading.Lock()


# MANIFEST_FRESH_SECONDS: how long a manifest is answered from memory; at most CloudFront's longest
# manifest TTL (edge.manifest_max_ttl_seconds, itself at most 60). Unset: every request asks S3.
MAX_FRESH_SECONDS = 60


def _fresh_seconds() -> int | None:
    value = os.environ.get("MANIFEST_FRESH_SECONDS", "0")
    if not (value.isascii() and value.isdigit()) or int(value) > MAX_FRESH_SECONDS:
        return None
    return int(value)


def _build() -> ManifestService | None:
    bucket = os.environ.get("CONTENT_BUCKET", "")
    if not bucket:
        LOGGER.error("misconfigured: CONTENT_BUCKET is not set")
        return None
    fresh_seconds = _fresh_seconds()
    if fresh_seconds is None:
        LOGGER.error("misconfigured: MANIFEST_FRESH_SECONDS must be whole seconds from 0 to %d", MAX_FRESH_SECONDS)
        return None
    import boto3  # deferred: botocore is most of a cold start's import time

    from manifest_rewriter.store import S3Manifests  # imports botocore

    return ManifestService(S3Manifests(boto3.client("s3"), bucket, fresh_seconds=fresh_seconds))


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    global _service  # one service per container, with its cache
    service = _service
    if service is None:
        with _lock:
            if _service is None:
                _service = _build()
            service = _service
        if service is None:
            return error(503, "not_configured", "the rewriter is not configured")
    return service.handle(event)


def reset() -> None:
    """Forget the service and its cache (tests: a fresh container)."""
    global _service
    _service = None
