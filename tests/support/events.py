"""Lambda events as the services deliver them to our handlers (payload format 2.0)."""

from __future__ import annotations

import base64
import re
from typing import Any

FUNCTION_URL_HOST = "rewriter.lambda-url.us-east-1.on.aws"


def _authorized(method: str, path: str, sub: object, groups: str | None = None) -> dict[str, Any]:
    """``requestContext`` of an HTTP API request whose JWT authorizer accepted a token of subject ``sub``
    (``None``: no subject claim). ``groups`` is ``cognito:groups`` as the authorizer hands an array claim to
    a function: one string, ``[a b]``."""
    claims: dict[str, Any] = {} if sub is None else {"sub": sub}
    if groups is not None:
        claims["cognito:groups"] = groups
    return {"http": {"method": method, "path": path}, "authorizer": {"jwt": {"claims": claims, "scopes": None}}}


def _viewer_headers(country: str | None) -> dict[str, str]:
    """What reaches the API through CloudFront: the token, and the country CloudFront determined."""
    headers = {"authorization": "Bearer x"}
    if country is not None:
        headers["cloudfront-viewer-country"] = country
    return headers


def playback_event(
    title_id: object, sub: object = "viewer-1", *, groups: str | None = "[plan-premium]", country: str | None = "US"
) -> dict[str, Any]:
    """``GET /playback/{titleId}`` as the HTTP API passes it to the issuer (a premium viewer in the US unless told)."""
    path = f"/playback/{title_id}"
    return {
        "version": "2.0",
        "routeKey": "GET /playback/{titleId}",
        "rawPath": path,
        "rawQueryString": "",
        "headers": _viewer_headers(country),
        "pathParameters": {"titleId": title_id},
        "requestContext": _authorized("GET", path, sub, groups),
        "isBase64Encoded": False,
    }


def catalog_event(
    title_id: object | None = None,
    *,
    query: dict[str, str] | None = None,
    country: str | None = "US",
    sub: object = "viewer-1",
) -> dict[str, Any]:
    """``GET /catalog`` (``title_id`` None) or ``GET /catalog/{titleId}`` as the HTTP API passes it."""
    path = "/catalog" if title_id is None else f"/catalog/{title_id}"
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "GET /catalog" if title_id is None else "GET /catalog/{titleId}",
        "rawPath": path,
        "rawQueryString": "&".join(f"{k}={v}" for k, v in (query or {}).items()),
        "headers": _viewer_headers(country),
        "requestContext": _authorized("GET", path, sub),
        "isBase64Encoded": False,
    }
    if title_id is not None:
        event["pathParameters"] = {"titleId": title_id}
    if query:
        event["queryStringParameters"] = dict(query)
    return event


def events_post(body: str, sub: object = "viewer-1", *, base64_encoded: bool = False) -> dict[str, Any]:
    """``POST /events`` as the HTTP API passes it to the ingestion function (``body`` as sent on the wire)."""
    return {
        "version": "2.0",
        "routeKey": "POST /events",
        "rawPath": "/events",
        "rawQueryString": "",
        "headers": {"content-type": "application/json"},
        "requestContext": _authorized("POST", "/events", sub),
        "body": body,
        "isBase64Encoded": base64_encoded,
    }


def function_url_event(
    path: str,
    query: str = "",
    *,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    cookies: list[str] | None = None,
    body: bytes | None = None,
) -> dict[str, Any]:
    """A Function URL request as CloudFront forwards a viewer's through origin access control."""
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "headers": {"host": FUNCTION_URL_HOST, **(headers or {})},
        "requestContext": {"http": {"method": method, "path": path}},
        "isBase64Encoded": False,
    }
    if cookies:
        event["cookies"] = cookies
    if body is not None:  # a Function URL hands a body to the function base64-encoded unless it is text
        content_type = next((v for k, v in (headers or {}).items() if k.lower() == "content-type"), "")
        if _TEXT_CONTENT.match(content_type):
            event["body"] = body.decode("utf-8")
        else:
            event["body"] = base64.b64encode(body).decode("ascii")
            event["isBase64Encoded"] = True
    return event


# The content types a Function URL passes to the function as text (text/*, JSON, JavaScript, XML); any other
# body arrives base64-encoded.
_TEXT_CONTENT = re.compile(
    r"\s*(text/[\w.+-]+|application/(json|javascript|xml|[\w.-]+\+(json|xml)))\s*(;|$)", re.IGNORECASE
)
