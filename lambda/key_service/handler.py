"""Lambda entry point of the key service (Function URL payload v2.0, behind CloudFront's ``/vod/*/keys/*``).

Thin on purpose: the ``KeyService`` and its DynamoDB client are built on the first request
(importing boto3 only then) and kept for the container's lifetime.
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any

from showrunner_common.container import NotConfiguredError, PerContainer, serve

from key_service.service import KeyService

# botocore logs response bodies at DEBUG, and a GetItem body here is a content key.
for _name in ("botocore", "boto3", "urllib3"):
    logging.getLogger(_name).setLevel(logging.WARNING)


def _build() -> KeyService:
    catalog, keys = os.environ.get("CATALOG_TABLE", ""), os.environ.get("CONTENT_KEYS_TABLE", "")
    if not catalog or not keys:
        raise NotConfiguredError("CATALOG_TABLE and CONTENT_KEYS_TABLE must be set")
    import boto3  # deferred: botocore is most of a cold start's import time

    from key_service.aws import CatalogTitles, ContentKeys  # imports botocore

    client = boto3.client("dynamodb")
    return KeyService(titles=CatalogTitles(client, catalog), keys=ContentKeys(client, keys), clock=time.time)


_service = PerContainer(_build)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return serve(_service, event, "the key service")


def reset() -> None:
    """Forget the service (tests: a fresh container)."""
    _service.reset()
