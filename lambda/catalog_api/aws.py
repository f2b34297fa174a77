"""The catalog API's DynamoDB reads: Query on the published-by-name index, GetItem on the table."""

from __future__ import annotations

import logging
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from catalog_api.listing import PUBLISHED
from catalog_api.service import CatalogUnavailableError

LOGGER = logging.getLogger(__name__)


class CatalogReads:
    def __init__(self, client: Any, table: str, index: str) -> None:
        self._client = client
        self._table = table
        self._index = index

    def query(self, start: dict[str, Any] | None, limit: int) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": self._index,
            "KeyConditionExpression": "#status = :published",
            "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": {":published": {"S": PUBLISHED}},
            "Limit": limit,
        }
        if start is not None:
            request["ExclusiveStartKey"] = start
        response = self._call("Query", self._client.query, request)
        return response.get("Items", []), response.get("LastEvaluatedKey")

    def get(self, title_id: str) -> dict[str, Any] | None:
        response = self._call(
            "GetItem", self._client.get_item, {"TableName": self._table, "Key": {"titleId": {"S": title_id}}}
        )
        item: dict[str, Any] | None = response.get("Item")
        return item

    @staticmethod
    def _call(name: str, method: Any, request: dict[str, Any]) -> dict[str, Any]:
        try:
            response: dict[str, Any] = method(**request)
        except ClientError as exc:
            LOGGER.error("%s failed: %s", name, exc.response.get("Error", {}).get("Code", "?"))
            raise CatalogUnavailableError from None
        except BotoCoreError as exc:
            LOGGER.error("%s failed: %s", name, type(exc).__name__)
            raise CatalogUnavailableError from None
        return response
