"""The signed-URL issuer's handler against moto: every status code of the contract, every refusal reason."""

from __future__ import annotations

import base64
import json
import logging
import time
from collections.abc import Callable
from typing import Any

import pytest
import signed_url.handler
from cloudfront_token.policy import cloudfront_b64decode
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from entitlement.rules import parse_timestamp
from signed_url.handler import handler
from signed_url.issuer import TitleCatalog

from tests.support import catalog
from tests.support.events import playback_event
from tools.developer.samples import DOMAIN, KEY_PAIR_ID, private_key, private_pem

TTL = 3600  # URL_TTL_SECONDS: the longest a token lives
MIN_TTL = 600
MARGIN = 900
HLS_ONLY, DASH_ONLY, BOTH = "hls-only", "Dash_Only", "both-01"
FROM, UNTIL = "2026-12-01T00:00:00Z", "2026-12-31T00:00:00Z"
WINDOWED = "windowed"  # standard tier, US and CA only, December 2026


@pytest.fixture
def secret_arn(secrets: Any) -> str:
    arn: str = secrets.create_secret(Name="showrunner/test/signing-key", SecretString=private_pem())["ARN"]
    return arn


@pytest.fixture
def issuer_env(monkeypatch: pytest.MonkeyPatch, dynamodb: Any, secret_arn: str) -> str:
    catalog.create_table(dynamodb)
    for item in (
        catalog.item(HLS_ONLY, formats=("hls",)),
        catalog.item(DASH_ONLY, formats=("dash",)),
        catalog.item(BOTH, duration=None),
        catalog.item(
            WINDOWED, tier="standard", countries=["US", "CA"], available_from=FROM, available_until=UNTIL, duration=60
        ),
    ):
        dynamodb.put_item(TableName=catalog.TABLE, Item=item)
    env = {
        "DISTRIBUTION_DOMAIN": DOMAIN,
        "KEY_PAIR_ID": KEY_PAIR_ID,
        "SIGNING_KEY_SECRET_ARN": secret_arn,
        "CATALOG_TABLE": catalog.TABLE,
        "URL_TTL_SECONDS": str(TTL),
        "TOKEN_MIN_SECONDS": str(MIN_TTL),
        "TOKEN_MARGIN_SECONDS": str(MARGIN),
        "CATALOG_CACHE_SECONDS": "10",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return secret_arn


def event(title_id: object = HLS_ONLY, sub: object = "user-123", **viewer: Any) -> dict[str, Any]:
    return playback_event(title_id, sub, **viewer)


def call(request: dict[str, Any]) -> tuple[int, dict[str, Any], dict[str, Any]]:
    response = handler(request, None)
    json.dumps(response)  # what the runtime does with it
    return response["statusCode"], json.loads(response["body"]), response


@pytest.fixture
def clock(issuer_env: str) -> Callable[[float], None]:
    """Stops the issuer's clock at a chosen epoch second (the container is built first)."""
    issuer = signed_url.handler._issuer.get()

    def set_to(epoch: float) -> None:
        issuer._clock = lambda: epoch

    return set_to


def verifies(signature: str, message: bytes, key: rsa.RSAPrivateKey | None = None) -> bool:
    raw = base64.b64decode(signature.replace("-", "+").replace("_", "=").replace("~", "/"))
    try:
        (key or private_key()).public_key().verify(raw, message, padding.PKCS1v15(), hashes.SHA1())
    except Exception:
        return False
    return True


def query(url: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in url.split("?", 1)[1].split("&"))


# --- 200 ----------------------------------------------------------------------------------------------


def test_200_signs_one_title_scoped_custom_policy_for_urls_and_cookies(issuer_env: str):
    before = int(time.time())
    status, body, response = call(event(BOTH))
    after = int(time.time())
    assert status == 200
    assert response["headers"] == {"Content-Type": "application/json", "Cache-Control": "no-store"}
    assert list(body) == ["titleId", "expiresAt", "hls", "dash", "cookies"]
    assert body["titleId"] == BOTH
    assert before + TTL <= body["expiresAt"] <= after + TTL  # no duration: the longest lifetime

    assert body["hls"].startswith(f"https://{DOMAIN}/vod/{BOTH}/master.m3u8?Policy=")
    assert body["dash"].startswith(f"https://{DOMAIN}/vod/{BOTH}/manifest.mpd?Policy=")
    hls, dash = query(body["hls"]), query(body["dash"])
    assert hls == dash
    assert list(hls) == ["Policy", "Signature", "Key-Pair-Id"]
    assert hls["Key-Pair-Id"] == KEY_PAIR_ID
    policy = cloudfront_b64decode(hls["Policy"])
    assert (
        policy
        == (
            '{"Statement":[{"Resource":"https://d111111abcdef8.cloudfront.net/vod/both-01/*",'
            f'"Condition":{{"DateLessThan":{{"AWS:EpochTime":{body["expiresAt"]}}}}}}}]}}'
        ).encode()
    )
    assert verifies(hls["Signature"], policy)

    assert body["cookies"] == {
        "CloudFront-Policy": hls["Policy"],
        "CloudFront-Signature": hls["Signature"],
        "CloudFront-Key-Pair-Id": KEY_PAIR_ID,
    }
    attributes = f"; Secure; HttpOnly; SameSite=None; Path=/vod/{BOTH}/"
    assert response["cookies"] == [
        f"CloudFront-Policy={hls['Policy']}{attributes}",
        f"CloudFront-Signature={hls['Signature']}{attributes}",
        f"CloudFront-Key-Pair-Id={KEY_PAIR_ID}{attributes}",
    ]


@pytest.mark.parametrize(("title", "formats"), [(HLS_ONLY, {"hls"}), (DASH_ONLY, {"dash"})])
def test_200_lists_only_the_formats_the_title_has(issuer_env: str, title: str, formats: set[str]):
    status, body, _ = call(event(title))
    assert status == 200
    assert {"hls", "dash"} & set(body) == formats


def test_the_key_version_labelled_with_the_key_pair_id_wins_over_awscurrent(issuer_env: str, secrets: Any):
    rotated = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    secrets.put_secret_value(SecretId=issuer_env, SecretString=private_pem(rotated), VersionStages=[KEY_PAIR_ID])
    status, body, _ = call(event())
    assert status == 200
    signed = query(body["hls"])
    policy = cloudfront_b64decode(signed["Policy"])
    assert verifies(signed["Signature"], policy, rotated)
    assert not verifies(signed["Signature"], policy)


def test_the_key_is_read_once_per_container(issuer_env: str, secrets: Any):
    assert call(event())[0] == 200
    secrets.delete_secret(SecretId=issuer_env, ForceDeleteWithoutRecovery=True)
    assert call(event(BOTH))[0] == 200  # still signing with the cached key


# --- 400 and 401 ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "title",
    [
        "*",
        "t*",
        "t?x",
        "..",
        "../both-01",
        "a%2fb",
        "a%2Fb",
        "a/b",
        "a b",
        " both-01",
        "x" * 129,
        "",
        "t.1",
        "tïtle",
        7,
    ],
)
def test_400_for_a_title_id_that_could_widen_or_move_the_grant(issuer_env: str, title: object):
    status, body, response = call(event(title))
    assert status == 400
    assert body == {"error": "invalid_title_id", "message": "titleId must match [A-Za-z0-9][A-Za-z0-9_-]{0,127}"}
    assert "cookies" not in response


def test_400_without_path_parameters(issuer_env: str):
    request = event()
    del request["pathParameters"]
    assert call(request)[:2][0] == 400
    assert call(request)[1]["error"] == "invalid_title_id"


@pytest.mark.parametrize("sub", [None, "", "   ", 42, ["u"]])
def test_401_without_a_subject(issuer_env: str, sub: object):
    assert call(event(sub=sub))[:2] == (
        401,
        {"error": "unauthorized", "message": "the request has no authenticated subject"},
    )


def test_401_without_an_authorizer_context(issuer_env: str):
    request = event()
    request["requestContext"] = {"http": {"method": "GET"}}
    assert call(request)[0] == 401


# --- 404 ----------------------------------------------------------------------------------------------


def test_404_for_an_unknown_title(issuer_env: str):
    assert call(event("no-such-title"))[:2] == (404, {"error": "title_not_found", "message": "no such title"})


def test_title_catalog_caches_briefly_and_boundedly():
    calls: list[str] = []
    items = {"a": catalog.item("a", formats=("hls",))}
    now = [1000.0]

    def lookup(title_id: str) -> dict[str, Any] | None:
        calls.append(title_id)
        return items.get(title_id)

    titles = TitleCatalog(lookup, ttl=10, max_entries=2, clock=lambda: now[0])
    first = titles.title("a")
    assert first is not None
    assert first.formats == ("hls",)
    assert titles.title("a") is first
    assert calls == ["a"]
    items["a"] = catalog.item("a", status="withdrawn")
    now[0] += 9.9
    assert titles.title("a") is first  # cached
    now[0] += 0.1
    withdrawn = titles.title("a")  # expired: read again
    assert withdrawn is not None
    assert withdrawn.status == "withdrawn"
    assert calls == ["a", "a"]
    for title in ("b", "c", "d"):
        assert titles.title(title) is None  # missing titles are cached too
    assert len(titles._cache) == 2
    assert list(titles._cache) == ["c", "d"]


# --- 503 ----------------------------------------------------------------------------------------------


def _ec_pem() -> str:
    return (
        ec.generate_private_key(ec.SECP256R1())
        .private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        .decode()
    )


@pytest.mark.parametrize("material", ["not a pem", "EC", "truncated"])
def test_503_when_the_key_cannot_be_used_and_nothing_leaks(
    issuer_env: str, secrets: Any, material: str, caplog: pytest.LogCaptureFixture
):
    pem = {"not a pem": "not a pem", "EC": _ec_pem(), "truncated": private_pem()[:900]}[material]
    secrets.put_secret_value(SecretId=issuer_env, SecretString=pem)
    caplog.set_level(logging.DEBUG)
    status, body, response = call(event())
    assert (status, body) == (
        503,
        {"error": "signing_key_unavailable", "message": "playback is temporarily unavailable; retry later"},
    )
    text = json.dumps(response) + caplog.text
    for line in pem.splitlines()[1:-1] or [pem]:
        assert line not in text
    assert "Traceback" not in caplog.text


def test_503_when_the_secret_does_not_exist(issuer_env: str, secrets: Any, caplog: pytest.LogCaptureFixture):
    secrets.delete_secret(SecretId=issuer_env, ForceDeleteWithoutRecovery=True)
    assert call(event())[:2] == (
        503,
        {"error": "signing_key_unavailable", "message": "playback is temporarily unavailable; retry later"},
    )
    assert "cannot read the signing key: ResourceNotFoundException" in caplog.text


def test_a_failed_key_read_is_retried_after_a_pause(
    issuer_env: str, secrets: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
):
    now = [1000.0]
    monkeypatch.setattr("signed_url.aws.monotonic", lambda: now[0])
    secrets.put_secret_value(SecretId=issuer_env, SecretString="placeholder until the operator stores the key")
    with caplog.at_level(logging.ERROR, logger="signed_url.aws"):
        assert call(event())[0] == 503

    def key_reads() -> list[logging.LogRecord]:  # each failed read of the key logs once
        return [r for r in caplog.records if r.name == "signed_url.aws"]

    assert len(key_reads()) == 1
    secrets.put_secret_value(SecretId=issuer_env, SecretString=private_pem())
    now[0] += 4.9
    with caplog.at_level(logging.ERROR, logger="signed_url.aws"):
        assert call(event())[:2] == (
            503,
            {"error": "signing_key_unavailable", "message": "playback is temporarily unavailable; retry later"},
        )
    assert len(key_reads()) == 1  # within the pause: the key was not read (nor failed) again
    now[0] += 0.1
    assert call(event())[0] == 200  # same container: the first request after the pause read the key again


def test_503_when_dynamodb_fails(issuer_env: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture):
    monkeypatch.setenv("CATALOG_TABLE", "no-such-table-anywhere")
    assert call(event())[:2] == (
        503,
        {"error": "catalog_unavailable", "message": "playback is temporarily unavailable; retry later"},
    )
    assert "GetItem hls-only failed: ResourceNotFoundException" in caplog.text


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DISTRIBUTION_DOMAIN", ""),
        ("DISTRIBUTION_DOMAIN", "https://d1.cloudfront.net"),
        ("KEY_PAIR_ID", "k lower"),
        ("SIGNING_KEY_SECRET_ARN", "my-secret"),
        ("CATALOG_TABLE", ""),
        ("URL_TTL_SECONDS", "59"),
        ("URL_TTL_SECONDS", "1h"),
        ("URL_TTL_SECONDS", "604801"),
        ("TOKEN_MIN_SECONDS", "299"),
        ("TOKEN_MIN_SECONDS", "3601"),  # more than URL_TTL_SECONDS
        ("TOKEN_MARGIN_SECONDS", "-1"),
        ("TOKEN_MARGIN_SECONDS", "14401"),
        ("CATALOG_CACHE_SECONDS", "0"),
        ("CATALOG_CACHE_SECONDS", "61"),
    ],
)
def test_503_when_not_configured(issuer_env: str, monkeypatch: pytest.MonkeyPatch, name: str, value: str):
    monkeypatch.setenv(name, value)
    assert call(event())[:2] == (503, {"error": "not_configured", "message": "playback is not configured"})


# --- 403 not_entitled: every reason, the window's edges to the second ------------------------------------


def refused(reason: str, message: str) -> tuple[int, dict[str, Any]]:
    return 403, {"error": "not_entitled", "message": message, "reason": reason}


@pytest.mark.parametrize(
    ("status", "reason", "message"),
    [
        ("withdrawn", "withdrawn", "This title has been withdrawn."),
        ("processing", "not_published", "This title is not available to watch."),
        ("failed", "not_published", "This title is not available to watch."),
    ],
)
def test_403_for_a_title_that_is_not_published(issuer_env: str, dynamodb: Any, status: str, reason: str, message: str):
    dynamodb.put_item(TableName=catalog.TABLE, Item=catalog.item("gone", status=status, formats=()))
    status_code, body, response = call(event("gone"))
    assert (status_code, body) == refused(reason, message)
    assert "cookies" not in response
    assert response["headers"]["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (parse_timestamp(FROM) - 1, refused("not_yet_available", "This title is not available yet.")),
        (parse_timestamp(FROM), None),
        (parse_timestamp(UNTIL) - 1, None),
        (parse_timestamp(UNTIL), refused("expired", "This title is no longer available.")),
    ],
    ids=["a second before availableFrom", "at availableFrom", "a second before availableUntil", "at availableUntil"],
)
def test_the_window_at_its_edges(clock: Callable[[float], None], at: int, expected: tuple[int, dict[str, Any]] | None):
    clock(at)
    status, body, _ = call(event(WINDOWED, groups="[plan-standard]"))
    if expected is None:
        assert status == 200
        assert body["expiresAt"] <= parse_timestamp(UNTIL)
    else:
        assert (status, body) == expected


@pytest.mark.parametrize("country", ["FR", None], ids=["another country", "no CloudFront country header"])
def test_403_outside_the_title_countries(clock: Callable[[float], None], country: str | None):
    clock(parse_timestamp(FROM) + 60)
    assert call(event(WINDOWED, country=country))[:2] == refused(
        "country_not_allowed", "This title is not available in your country."
    )
    assert call(event(WINDOWED, country="CA"))[0] == 200


@pytest.mark.parametrize("groups", [None, "[plan-free]", "[]", "[plan-gold viewers]"])
def test_403_above_the_viewers_plan(clock: Callable[[float], None], groups: str | None):
    clock(parse_timestamp(FROM) + 60)
    assert call(event(WINDOWED, groups=groups))[:2] == refused("plan_too_low", "Your plan does not include this title.")
    assert call(event(WINDOWED, groups="[plan-standard]"))[0] == 200


def test_a_country_or_plan_in_the_query_string_counts_for_nothing(clock: Callable[[float], None]):
    clock(parse_timestamp(FROM) + 60)
    request = event(WINDOWED, groups="[plan-free]", country="FR")
    request["queryStringParameters"] = {"country": "US", "plan": "premium"}
    request["headers"]["x-viewer-country"] = "US"
    assert call(request)[1]["reason"] == "country_not_allowed"


def test_403_for_an_item_that_breaks_the_schema(issuer_env: str, dynamodb: Any, caplog: pytest.LogCaptureFixture):
    dynamodb.put_item(TableName=catalog.TABLE, Item=catalog.item("broken", tier="gold"))
    assert call(event("broken"))[:2] == refused("not_published", "This title is not available to watch.")
    assert "catalog item broken is invalid: tier must be one of free, standard, premium" in caplog.text


def test_a_withdrawal_reaches_the_issuer_within_the_cache_time(
    issuer_env: str, dynamodb: Any, monkeypatch: pytest.MonkeyPatch
):
    now = [5000.0]
    defaults = {
        **(TitleCatalog.__init__.__kwdefaults__ or {}),
        "clock": lambda: now[0],
    }  # the container's monotonic clock
    monkeypatch.setattr(TitleCatalog.__init__, "__kwdefaults__", defaults)
    assert call(event(BOTH))[0] == 200
    dynamodb.update_item(
        TableName=catalog.TABLE,
        Key={"titleId": {"S": BOTH}},
        UpdateExpression="SET #s = :w",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":w": {"S": "withdrawn"}},
    )
    now[0] += 9.9
    assert call(event(BOTH))[0] == 200  # the container's copy, CATALOG_CACHE_SECONDS old at most
    now[0] += 0.1
    assert call(event(BOTH))[1]["reason"] == "withdrawn"


# --- token lifetime: the title's duration plus the margin, within the bounds, never past the window ---------


@pytest.mark.parametrize(
    ("duration", "lifetime"),
    [
        (60, 60 + MARGIN),
        (0.5, 1 + MARGIN),  # whole seconds, rounded up
        (2000, 2000 + MARGIN),
        (2000.2, 2001 + MARGIN),
        (TTL - MARGIN, TTL),
        (TTL - MARGIN + 1, TTL),  # capped at URL_TTL_SECONDS
        (10_000, TTL),
        (None, TTL),  # no duration: the longest
    ],
)
def test_the_token_lives_for_the_title_plus_a_margin(
    issuer_env: str, dynamodb: Any, clock: Callable[[float], None], duration: float | None, lifetime: int
):
    dynamodb.put_item(TableName=catalog.TABLE, Item=catalog.item("timed", duration=duration))
    clock(1_800_000_000)
    status, body, _ = call(event("timed"))
    assert status == 200
    assert body["expiresAt"] - 1_800_000_000 == lifetime
    policy = cloudfront_b64decode(query(body["hls"])["Policy"]).decode()
    assert f'"AWS:EpochTime":{body["expiresAt"]}' in policy


def test_the_shortest_lifetime_applies_when_the_margin_is_small(
    issuer_env: str, dynamodb: Any, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("TOKEN_MARGIN_SECONDS", "0")
    dynamodb.put_item(TableName=catalog.TABLE, Item=catalog.item("short", duration=30))
    signed_url.handler._issuer.get()._clock = lambda: 1_800_000_000
    assert call(event("short"))[1]["expiresAt"] == 1_800_000_000 + MIN_TTL


def test_the_token_ends_with_the_window(clock: Callable[[float], None]):
    clock(parse_timestamp(UNTIL) - 100)
    body = call(event(WINDOWED, groups="[plan-standard]"))[1]
    assert body["expiresAt"] == parse_timestamp(UNTIL)
