"""The rows table as the Analytics stack makes it, and the rows API's requests (catalog items: support/catalog.py)."""

from __future__ import annotations

from typing import Any

ROWS_TABLE = "showrunner-rows-test"


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
