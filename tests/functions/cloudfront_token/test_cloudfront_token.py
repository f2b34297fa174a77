"""CloudFront policies, signatures, signed URLs and cookies (lambda/cloudfront_token)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest
from botocore.signers import CloudFrontSigner
from cloudfront_token.policy import (
    Scope,
    TokenError,
    cloudfront_b64decode,
    cloudfront_b64encode,
    custom_policy,
    is_title_id,
    parse_token,
    title_resource,
)
from cloudfront_token.signer import Signer, SigningKeyError, load_signer
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from tools.developer.samples import DOMAIN, EXPIRES_AT, KEY_PAIR_ID, TITLE, private_key, private_pem, signer


def _verify(signature_b64: str, message: bytes) -> None:
    """Raises InvalidSignature unless CloudFront would accept the signature with our public key."""
    signature = base64.b64decode(signature_b64.replace("-", "+").replace("_", "=").replace("~", "/"))
    private_key().public_key().verify(signature, message, padding.PKCS1v15(), hashes.SHA1())


def _query(url: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in url.split("?", 1)[1].split("&"))


# --- titleId and resource -------------------------------------------------------------------------


@pytest.mark.parametrize("title", ["a", "Title_01", "x" * 128, "9-lives", "A-b_C"])
def test_valid_title_ids(title: str):
    assert is_title_id(title)


@pytest.mark.parametrize(
    "title",
    ["", "*", "a*", "a?b", "..", "a/b", "a%2fb", "a b", "-a", "_a", "x" * 129, "tïtle", "a\n", "a.b", None, 42],
)
def test_title_ids_that_could_widen_or_move_the_grant_are_rejected(title: object):
    assert not is_title_id(title)


def test_title_resource_covers_one_title_on_one_host():
    assert title_resource(DOMAIN, TITLE) == f"https://{DOMAIN}/vod/{TITLE}/*"
    with pytest.raises(ValueError, match="titleId"):
        title_resource(DOMAIN, "a*")
    with pytest.raises(ValueError, match="DNS name"):
        title_resource("Evil.Example.COM/x", TITLE)


# --- encoding and policy ------------------------------------------------------------------------------


def test_cloudfront_base64_uses_its_own_alphabet_and_round_trips():
    data = bytes(range(256)) * 3 + b"\xfb\xff"  # produces '+', '/' and '=' in standard base64
    standard = base64.b64encode(data).decode()
    assert {"+", "/", "="} <= set(standard)
    encoded = cloudfront_b64encode(data)
    assert encoded == standard.replace("+", "-").replace("=", "_").replace("/", "~")
    assert cloudfront_b64decode(encoded) == data


@pytest.mark.parametrize("text", ["", "abc+", "ab/c", "a=b", "a b", "abc"])
def test_cloudfront_base64_rejects_other_alphabets_and_bad_padding(text: str):
    with pytest.raises(ValueError, match="CloudFront base64"):
        cloudfront_b64decode(text)


def test_custom_policy_is_the_documented_compact_json():
    assert custom_policy(f"https://{DOMAIN}/vod/{TITLE}/*", 1_767_225_600) == (
        '{"Statement":[{"Resource":"https://d111111abcdef8.cloudfront.net/vod/title-0042/*",'
        '"Condition":{"DateLessThan":{"AWS:EpochTime":1767225600}}}]}'
    )


@pytest.mark.parametrize(
    "resource",
    [
        f"https://{DOMAIN}/vod/{TITLE}/*",
        "https://example.com/a?b=c&d=e#f",
        "https://example.com/it's(1)+[2],;@!$%20",
        'https://example.com/quote"d',
        "https://example.com/back\\slash",
        "https://example.com/caf\u00e9",
        "https://example.com/tab\there",
        "https://example.com/\u2028",
    ],
)
def test_custom_policy_is_exactly_what_json_dumps_writes(resource: str):
    expected = json.dumps(
        {"Statement": [{"Resource": resource, "Condition": {"DateLessThan": {"AWS:EpochTime": EXPIRES_AT}}}]},
        separators=(",", ":"),
    )
    assert custom_policy(resource, EXPIRES_AT) == expected


@pytest.mark.parametrize("expires_at", [0, -5, True, 1.5, "1767225600"])
def test_custom_policy_needs_a_positive_integer_expiry(expires_at: object):
    with pytest.raises(ValueError, match="expires_at"):
        custom_policy("https://x.example.com/a", expires_at)  # type: ignore[arg-type]


# --- signing ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        f"https://{DOMAIN}/vod/{TITLE}/master.m3u8",
        f"https://{DOMAIN}/vod/{TITLE}/1080p/index.m3u8?lang=en",
        "https://example.com/a%20b/c.mp4",
    ],
)
def test_canned_urls_are_byte_identical_to_botocore(url: str):
    ours = signer().canned_url(url, EXPIRES_AT)
    theirs = CloudFrontSigner(KEY_PAIR_ID, signer().sign).generate_presigned_url(
        url, date_less_than=datetime.fromtimestamp(EXPIRES_AT, tz=UTC)
    )
    assert ours == theirs
    query = _query(ours)
    assert query["Expires"] == str(EXPIRES_AT)
    assert query["Key-Pair-Id"] == KEY_PAIR_ID
    _verify(query["Signature"], custom_policy(url, EXPIRES_AT).encode())


def test_custom_policy_urls_match_botocore_and_verify():
    resource = title_resource(DOMAIN, TITLE)
    url = f"https://{DOMAIN}/vod/{TITLE}/master.m3u8"
    ours = signer().custom_url(url, resource, EXPIRES_AT)
    theirs = CloudFrontSigner(KEY_PAIR_ID, signer().sign).generate_presigned_url(
        url, policy=custom_policy(resource, EXPIRES_AT)
    )
    assert ours == theirs
    query = _query(ours)
    policy = cloudfront_b64decode(query["Policy"])
    assert json.loads(policy) == {
        "Statement": [{"Resource": resource, "Condition": {"DateLessThan": {"AWS:EpochTime": EXPIRES_AT}}}]
    }
    _verify(query["Signature"], policy)


def test_signature_does_not_verify_for_another_policy():
    signed = signer().sign_custom(title_resource(DOMAIN, TITLE), EXPIRES_AT)
    other = custom_policy(title_resource(DOMAIN, "another-title"), EXPIRES_AT).encode()
    with pytest.raises(InvalidSignature):
        _verify(signed.signature, other)


def test_signed_cookies_carry_the_same_policy_and_signature_as_the_url():
    signed = signer().sign_custom(title_resource(DOMAIN, TITLE), EXPIRES_AT)
    cookies = signed.cookies()
    assert list(cookies) == ["CloudFront-Policy", "CloudFront-Signature", "CloudFront-Key-Pair-Id"]
    query = _query(signed.url(f"https://{DOMAIN}/vod/{TITLE}/manifest.mpd"))
    assert cookies == {
        "CloudFront-Policy": query["Policy"],
        "CloudFront-Signature": query["Signature"],
        "CloudFront-Key-Pair-Id": KEY_PAIR_ID,
    }
    _verify(cookies["CloudFront-Signature"], cloudfront_b64decode(cookies["CloudFront-Policy"]))


def test_canned_policy_refuses_a_wildcard():
    with pytest.raises(ValueError, match="custom policy"):
        signer().canned_url(f"https://{DOMAIN}/vod/{TITLE}/*", EXPIRES_AT)


# --- keys ---------------------------------------------------------------------------------------------


def test_pkcs1_and_pkcs8_pems_load_and_sign_the_same():
    pkcs1 = private_key().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    )
    message = b"policy"
    assert load_signer(pkcs1, KEY_PAIR_ID).sign(message) == load_signer(private_pem(), KEY_PAIR_ID).sign(message)


def test_bad_keys_are_refused_without_echoing_them():
    pem = private_pem()
    encrypted = private_key().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"passphrase"),
    )
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    elliptic = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    truncated = pem[: len(pem) // 2]
    cases: dict[str, tuple[str | bytes, str]] = {
        "garbage": ("not a key", "not an unencrypted PEM"),
        "truncated": (truncated, "not an unencrypted PEM"),
        "encrypted": (encrypted, "not an unencrypted PEM"),
        "1024-bit": (small, "1024 bits"),
        "EC": (elliptic, "not an RSA private key"),
    }
    for name, (material, message) in cases.items():
        with pytest.raises(SigningKeyError, match=message) as error:
            load_signer(material, KEY_PAIR_ID)
        text = str(error.value)
        assert "PRIVATE KEY" not in text, name
        # No chained exception: a traceback cannot show the library's view of the key either.
        assert error.value.__cause__ is None, name
        assert error.value.__context__ is None or error.value.__suppress_context__, name
        body = pem.splitlines()[1]
        assert body not in text, name


def test_key_pair_id_is_validated():
    with pytest.raises(SigningKeyError, match="key-pair ID"):
        Signer(private_key(), "k2 lowercase&x")


# --- tokens as viewers present them -------------------------------------------------------------------


def test_parse_token_ignores_other_parameters_and_decodes_percent_escapes():
    signed = signer().sign_custom(title_resource(DOMAIN, TITLE), EXPIRES_AT)
    policy = signed.policy.replace("_", "%5F")
    signature = signed.signature.replace("-", "%2D").replace("~", "%7e")
    assert "%" in policy + signature
    token = parse_token(f"_HLS_msn=5&Policy={policy}&Signature={signature}&Key-Pair-Id={KEY_PAIR_ID}&lang=en")
    assert token.query == signed.query
    assert token.scope() == Scope(host=DOMAIN, title_id=TITLE)


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("", "missing_token"),
        ("Policy=abc&Signature=def", "missing_token"),
        ("Expires=1767225600&Signature=abc&Key-Pair-Id=K1", "missing_token"),
        ("Policy=a&Policy=b&Signature=c&Key-Pair-Id=K1", "duplicate_token"),
        ("Policy=a&Signature=c&Key-Pair-Id=K1&Key-Pair-Id=K2", "duplicate_token"),
        ("Policy=a+b&Signature=c&Key-Pair-Id=K1", "malformed_token"),
        ("Policy=a&Signature=c&Key-Pair-Id=k1%22", "malformed_token"),
        ("Policy=&Signature=c&Key-Pair-Id=K1", "malformed_token"),
        (f"Policy={'A' * 5000}&Signature=c&Key-Pair-Id=K1", "malformed_token"),
        ("Policy=%E2%80%A8&Signature=c&Key-Pair-Id=K1", "malformed_token"),
    ],
)
def test_parse_token_errors(query: str, code: str):
    with pytest.raises(TokenError) as error:
        parse_token(query)
    assert error.value.code == code


@pytest.mark.parametrize(
    "policy",
    [
        b"not json",
        b"[]",
        b'{"Statement":[]}',
        b'{"Statement":[{"Resource":"https://d1.example.net/vod/t/*"},{"Resource":"https://x.example/*"}]}',
        b'{"Statement":[{"Resource":"https://d1.example.net/vod/*"}]}',
        b'{"Statement":[{"Resource":"https://d1.example.net/*"}]}',
        b'{"Statement":[{"Resource":"https://d1.example.net/vod/t/seg.ts"}]}',
        b'{"Statement":[{"Resource":"http://d1.example.net/vod/t/*"}]}',
        b'{"Statement":[{"Resource":"https://d1.example.net/vod/a*b/*"}]}',
        b'{"Statement":[{"Resource":"https://evil.example@d1.example.net/vod/t/*"}]}',
        b"\xff\xfe",
    ],
)
def test_token_scope_needs_exactly_one_title_scoped_resource(policy: bytes):
    token = parse_token(f"Policy={cloudfront_b64encode(policy)}&Signature=abc&Key-Pair-Id=K1")
    with pytest.raises(TokenError) as error:
        token.scope()
    assert error.value.code == "malformed_token"
