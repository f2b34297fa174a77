"""Lambda entry point of the manifest rewriter (Function URL payload v2.0, behind CloudFront).

Thin on purpose: the ``ManifestService`` and its S3 client are built on the
first request (importing boto3 only then) and kept for the container's
lifetime, with the ETag cache.
"""

from __future__ import annotations

import os
from typing import Any

from showrunner_common.container import NotConfiguredError, PerContainer, serve

from manifest_rewriter.service import ManifestService

# MANIFEST_FRESH_SECONDS: how long a manifest is answered from memory; at most CloudFront's longest
# manifest TTL (edge.manifest_max_ttl_seconds, itself at most 60). Unset: every request asks S3.
MAX_FRESH_SECONDS = 60


def _fresh_seconds() -> int | None:
    value = os.environ.get("MANIFEST_FRESH_SECONDS", "0")
    if not (value.isascii() and value.isdigit()) or int(value) > MAX_FRESH_SECONDS:
        return None
    return int(value)


def _build() -> ManifestService:
    bucket = os.environ.get("CONTENT_BUCKET", "")
    if not bucket:
        raise NotConfiguredError("CONTENT_BUCKET is not set")
    fresh_seconds = _fresh_seconds()
    if fresh_seconds is None:
        raise NotConfiguredError(f"MANIFEST_FRESH_SECONDS must be whole seconds from 0 to {MAX_FRESH_SECONDS}")
    import boto3  # deferred: botocore is most of a cold start's import time

    from manifest_rewriter.store import S3Manifests  # imports botocore

    return ManifestService(S3Manifests(boto3.client("s3"), bucket, fresh_seconds=fresh_seconds))


_service = PerContainer(_build)  # one service per container, with its cache


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return serve(_service, event, "the rewriter")


def reset() -> None:
    """Forget the service and its cache (tests: a fresh container)."""
    _service.reset()
