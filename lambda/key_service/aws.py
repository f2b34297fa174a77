"""The key service's two reads: the title's catalog item and the content key (DynamoDB GetItem each).

Imported on the first request (botocore). Neither is cached: a key is asked for once per play,
so a withdrawal or a window change applies to the next request, and no key stays in memory
longer than one request.
"""

from __future__ import annotations

import logging
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from entitlement.rules import InvalidTitleError, Title
from showrunner_common.content_keys import HLS_SCHEME

from key_service.service import StoredKey, StoreUnavailableError

LOGGER = logging.getLogger(__name__)

# What entitlement needs of a catalog item; "status" is a reserved word.
PROJECTION = "titleId, #status, formats, availableFrom, availableUntil, countries, tier, protection"


def _code(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code", "?"))
    return type(exc).__name__


class CatalogTitles:
    def __init__(self, client: Any, table: str) -> None:
        self._client = client
        self._table = table

    def __call__(self, title_id: str) -> Title | None:
        try:
            item = self._client.get_item(
                TableName=self._table,
                Key={"titleId": {"S": title_id}},
                ProjectionExpression=PROJECTION,
                ExpressionAttributeNames={"#status": "status"},
            ).get("Item")
        except (ClientError, BotoCoreError) as exc:
            LOGGER.error("catalog GetItem %s failed: %s", title_id, _code(exc))
            raise StoreUnavailableError("catalog_unavailable") from None
        if item is None:
            return None
        try:
            return Title.from_item(item)
        except InvalidTitleError as exc:
            LOGGER.error("catalog item %s is invalid: %s", title_id, exc)
            return None


class ContentKeys:
    def __init__(self, client: Any, table: str) -> None:
        self._client = client
        self._table = table

    def __call__(self, title_id: str, key_id: str) -> StoredKey | None:
        try:
            item = self._client.get_item(
                TableName=self._table,
                Key={"titleId": {"S": title_id}, "keyId": {"S": key_id}},
                ProjectionExpression="#key, #scheme",
                ExpressionAttributeNames={"#key": "key", "#scheme": "scheme"},
            ).get("Item")
        except (ClientError, BotoCoreError) as exc:
            LOGGER.error("content key GetItem %s failed: %s", title_id, _code(exc))
            raise StoreUnavailableError("key_store_unavailable") from None
        value = (item or {}).get("key", {}).get("B")
        if not isinstance(value, (bytes, bytearray)):
            return None
        # A row without a scheme predates DASH keys: an HLS key.
        return StoredKey(key=bytes(value), scheme=str((item or {}).get("scheme", {}).get("S") or HLS_SCHEME))
