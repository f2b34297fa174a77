"""The issuer's configuration: URL_TTL_SECONDS and the signing key size, as code, config and docs state them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import signed_url.handler
from annotated_types import Ge, Le
from cloudfront_token.signer import KEY_BITS, SigningKeyError, load_signer
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from signed_url.issuer import (
    MAX_CACHE_SECONDS,
    MAX_MARGIN_SECONDS,
    MAX_TTL_SECONDS,
    MIN_TTL_SECONDS,
    ConfigurationError,
    Settings,
)

from stacks.config.catalog import CatalogConfig
from stacks.config.playback import PlaybackConfig
from stacks.names import SIGNING_KEY_BITS

ROOT = Path(__file__).resolve().parents[3]
ENV = {
    "DISTRIBUTION_DOMAIN": "d111111abcdef8.cloudfront.net",
    "KEY_PAIR_ID": "K2JCJMDEHXQW5F",
    "SIGNING_KEY_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:signing-key",
    "CATALOG_TABLE": "showrunner-dev-catalog",
    "URL_TTL_SECONDS": "21600",
    "TOKEN_MIN_SECONDS": "300",
    "TOKEN_MARGIN_SECONDS": "1800",
    "CATALOG_CACHE_SECONDS": "10",
}

REFUSED_TTLS = {
    "below the minimum": "299",
    "above the maximum": "86401",
    "a week": "604800",
    "superscript two": "\u00b2",  # str.isdigit() says yes, int() raises
    "Arabic-Indic 300": "\u0663\u0660\u0660",  # str.isdigit() says yes, int() reads 300
    "5,000 digits": "9" * 5000,  # int() refuses more than 4,300 digits
    "leading space": " 300",
    "sign": "+300",
    "exponent": "3e2",
    "empty": "",
}


@pytest.mark.parametrize("case", REFUSED_TTLS)
def test_url_ttl_outside_the_bounds_or_not_plain_digits_is_a_configuration_error(case: str):
    with pytest.raises(ConfigurationError, match="URL_TTL_SECONDS must be whole seconds"):
        Settings.from_env({**ENV, "URL_TTL_SECONDS": REFUSED_TTLS[case]})


@pytest.mark.parametrize("value", ["300", "21600", "86400", "0000300"])
def test_url_ttl_within_the_bounds_is_read(value: str):
    assert Settings.from_env({**ENV, "URL_TTL_SECONDS": value}).url_ttl_seconds == int(value)


@pytest.mark.parametrize("case", ["a week", "superscript two", "5,000 digits"])
def test_the_handler_answers_503_not_configured_never_crashes(
    aws: None, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    for name, value in {**ENV, "URL_TTL_SECONDS": REFUSED_TTLS[case]}.items():
        monkeypatch.setenv(name, value)
    event: dict[str, Any] = {
        "pathParameters": {"titleId": "title-0042"},
        "requestContext": {"authorizer": {"jwt": {"claims": {"sub": "user-1"}}}},
    }
    response = signed_url.handler.handler(event, None)
    assert (response["statusCode"], json.loads(response["body"])) == (
        503,
        {"error": "not_configured", "message": "playback is not configured"},
    )


def _bounds(model: Any, field: str) -> tuple[Any, Any]:
    metadata = model.model_fields[field].metadata
    return next(m.ge for m in metadata if isinstance(m, Ge)), next(m.le for m in metadata if isinstance(m, Le))


def test_code_config_and_docs_state_the_same_ttl_bounds():
    assert _bounds(PlaybackConfig, "url_ttl_seconds") == (MIN_TTL_SECONDS, MAX_TTL_SECONDS) == (300, 86_400)
    assert _bounds(PlaybackConfig, "token_min_seconds") == (MIN_TTL_SECONDS, MAX_TTL_SECONDS)
    assert _bounds(PlaybackConfig, "token_margin_seconds") == (0, MAX_MARGIN_SECONDS)
    assert _bounds(CatalogConfig, "cache_seconds") == (1, MAX_CACHE_SECONDS)
    api = (ROOT / "docs" / "api.md").read_text()
    assert f"`URL_TTL_SECONDS` (from `playback.url_ttl_seconds`, {MIN_TTL_SECONDS}\u2013{MAX_TTL_SECONDS:,})" in api
    assert f"{MIN_TTL_SECONDS} to {MAX_TTL_SECONDS:,}" in (ROOT / "docs" / "operations.md").read_text()


def test_only_the_key_size_cloudfront_accepts_is_loaded():
    assert KEY_BITS == SIGNING_KEY_BITS == 2048
    larger = rsa.generate_private_key(public_exponent=65537, key_size=3072).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(SigningKeyError, match="3072 bits; CloudFront accepts 2048"):
        load_signer(larger, "K2JCJMDEHXQW5F")
    api = (ROOT / "docs" / "api.md").read_text()
    assert "RSA-2048+" not in api
    assert "an unencrypted PEM RSA-2048 key" in api
