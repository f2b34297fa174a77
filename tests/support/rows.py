"""The rows table and catalog items, as the Analytics and Storage stacks make them, for the rows tests."""

from __future__ import annotations

from typing import Any

ROWS_TABLE = "showrunner-rows-test"
CATALOG_TABLE = "showrunner-catalog-rows-test"


def create_rows_table(dynamodb: Any, name: str = ROWS_TABLE) -> str:
    """The rows table's keys (stacks/constructs/rows_table.py), in moto."""
    dynamodb.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "run", "AttributeType": "S"},
        ],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "run", "KeyType": "RANGE"}],
    )
    dynamodb.update_time_to_live(
        TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expiresAt"}
    )
    return name


def create_catalog_table(dynamodb: Any, name: str = CATALOG_TABLE) -> str:
    """The catalog table's key (stacks/constructs/catalog_table.py), in moto."""
    dynamodb.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "titleId", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "titleId", "KeyType": "HASH"}],
    )
    return name


def catalog_item(
    title_id: str,
    *,
    status: str = "published",
    name: str | None = None,
    countries: list[str] | None = None,
    available_from: str | None = None,
    available_until: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A catalog item in DynamoDB's attribute-value form (docs/api.md, "The catalog")."""
    item: dict[str, Any] = {
        "titleId": {"S": title_id},
        "status": {"S": status},
        "name": {"S": name or title_id},
        "formats": {"L": [{"S": "hls"}, {"S": "dash"}]},
    }
    if countries is not None:
        item["countries"] = {"L": [{"S": code} for code in countries]}
    if available_from is not None:
        item["availableFrom"] = {"S": available_from}
    if available_until is not None:
        item["availableUntil"] = {"S": available_until}
    item.update(extra)
    return item


def rows_request(route: str, sub: object = "viewer-1", country: str | None = "US") -> dict[str, Any]:
    """``GET /me/recommendations`` or ``GET /trending`` as the HTTP API passes it to the rows function: the JWT's
    subject (``None``: no subject claim) and the ``CloudFront-Viewer-Country`` header CloudFront adds."""
    method, path = route.split(" ", 1)
    headers = {"authorization": "Bearer x"}
    if country is not None:
        headers["cloudfront-viewer-country"] = country
    claims = {} if sub is None else {"sub": sub}
    return {
        "version": "2.0",
        "routeKey": route,
        "rawPath": path,
        "rawQueryString": "",
        "headers": headers,
        "requestContext": {
            "http": {"method": method, "path": path},
            "authorizer": {"jwt": {"claims": claims, "scopes": None}},
        },
        "isBase64Encoded": False,
    }
