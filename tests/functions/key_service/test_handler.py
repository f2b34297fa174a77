"""The key service (``lambda/key_service``): the real handler against moto's DynamoDB.

Every refusal of docs/api.md ("Key service") is exercised, each with the status and code it
must answer; the one success answers exactly the stored 16 bytes, never cacheable.
"""

from __future__ import annotations

import base64
import json
import logging
import time
from collections.abc import Iterator
from typing import Any

import key_service.handler
import pytest
from cloudfront_token.policy import cloudfront_b64encode, custom_policy, title_resource

from tests.support.catalog import KEYS_TABLE, TABLE, create_keys_table, create_table, item
from tests.support.clearkey import b64url, licence_request
from tests.support.events import function_url_event

DOMAIN = "d111111abcdef8.cloudfront.net"
TITLE, OTHER = "t-protected", "t-other"
KEY_ID, OTHER_KEY_ID = "0123456789abcdef0123456789abcdef", "fedcba9876543210fedcba9876543210"
KEY, OTHER_KEY = bytes(range(16)), bytes(range(100, 116))
# Each title's DASH (cenc) key, released only by the Clear Key licence.
DASH_KEY_ID, OTHER_DASH_KEY_ID = "aa" * 16, "bb" * 16
DASH_KEY, OTHER_DASH_KEY = bytes(range(200, 216)), bytes(range(50, 66))
SIGNATURE = "c2lnbmF0dXJl"  # CloudFront checked the signature before the request reached the function


def token(title_id: str = TITLE, expires_at: int | None = None) -> str:
    policy = custom_policy(title_resource(DOMAIN, title_id), expires_at or int(time.time()) + 3600)
    return f"Policy={cloudfront_b64encode(policy.encode())}&Signature={SIGNATURE}&Key-Pair-Id=K2JCJMDEHXQW5F"


def request(
    title_id: str = TITLE,
    key_id: str = KEY_ID,
    query: str | None = None,
    *,
    country: str = "US",
    method: str = "GET",
    cookies: list[str] | None = None,
) -> dict[str, Any]:
    event = function_url_event(
        f"/vod/{title_id}/keys/{key_id}",
        token() if query is None else query,
        method=method,
        headers={"cloudfront-viewer-country": country},
        cookies=cookies,
    )
    return key_service.handler.handler(event, None)


@pytest.fixture(autouse=True)
def store(dynamodb: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    create_table(dynamodb)
    create_keys_table(dynamodb)
    for title_id, key_id, key in ((TITLE, KEY_ID, KEY), (OTHER, OTHER_KEY_ID, OTHER_KEY)):
        dynamodb.put_item(TableName=TABLE, Item=item(title_id, formats=("hls",), protection={"S": "aes-128"}))
        dynamodb.put_item(
            TableName=KEYS_TABLE, Item={"titleId": {"S": title_id}, "keyId": {"S": key_id}, "key": {"B": key}}
        )
    for title_id, key_id, key in ((TITLE, DASH_KEY_ID, DASH_KEY), (OTHER, OTHER_DASH_KEY_ID, OTHER_DASH_KEY)):
        dynamodb.put_item(
            TableName=KEYS_TABLE,
            Item={"titleId": {"S": title_id}, "keyId": {"S": key_id}, "key": {"B": key}, "scheme": {"S": "cenc"}},
        )
    monkeypatch.setenv("CATALOG_TABLE", TABLE)
    monkeypatch.setenv("CONTENT_KEYS_TABLE", KEYS_TABLE)
    key_service.handler.reset()
    yield dynamodb
    key_service.handler.reset()


def refused(response: dict[str, Any]) -> tuple[int, str, str | None]:
    assert response["headers"]["Cache-Control"] == "no-store"
    body = json.loads(response["body"])
    assert set(body) <= {"error", "message", "reason"}
    return response["statusCode"], body["error"], body.get("reason")


def test_an_entitled_viewer_gets_exactly_the_16_bytes_never_cacheable():
    response = request()
    assert response["statusCode"] == 200
    assert response["headers"] == {"Content-Type": "application/octet-stream", "Cache-Control": "no-store"}
    assert response["isBase64Encoded"] is True
    assert base64.b64decode(response["body"]) == KEY


def test_signed_cookies_work_as_the_query_does():
    cookies = [f"CloudFront-{part.replace('=', '=', 1)}" for part in token().split("&")]
    response = request(query="", cookies=cookies)
    assert response["statusCode"] == 200
    assert base64.b64decode(response["body"]) == KEY


@pytest.mark.parametrize(
    ("case", "kwargs", "expected"),
    [
        ("no token", {"query": ""}, (400, "missing_token", None)),
        ("a malformed token", {"query": "Policy=%%%&Signature=x&Key-Pair-Id=K"}, (400, "malformed_token", None)),
        ("another title's token", {"query": token(OTHER)}, (403, "token_scope_mismatch", None)),
        ("an expired token", {"query": token(expires_at=int(time.time()) - 1)}, (403, "token_expired", None)),
        ("a key ID of another title", {"key_id": OTHER_KEY_ID}, (404, "not_found", None)),
        ("an unknown key ID", {"key_id": "0" * 32}, (404, "not_found", None)),
        ("a key ID that is not 32 hex digits", {"key_id": "0" * 31}, (400, "bad_path", None)),
        ("an upper-case key ID", {"key_id": KEY_ID.upper()}, (400, "bad_path", None)),
        ("a POST", {"method": "POST"}, (405, "method_not_allowed", None)),
    ],
)
def test_refusals(case: str, kwargs: dict[str, Any], expected: tuple[int, str, str | None]):
    assert refused(request(**kwargs)) == expected, case


@pytest.mark.parametrize(
    ("attributes", "reason"),
    [
        ({"status": {"S": "withdrawn"}}, "withdrawn"),
        ({"availableUntil": {"S": "2020-01-01T00:00:00Z"}}, "expired"),
        ({"availableFrom": {"S": "2099-01-01T00:00:00Z"}}, "not_yet_available"),
        ({"countries": {"L": [{"S": "FR"}]}}, "country_not_allowed"),
    ],
)
def test_a_viewer_the_issuer_would_now_refuse_gets_no_key(store: Any, attributes: dict[str, Any], reason: str):
    store.put_item(TableName=TABLE, Item={**item(TITLE, formats=("hls",), protection={"S": "aes-128"}), **attributes})
    assert refused(request()) == (403, "not_entitled", reason)


def test_a_clear_title_and_an_unknown_title_have_no_key(store: Any):
    store.put_item(TableName=TABLE, Item=item(TITLE, formats=("hls",)))  # no protection: a clear title
    assert refused(request()) == (404, "not_found", None)
    assert refused(request("t-unknown", query=token("t-unknown"))) == (404, "not_found", None)


def test_a_store_it_cannot_read_is_a_503(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CONTENT_KEYS_TABLE", "no-such-table")
    assert refused(request()) == (503, "key_store_unavailable", None)
    key_service.handler.reset()
    monkeypatch.delenv("CATALOG_TABLE")
    assert refused(request()) == (503, "not_configured", None)


def test_the_key_and_the_token_never_reach_a_log(caplog: pytest.LogCaptureFixture):
    with caplog.at_level(logging.DEBUG):
        assert request()["statusCode"] == 200
        request(key_id=OTHER_KEY_ID)
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert KEY_ID in logged  # what was released is logged, by ID
    for secret in (KEY.hex(), base64.b64encode(KEY).decode(), token().split("&")[0].split("=", 1)[1], SIGNATURE):
        assert secret not in logged


# --- the Clear Key licence: POST /vod/{titleId}/keys/clearkey --------------------------------------------


def licence(
    body: bytes | None = None,
    title_id: str = TITLE,
    query: str | None = None,
    *,
    method: str = "POST",
    content_type: str = "application/json",
) -> dict[str, Any]:
    event = function_url_event(
        f"/vod/{title_id}/keys/clearkey",
        token() if query is None else query,
        method=method,
        headers={"cloudfront-viewer-country": "US", "content-type": content_type},
        body=licence_request(DASH_KEY_ID) if body is None else body,
    )
    return key_service.handler.handler(event, None)


def test_the_licence_is_a_json_web_key_set_with_exactly_the_dash_key_never_cacheable():
    response = licence()
    assert response["statusCode"] == 200
    assert response["headers"] == {"Content-Type": "application/json", "Cache-Control": "no-store"}
    answer = json.loads(response["body"])
    assert answer == {
        "keys": [{"kty": "oct", "kid": b64url(bytes.fromhex(DASH_KEY_ID)), "k": b64url(DASH_KEY)}],
        "type": "temporary",
    }
    # A JSON body reaches the function as text; under another content type, base64-encoded: the same licence.
    assert licence(content_type="application/octet-stream")["body"] == response["body"]
    # The same KID asked twice is answered once; the key decodes back to the stored 16 bytes.
    twice = json.loads(licence(licence_request(DASH_KEY_ID, DASH_KEY_ID))["body"])
    assert [base64.urlsafe_b64decode(k["k"] + "==") for k in twice["keys"]] == [DASH_KEY]


@pytest.mark.parametrize(
    ("case", "kwargs", "expected"),
    [
        ("no token", {"query": ""}, (400, "missing_token", None)),
        ("another title's token", {"query": token(OTHER)}, (403, "token_scope_mismatch", None)),
        ("an expired token", {"query": token(expires_at=int(time.time()) - 1)}, (403, "token_expired", None)),
        ("another title's KID", {"body": licence_request(OTHER_DASH_KEY_ID)}, (404, "not_found", None)),
        ("its own and another title's KID", {"body": licence_request(DASH_KEY_ID, OTHER_DASH_KEY_ID)},
         (404, "not_found", None)),
        ("the HLS key's ID", {"body": licence_request(KEY_ID)}, (404, "not_found", None)),
        ("an unknown KID", {"body": licence_request("0" * 32)}, (404, "not_found", None)),
        ("not JSON", {"body": b"kids=all"}, (400, "bad_body", None)),
        ("JSON but not a request", {"body": b"[1, 2]"}, (400, "bad_body", None)),
        ("no KIDs", {"body": b'{"kids": [], "type": "temporary"}'}, (400, "bad_body", None)),
        ("a KID that is not base64url", {"body": b'{"kids": ["qqqqqqqqqqqqqqqqqqqq+/"]}'}, (400, "bad_kid", None)),
        ("a KID of 15 bytes", {"body": json.dumps({"kids": [b64url(bytes(15))]}).encode()}, (400, "bad_kid", None)),
        ("a KID that is a number", {"body": b'{"kids": [7]}'}, (400, "bad_kid", None)),
        ("too many KIDs", {"body": licence_request(*[f"{n:032x}" for n in range(5)])}, (400, "too_many_kids", None)),
        ("a persistent session", {"body": licence_request(DASH_KEY_ID, session="persistent-license")},
         (400, "unsupported_session_type", None)),
        ("a body over 1 KiB", {"body": b'{"kids": ["' + b"A" * 1100 + b'"]}'}, (400, "bad_body", None)),
        ("a body of 100 KB, refused before decoding", {"body": b"{" * 100_000}, (400, "bad_body", None)),
        ("a GET", {"method": "GET"}, (405, "method_not_allowed", None)),
    ],
)  # fmt: skip
def test_licence_refusals(case: str, kwargs: dict[str, Any], expected: tuple[int, str, str | None]):
    assert refused(licence(**kwargs)) == expected, case


def test_the_dash_key_is_never_released_as_raw_bytes_and_a_post_elsewhere_is_refused():
    assert refused(request(key_id=DASH_KEY_ID)) == (404, "not_found", None)
    assert refused(request(method="POST")) == (405, "method_not_allowed", None)


@pytest.mark.parametrize(
    ("attributes", "reason"),
    [({"status": {"S": "withdrawn"}}, "withdrawn"), ({"countries": {"L": [{"S": "FR"}]}}, "country_not_allowed")],
)
def test_a_viewer_the_issuer_would_now_refuse_gets_no_licence(store: Any, attributes: dict[str, Any], reason: str):
    store.put_item(TableName=TABLE, Item={**item(TITLE, formats=("hls",), protection={"S": "aes-128"}), **attributes})
    assert refused(licence()) == (403, "not_entitled", reason)


def test_the_dash_key_never_reaches_a_log(caplog: pytest.LogCaptureFixture):
    with caplog.at_level(logging.DEBUG):
        assert licence()["statusCode"] == 200
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert DASH_KEY_ID in logged
    for secret in (DASH_KEY.hex(), b64url(DASH_KEY), base64.b64encode(DASH_KEY).decode()):
        assert secret not in logged
