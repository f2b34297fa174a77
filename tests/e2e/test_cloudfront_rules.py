"""The local edge's rules, one by one, against policies signed here with ``cryptography`` (not our signer).

Expected verdicts come from CloudFront's documentation of custom and canned
policies, written out by hand below.
"""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tests.e2e.cloudfront_rules import Refused, Request, check, resource_matches

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
KEYS = {"K2JCJMDEHXQW5F": KEY.public_key()}
DOMAIN = "d111111abcdef8.cloudfront.net"
NOW = 1_800_000_000


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode().replace("+", "-").replace("=", "_").replace("/", "~")


def signed(policy: dict[str, object], key: rsa.RSAPrivateKey = KEY) -> dict[str, str]:
    raw = json.dumps(policy, separators=(",", ":")).encode()
    signature = key.sign(raw, padding.PKCS1v15(), hashes.SHA1())
    return {"Policy": b64(raw), "Signature": b64(signature), "Key-Pair-Id": "K2JCJMDEHXQW5F"}


def policy(resource: str | None = f"https://{DOMAIN}/vod/t1/*", **condition: object) -> dict[str, object]:
    statement: dict[str, object] = {"Condition": {"DateLessThan": {"AWS:EpochTime": NOW + 60}, **condition}}
    if resource is not None:
        statement["Resource"] = resource
    return {"Statement": [statement]}


def request(
    token: dict[str, str],
    path: str = "/vod/t1/a.m4s",
    *,
    cookies: bool = False,
    ip: str = "192.0.2.10",
    extra: str = "",
) -> Request:
    query = "&".join(f"{k}={v}" for k, v in token.items())
    if cookies:
        return Request(DOMAIN, path, extra, {f"CloudFront-{k}": v for k, v in token.items()}, ip)
    return Request(DOMAIN, path, f"{extra}&{query}" if extra else query, {}, ip)


def verdict(req: Request, now: float = NOW) -> str:
    try:
        check(req, KEYS, now)
    except Refused as refused:
        return refused.reason
    return "allowed"


@pytest.mark.parametrize(
    ("resource", "url", "matches"),
    [
        ("https://d.net/vod/t1/*", "https://d.net/vod/t1/a/b.m4s?x=1", True),
        ("https://d.net/vod/t1/*", "https://d.net/vod/t10/a.m4s", False),
        ("https://d.net/vod/t?/a.m4s", "https://d.net/vod/t2/a.m4s", True),
        ("https://d.net/vod/t?/a.m4s", "https://d.net/vod/t22/a.m4s", False),
        ("https://d.net/vod/*/a.m4s", "https://d.net/vod/x/y/a.m4s", True),
        ("https://d.net/vod/t1/a.m4s", "https://d.net/vod/t1/a.m4s", True),
        ("https://d.net/vod/t1/a.m4s", "https://d.net/vod/t1/a.m4s?x=1", False),
        ("https://d.net/vod/T1/*", "https://d.net/vod/t1/a.m4s", False),  # case-sensitive
        ("https://d.net/vod/t1/a.m4s", "https://d.net/vod/t1/aXm4s", False),  # '.' is literal
        ("*", "https://other.example/anything", True),
    ],
)
def test_resource_wildcards(resource: str, url: str, matches: bool) -> None:
    assert resource_matches(resource, url) is matches


def test_valid_query_and_cookie_tokens_are_allowed() -> None:
    token = signed(policy())
    assert verdict(request(token)) == "allowed"
    assert verdict(request(token, cookies=True)) == "allowed"
    assert verdict(request(token, extra="bitrate=4500")) == "allowed"  # other parameters stay in the URL


def test_query_token_takes_precedence_over_cookies() -> None:
    good, bad = signed(policy()), signed(policy(), key=OTHER_KEY)
    mixed = Request(
        DOMAIN,
        "/vod/t1/a.m4s",
        f"Policy={bad['Policy']}",
        {f"CloudFront-{k}": v for k, v in good.items()},
        "192.0.2.10",
    )
    assert verdict(mixed) == "Key-Pair-Id or Signature missing"


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        ({}, "no signature (neither query parameters nor cookies)"),
        ({"Policy": "x"}, "Key-Pair-Id or Signature missing"),
        ({**signed(policy()), "Key-Pair-Id": "KUNKNOWN"}, "Key-Pair-Id is not in the trusted key group"),
        (signed(policy(), key=OTHER_KEY), "signature does not match the policy"),
        ({**signed(policy()), "Signature": "***"}, "malformed base64"),
        ({"Signature": "AAAA", "Key-Pair-Id": "K2JCJMDEHXQW5F"}, "neither Policy nor a numeric Expires"),
    ],
)
def test_token_faults(token: dict[str, str], reason: str) -> None:
    assert verdict(request(token)) == reason


def test_conditions() -> None:
    assert verdict(request(signed(policy())), now=NOW + 59) == "allowed"
    assert verdict(request(signed(policy())), now=NOW + 60) == "expired (DateLessThan)"
    later = signed(policy(DateGreaterThan={"AWS:EpochTime": NOW + 10}))
    assert verdict(request(later)) == "not valid yet (DateGreaterThan)"
    assert verdict(request(later), now=NOW + 10) == "allowed"
    office = signed(policy(IpAddress={"AWS:SourceIp": "192.0.2.0/24"}))
    assert verdict(request(office, ip="192.0.2.200")) == "allowed"
    assert verdict(request(office, ip="198.51.100.1")) == "the viewer's address is outside IpAddress"
    bad_cidr = signed(policy(IpAddress={"AWS:SourceIp": "not-a-cidr"}))
    assert verdict(request(bad_cidr)) == "IpAddress is not a CIDR"
    no_date = signed({"Statement": [{"Resource": f"https://{DOMAIN}/vod/t1/*", "Condition": {}}]})
    assert verdict(request(no_date)) == "policy has no DateLessThan"
    two = signed({"Statement": [policy()["Statement"][0], policy()["Statement"][0]]})  # type: ignore[index]
    assert verdict(request(two)) == "policy must have exactly one statement"


def test_resource_is_matched_against_the_distribution_url() -> None:
    token = signed(policy())
    assert verdict(request(token, "/vod/t2/a.m4s")) == "the policy's Resource does not match the URL"
    assert verdict(request(signed(policy(resource=None)), "/vod/t2/a.m4s")) == "allowed"  # no Resource: any URL
    elsewhere = signed(policy(resource="https://other.example/vod/t1/*"))
    assert verdict(request(elsewhere)) == "the policy's Resource does not match the URL"


def test_canned_policy() -> None:
    """Canned: CloudFront signs its own statement for the exact URL, expiring at ``Expires``."""
    url = f"https://{DOMAIN}/vod/t1/a.m4s"
    canned = f'{{"Statement":[{{"Resource":"{url}","Condition":{{"DateLessThan":{{"AWS:EpochTime":{NOW + 60}}}}}}}]}}'
    signature = b64(KEY.sign(canned.encode(), padding.PKCS1v15(), hashes.SHA1()))
    token = {"Expires": str(NOW + 60), "Signature": signature, "Key-Pair-Id": "K2JCJMDEHXQW5F"}
    assert verdict(request(token)) == "allowed"
    assert verdict(request(token, "/vod/t1/b.m4s")) == "signature does not match the policy"
    assert verdict(request({**token, "Expires": str(NOW + 600)})) == "signature does not match the policy"
    assert verdict(request(token), now=NOW + 60) == "expired (DateLessThan)"
