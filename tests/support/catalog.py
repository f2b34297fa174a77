"""Catalog items and the catalog table, as the Storage stack and the ingest workflow make them (docs/api.md)."""

from __future__ import annotations

from typing import Any

TABLE = "showrunner-catalog-test"
INDEX = "published-by-name"  # stacks/constructs/catalog_table.py PUBLISHED_INDEX


def create_table(dynamodb: Any, name: str = TABLE) -> str:
    """The catalog table's key and its published-by-name index, in moto."""
    dynamodb.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "titleId", "AttributeType": "S"},
            {"AttributeName": "status", "AttributeType": "S"},
            {"AttributeName": "name", "AttributeType": "S"},
        ],
        KeySchema=[{"AttributeName": "titleId", "KeyType": "HASH"}],
        GlobalSecondaryIndexes=[
            {
                "IndexName": INDEX,
                "KeySchema": [
                    {"AttributeName": "status", "KeyType": "HASH"},
                    {"AttributeName": "name", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    )
    return name


def item(
    title_id: str,
    *,
    status: str = "published",
    name: str | None = None,
    formats: tuple[str, ...] = ("hls", "dash"),
    duration: float | None = 4.0,
    tier: str | None = "free",
    countries: list[str] | None = None,
    available_from: str | None = None,
    available_until: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A catalog item in DynamoDB's attribute-value form (what the low-level client puts and returns)."""
    result: dict[str, Any] = {
        "titleId": {"S": title_id},
        "status": {"S": status},
        "name": {"S": name or title_id},
    }
    if formats:
        result["formats"] = {"L": [{"S": fmt} for fmt in formats]}
        result["manifests"] = {
            "M": {
                **({"hls": {"S": f"vod/{title_id}/master.m3u8"}} if "hls" in formats else {}),
                **({"dash": {"S": f"vod/{title_id}/manifest.mpd"}} if "dash" in formats else {}),
            }
        }
    if duration is not None:
        result["durationSeconds"] = {"N": str(duration)}
    if tier is not None:
        result["tier"] = {"S": tier}
    if countries is not None:
        result["countries"] = {"L": [{"S": code} for code in countries]}
    if available_from is not None:
        result["availableFrom"] = {"S": available_from}
    if available_until is not None:
        result["availableUntil"] = {"S": available_until}
    result.update(extra)
    return result


KEYS_TABLE = "showrunner-content-keys-test"


def create_keys_table(dynamodb: Any, name: str = KEYS_TABLE) -> str:
    """The content-keys table's key schema (stacks/constructs/content_key_store.py), in moto."""
    dynamodb.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "titleId", "AttributeType": "S"},
            {"AttributeName": "keyId", "AttributeType": "S"},
        ],
        KeySchema=[{"AttributeName": "titleId", "KeyType": "HASH"}, {"AttributeName": "keyId", "KeyType": "RANGE"}],
    )
    return name
