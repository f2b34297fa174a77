"""The signed-URL issuer's handler against moto: every status code of the contract."""

from __future__ import annotations

import base64
import json
import logging
import time
from typing import Any

import pytest
from cloudfront_token.policy import cloudfront_b64decode
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from signed_url.handler import handler
from signed_url.issuer import TitleCatalog

from tests.functions.conftest import BUCKET
from tests.support.events import playback_event
from tools.developer.samples import DOMAIN, KEY_PAIR_ID, private_key, private_pem

TTL = 3600
HLS_ONLY, DASH_ONLY, BOTH = "hls-only", "Dash_Only", "both-01"


@pytest.fixture
def secret_arn(secrets: Any) -> str:
    arn: str = secrets.create_secret(Name="showrunner/test/signing-key", SecretString=private_pem())["ARN"]
    return arn


@pytest.fixture
def issuer_env(monkeypatch: pytest.MonkeyPatch, s3: Any, secret_arn: str) -> str:
    for key in (f"vod/{HLS_ONLY}/master.m3u8", f"vod/{DASH_ONLY}/manifest.mpd"):
        s3.put_object(Bucket=BUCKET, Key=key, Body=b"x")
    s3.put_object(Bucket=BUCKET, Key=f"vod/{BOTH}/master.m3u8", Body=b"x")
    s3.put_object(Bucket=BUCKET, Key=f"vod/{BOTH}/manifest.mpd", Body=b"x")
    env = {
        "DISTRIBUTION_DOMAIN": DOMAIN,
        "KEY_PAIR_ID": KEY_PAIR_ID,
        "SIGNING_KEY_SECRET_ARN": secret_arn,
        "CONTENT_BUCKET": BUCKET,
        "URL_TTL_SECONDS": str(TTL),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return secret_arn


def event(title_id: object = HLS_ONLY, sub: object = "user-123") -> dict[str, Any]:
    return playback_event(title_id, sub)


def call(request: dict[str, Any]) -> tuple[int, dict[str, Any], dict[str, Any]]:
    response = handler(request, None)
    json.dumps(response)  # what the runtime does with it
    return response["statusCode"], json.loads(response["body"]), response


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
    assert before + TTL <= body["expiresAt"] <= after + TTL

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
    present = {"vod/a/master.m3u8"}
    now = [1000.0]

    def exists(key: str) -> bool:
        calls.append(key)
        return key in present

    catalog = TitleCatalog(exists, ttl=30, max_entries=2, clock=lambda: now[0])
    assert catalog.formats("a") == ("hls",)
    assert catalog.formats("a") == ("hls",)
    assert calls == ["vod/a/master.m3u8", "vod/a/manifest.mpd"]
    present.add("vod/a/manifest.mpd")
    now[0] += 29
    assert catalog.formats("a") == ("hls",)  # cached
    now[0] += 2
    assert catalog.formats("a") == ("hls", "dash")  # expired, asked again
    for title in ("b", "c", "d"):
        assert catalog.formats(title) == ()
    assert len(catalog._cache) == 2
    assert list(catalog._cache) == ["c", "d"]


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


def test_503_when_s3_fails_for_another_reason(issuer_env: str, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CONTENT_BUCKET", "no-such-bucket-anywhere")
    assert call(event())[:2] == (
        503,
        {"error": "catalog_unavailable", "message": "playback is temporarily unavailable; retry later"},
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DISTRIBUTION_DOMAIN", ""),
        ("DISTRIBUTION_DOMAIN", "https://d1.cloudfront.net"),
        ("KEY_PAIR_ID", "k lower"),
        ("SIGNING_KEY_SECRET_ARN", "my-secret"),
        ("CONTENT_BUCKET", ""),
        ("URL_TTL_SECONDS", "59"),
        ("URL_TTL_SECONDS", "1h"),
        ("URL_TTL_SECONDS", "604801"),
    ],
)
def test_503_when_not_configured(issuer_env: str, monkeypatch: pytest.MonkeyPatch, name: str, value: str):
    monkeypatch.setenv(name, value)
    assert call(event())[:2] == (503, {"error": "not_configured", "message": "playback is not configured"})
