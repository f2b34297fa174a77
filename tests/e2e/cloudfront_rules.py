"""TEST DOUBLE of CloudFront's check of signed URLs and signed cookies (trusted key groups).

Written from CloudFront's documentation ("Serving private content with signed
URLs and signed cookies"), not from our signer: nothing here imports
``lambda/cloudfront_token``. The rules it applies to a request for a behavior
that trusts a key group:

* The token comes from the query string when it has any of ``Expires``,
  ``Policy``, ``Signature``, ``Key-Pair-Id``; otherwise from the cookies
  ``CloudFront-Expires``, ``CloudFront-Policy``, ``CloudFront-Signature``,
  ``CloudFront-Key-Pair-Id``. No token: 403.
* ``Key-Pair-Id`` must name a public key of the trusted key group.
* Custom policy: ``Policy`` is the policy JSON in CloudFront's base64
  (``+``->``-``, ``=``->``_``, ``/``->``~``); ``Signature`` is RSA-SHA1
  (PKCS#1 v1.5) over exactly those policy bytes, in the same base64. Canned
  policy: ``Expires`` instead of ``Policy``, and the signed policy is the canned
  statement for the request URL (CloudFront rebuilds it).
* The policy's one statement: ``Resource`` (optional; ``*`` matches any run of
  characters, ``?`` exactly one) must match the request URL, meaning
  ``https://<distribution domain><path>`` plus the query string without the
  token parameters; ``DateLessThan`` is required and the request must come
  before it; ``DateGreaterThan`` (optional) at or after it; ``IpAddress``
  (optional) ``AWS:SourceIp`` is a CIDR the viewer's address is in.

Limits (what the double does not do): one statement only (as CloudFront
custom policies), no key-group caching or propagation delay, no field-level
or origin checks; the clock is the double's own and can be moved.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

QUERY_TOKEN = ("Expires", "Policy", "Signature", "Key-Pair-Id")
COOKIE_PREFIX = "CloudFront-"


class Refused(Exception):  # noqa: N818 (a verdict, not an error of the double)
    """The request must be answered 403; ``reason`` says why (CloudFront's answer names no reason)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def cloudfront_b64decode(text: str) -> bytes:
    """CloudFront's URL-safe base64: ``-``->``+``, ``_``->``=``, ``~``->``/``."""
    standard = text.replace("-", "+").replace("_", "=").replace("~", "/")
    try:
        return base64.b64decode(standard, validate=True)
    except (binascii.Error, ValueError):
        raise Refused("malformed base64") from None


def resource_matches(resource: str, url: str) -> bool:
    """CloudFront's wildcards in a policy resource: ``*`` is any run of characters, ``?`` exactly one."""
    pattern = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in resource)
    return re.fullmatch(pattern, url, re.DOTALL) is not None


@dataclass(frozen=True)
class Request:
    """What the check needs of a viewer request."""

    domain: str  # the distribution's domain (its own or an alternate domain name)
    path: str  # as the viewer sent it, without the query
    query: str  # raw query string
    cookies: Mapping[str, str]
    source_ip: str

    def signed_url(self) -> bool:
        """True when the query string has any token parameter: then it, not the cookies, is checked."""
        return any(name in QUERY_TOKEN for name, _ in parse_qsl(self.query, keep_blank_values=True))

    def token_source(self) -> dict[str, str]:
        params = dict(parse_qsl(self.query, keep_blank_values=True))
        if self.signed_url():
            return {name: params[name] for name in QUERY_TOKEN if name in params}
        return {
            name: self.cookies[COOKIE_PREFIX + name] for name in QUERY_TOKEN if COOKIE_PREFIX + name in self.cookies
        }

    def url(self) -> str:
        """The URL a policy resource is matched against: the query string keeps everything but the token."""
        kept = [part for part in self.query.split("&") if part and part.partition("=")[0] not in QUERY_TOKEN]
        suffix = f"?{'&'.join(kept)}" if kept else ""
        return f"https://{self.domain}{self.path}{suffix}"


def _statement(policy: bytes) -> dict[str, object]:
    try:
        document = json.loads(policy)
    except (UnicodeDecodeError, ValueError):
        raise Refused("policy is not JSON") from None
    statements = document.get("Statement") if isinstance(document, dict) else None
    if not isinstance(statements, list) or len(statements) != 1 or not isinstance(statements[0], dict):
        raise Refused("policy must have exactly one statement")
    return statements[0]


def _epoch(condition: Mapping[str, object], name: str) -> int | None:
    value = condition.get(name)
    if value is None:
        return None
    epoch = value.get("AWS:EpochTime") if isinstance(value, dict) else None
    if isinstance(epoch, bool) or not isinstance(epoch, int):
        raise Refused(f"{name} is not an AWS:EpochTime integer")
    return epoch


def check(request: Request, public_keys: Mapping[str, rsa.RSAPublicKey], now: float) -> None:
    """Return if CloudFront would serve the request, raise ``Refused`` if it would answer 403."""
    token = request.token_source()
    if not token:
        raise Refused("no signature (neither query parameters nor cookies)")
    key_id = token.get("Key-Pair-Id")
    signature = token.get("Signature")
    if not key_id or not signature:
        raise Refused("Key-Pair-Id or Signature missing")
    key = public_keys.get(key_id)
    if key is None:
        raise Refused("Key-Pair-Id is not in the trusted key group")
    if "Policy" in token:
        policy = cloudfront_b64decode(token["Policy"])
    elif "Expires" in token and token["Expires"].isdigit():
        canned = {"Resource": request.url(), "Condition": {"DateLessThan": {"AWS:EpochTime": int(token["Expires"])}}}
        policy = json.dumps({"Statement": [canned]}, separators=(",", ":")).encode()
    else:
        raise Refused("neither Policy nor a numeric Expires")
    try:
        key.verify(cloudfront_b64decode(signature), policy, padding.PKCS1v15(), hashes.SHA1())
    except InvalidSignature:
        raise Refused("signature does not match the policy") from None

    statement = _statement(policy)
    resource = statement.get("Resource")
    if resource is not None and (not isinstance(resource, str) or not resource_matches(resource, request.url())):
        raise Refused("the policy's Resource does not match the URL")
    condition = statement.get("Condition")
    if not isinstance(condition, dict):
        raise Refused("policy has no Condition")
    before = _epoch(condition, "DateLessThan")
    if before is None:
        raise Refused("policy has no DateLessThan")
    if now >= before:
        raise Refused("expired (DateLessThan)")
    after = _epoch(condition, "DateGreaterThan")
    if after is not None and now < after:
        raise Refused("not valid yet (DateGreaterThan)")
    if "IpAddress" in condition:
        source = condition["IpAddress"].get("AWS:SourceIp") if isinstance(condition["IpAddress"], dict) else None
        try:
            network = ipaddress.ip_network(str(source), strict=False)
        except ValueError:
            raise Refused("IpAddress is not a CIDR") from None
        if ipaddress.ip_address(request.source_ip) not in network:
            raise Refused("the viewer's address is outside IpAddress")
