"""Lambda entry point of the catalog API (HTTP API payload v2.0): ``GET /catalog``, ``GET /catalog/{titleId}``.

Thin: it validates the environment and builds the service on the first request (importing boto3 only
then), and keeps it, with its page cache, for the container's lifetime.
"""

from __future__ import annotations

import os
from typing import Any

from showrunner_common.container import PerContainer, serve

from catalog_api.service import CachedQuery, CatalogService, Settings


def _build() -> CatalogService:
    import boto3  # deferred: botocore is most of a cold start's import time

    from catalog_api.aws import CatalogReads  # imports botocore

    settings = Settings.from_env(os.environ)
    reads = CatalogReads(boto3.client("dynamodb"), settings.table, settings.index)
    return CatalogService(settings, query=CachedQuery(reads.query, ttl=settings.cache_seconds), get=reads.get)


_service = PerContainer(_build)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return serve(_service, event, "the catalog")


def reset() -> None:
    """Forget the service and its caches (tests: a fresh container)."""
    _service.reset()
