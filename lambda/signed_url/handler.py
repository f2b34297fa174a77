"""Lambda entry point of the signed-URL issuer (``GET /playback/{titleId}``, HTTP API payload v2.0).

Thin on purpose: it validates the environment once, builds the ``Issuer`` on the
first request (importing boto3 only then, so the module imports in a few
milliseconds), and keeps it, with its caches, for the container's lifetime.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from showrunner_common.container import PerContainer, serve

from signed_url.issuer import Issuer, Settings, TitleCatalog

# botocore logs response bodies at DEBUG, and a GetSecretValue body is the private key: whatever
# the function's log level, botocore stays at WARNING here.
for _name in ("botocore", "boto3", "urllib3"):
    logging.getLogger(_name).setLevel(logging.WARNING)


def _build() -> Issuer:
    import boto3  # deferred: botocore is most of a cold start's import time

    from signed_url.aws import CatalogItems, SigningKey  # imports botocore

    settings = Settings.from_env(os.environ)
    items = CatalogItems(boto3.client("dynamodb"), settings.catalog_table)
    titles = TitleCatalog(items, ttl=settings.catalog_cache_seconds)
    key = SigningKey(boto3.client("secretsmanager"), settings.signing_key_secret_arn, settings.key_pair_id)
    return Issuer(settings, titles=titles.title, signer=key)


_issuer = PerContainer(_build)  # one Issuer per container, with its caches


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return serve(_issuer, event, "playback")


def reset() -> None:
    """Forget the Issuer and its caches (tests: a fresh container)."""
    _issuer.reset()
