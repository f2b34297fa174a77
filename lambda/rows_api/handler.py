"""Lambda entry point of ``GET /me/recommendations`` and ``GET /trending`` (HTTP API payload v2.0).

Thin: the clients and their caches are built on the first request and kept for the container
(``service.Rows``, ``aws.RowStore``, ``aws.CatalogItems``).

Environment: ``ROWS_TABLE`` (the nightly rows), ``CATALOG_TABLE`` (the title catalog).
"""

from __future__ import annotations

import logging
import os
from typing import Any

from showrunner_common.container import NotConfiguredError, PerContainer, serve

from rows_api.service import Rows

for _name in ("botocore", "boto3", "urllib3"):
    logging.getLogger(_name).setLevel(logging.WARNING)


def _build() -> Rows:
    rows_table, catalog_table = os.environ.get("ROWS_TABLE"), os.environ.get("CATALOG_TABLE")
    if not rows_table or not catalog_table:
        raise NotConfiguredError("ROWS_TABLE and CATALOG_TABLE must be set")
    import boto3  # deferred: most of a cold start

    from rows_api.aws import CatalogItems, RowStore  # imports botocore

    client = boto3.client("dynamodb")
    return Rows(store=RowStore(client, rows_table), catalog=CatalogItems(client, catalog_table))


_rows = PerContainer(_build)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return serve(_rows, event, "the rows")


def reset() -> None:
    """Forget the clients and caches (tests: a fresh container)."""
    _rows.reset()
