"""CloudFront policies and tokens: building, encoding and parsing. Pure standard library.

The content layout and the token shape are contracts (``/work/shared/DESIGN.md`` §2,
``docs/api.md``):

* a title's objects live under ``vod/<titleId>/``, and a ``titleId`` matches
  ``[A-Za-z0-9][A-Za-z0-9_-]{0,127}``, so it can neither widen (``*``, ``?``)
  nor move (``/``, ``.``, ``%``, space) a grant;
* the issuer signs one *custom policy* per play, whose only resource is
  ``https://<domain>/vod/<titleId>/*``;
* CloudFront's base64 is standard base64 with ``+`` -> ``-``, ``=`` -> ``_``
  and ``/`` -> ``~``, so the values need no percent-encoding in a URL.

The manifest rewriter imports only this module (never ``signer``), so it stays
free of ``cryptography`` and cheap to import.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

TITLE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,127}")
# A distribution's own domain (d111111abcdef8.cloudfront.net) or a custom one; lowercase, no port.
DOMAIN = re.compile(r"(?=.{1,253}\Z)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")
KEY_PAIR_ID = re.compile(r"[A-Z0-9]{1,128}")
_CLOUDFRONT_B64 = re.compile(r"[A-Za-z0-9~_-]+")

# The three query parameters (and cookie suffixes) of a custom-policy token, in CloudFront's order.
TOKEN_PARAMS = ("Policy", "Signature", "Key-Pair-Id")
# The signed cookies carrying the same three values, each named "CloudFront-" + its parameter.
COOKIE_PREFIX = "CloudFront-"
TOKEN_COOKIES = {param: COOKIE_PREFIX + param for param in TOKEN_PARAMS}

# Upper bounds for what a viewer may hand us. Our policies are about 180 characters of base64 and
# an RSA-2048 signature is 344; these leave room for longer domains and keys without letting a
# hostile query make us decode megabytes.
MAX_POLICY_CHARS = 4096
MAX_SIGNATURE_CHARS = 1024

_COMPACT_JSON = json.JSONEncoder(separators=(",", ":"))
# URL characters JSON never escapes: a resource made only of these is written as it is.
_JSON_PLAIN = re.compile(r"[A-Za-z0-9._~:/?#\[\]@!$&'()*+,;=%-]*")
_TO_CLOUDFRONT = bytes.maketrans(b"+=/", b"-_~")
_FROM_CLOUDFRONT = bytes.maketrans(b"-_~", b"+=/")


class TokenError(ValueError):
    """A viewer token is missing, repeated or malformed. ``code`` is the documented error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def is_title_id(value: object) -> bool:
    return isinstance(value, str) and TITLE_ID.fullmatch(value) is not None


def title_resource(domain: str, title_id: str) -> str:
    """The one resource a play may reach: every object of one title on one distribution."""
    if DOMAIN.fullmatch(domain) is None:
        raise ValueError(f"not a lowercase DNS name: {domain!r}")
    if not is_title_id(title_id):
        raise ValueError(f"not a valid titleId: {title_id!r}")
    return f"https://{domain}/vod/{title_id}/*"


def cloudfront_b64encode(data: bytes) -> str:
    """CloudFront's URL-safe base64 variant (``+``->``-``, ``=``->``_``, ``/``->``~``)."""
    return base64.b64encode(data).translate(_TO_CLOUDFRONT).decode("ascii")


def cloudfront_b64decode(text: str) -> bytes:
    """Inverse of ``cloudfront_b64encode``; raises ``ValueError`` on anything else."""
    if _CLOUDFRONT_B64.fullmatch(text) is None:
        raise ValueError("not CloudFront base64")
    try:
        return base64.b64decode(text.encode("ascii").translate(_FROM_CLOUDFRONT), validate=True)
    except binascii.Error as exc:
        raise ValueError("not CloudFront base64") from exc


def custom_policy(resource: str, expires_at: int) -> str:
    """A custom policy with one statement, serialized compactly as CloudFront (and botocore) expect.

    The key order (``Resource`` then ``Condition``) and separators match botocore's
    ``CloudFrontSigner.build_policy``, so a canned policy built here is byte-identical.
    """
    if isinstance(expires_at, bool) or not isinstance(expires_at, int) or expires_at <= 0:
        raise ValueError(f"expires_at must be a positive epoch second, got {expires_at!r}")
    if _JSON_PLAIN.fullmatch(resource):  # the hot path: ~0.5 µs instead of ~4 µs, the same bytes
        condition = f'{{"DateLessThan":{{"AWS:EpochTime":{expires_at}}}}}'
        return f'{{"Statement":[{{"Resource":"{resource}","Condition":{condition}}}]}}'
    statement = {"Resource": resource, "Condition": {"DateLessThan": {"AWS:EpochTime": expires_at}}}
    return _COMPACT_JSON.encode({"Statement": [statement]})


@dataclass(frozen=True)
class Scope:
    """Where a token is valid: one title on one host, taken from a verified custom policy."""

    host: str
    title_id: str

    @property
    def prefix(self) -> str:
        return f"/vod/{self.title_id}/"


@dataclass(frozen=True)
class Token:
    """A custom-policy token as a viewer presents it, normalized and validated."""

    policy: str
    signature: str
    key_pair_id: str

    @property
    def query(self) -> str:
        """``Policy=…&Signature=…&Key-Pair-Id=…``: every character is URL- and XML-attribute-safe but ``&``."""
        return f"Policy={self.policy}&Signature={self.signature}&Key-Pair-Id={self.key_pair_id}"

    def scope(self) -> Scope:
        """The host and title of the policy's single resource; ``TokenError`` if it is not title-scoped."""
        try:
            document = json.loads(cloudfront_b64decode(self.policy))
        except ValueError:  # also json.JSONDecodeError and UnicodeDecodeError
            raise TokenError("malformed_token", "Policy is not a base64 JSON policy document") from None
        statements = document.get("Statement") if isinstance(document, dict) else None
        if not isinstance(statements, list) or len(statements) != 1 or not isinstance(statements[0], dict):
            raise TokenError("malformed_token", "Policy must have exactly one statement")
        resource = statements[0].get("Resource")
        match = _RESOURCE.fullmatch(resource) if isinstance(resource, str) else None
        if match is None:
            raise TokenError("malformed_token", "Policy resource is not https://<domain>/vod/<titleId>/*")
        return Scope(host=match["host"], title_id=match["title"])


_RESOURCE = re.compile(rf"https://(?P<host>{DOMAIN.pattern})/vod/(?P<title>{TITLE_ID.pattern})/\*")
_VALUE_RULES = {
    "Policy": (_CLOUDFRONT_B64, MAX_POLICY_CHARS),
    "Signature": (_CLOUDFRONT_B64, MAX_SIGNATURE_CHARS),
    "Key-Pair-Id": (KEY_PAIR_ID, 128),
}


def parse_token(raw_query: str) -> Token:
    """The token in a raw query string such as ``Policy=…&Signature=…&Key-Pair-Id=…``.

    * Each of the three parameters must appear exactly once; other parameters are ignored
      (they are not propagated).
    * Values may be percent-encoded (some clients encode ``~`` as ``%7E``); they are decoded,
      then must be CloudFront base64 (Policy, Signature) or an uppercase key ID.
    * Raises ``TokenError`` with code ``missing_token``, ``duplicate_token`` or ``malformed_token``.
    """
    found: dict[str, str] = {}
    for part in raw_query.split("&"):
        name, _, value = part.partition("=")
        if name not in _VALUE_RULES:
            continue
        if name in found:
            raise TokenError("duplicate_token", f"{name} appears more than once")
        found[name] = unquote(value) if "%" in value else value
    return token_of(found)


def token_of(values: Mapping[str, str], source: str = "parameter") -> Token:
    """The token made of exactly these three values (keyed by parameter name), each checked as it is.

    ``source`` names them in errors ("parameter", "cookie"). ``TokenError`` ``malformed_token`` for a
    value that is not CloudFront base64 / an uppercase key ID (so nothing can hide in it: no ``&``,
    ``=``, ``%`` or space), then ``missing_token`` for an absent one.
    """
    for name, value in values.items():
        pattern, limit = _VALUE_RULES[name]
        if len(value) > limit or pattern.fullmatch(value) is None:
            label = TOKEN_COOKIES[name] if source == "cookie" else name
            raise TokenError("malformed_token", f"{source} {label} is malformed")
    missing = [name for name in TOKEN_PARAMS if name not in values]
    if missing:
        labels = [TOKEN_COOKIES[name] if source == "cookie" else name for name in missing]
        raise TokenError("missing_token", f"missing {', '.join(labels)}")
    return Token(policy=values["Policy"], signature=values["Signature"], key_pair_id=values["Key-Pair-Id"])


_TOKEN_PARAMS = frozenset(TOKEN_PARAMS)
_COOKIE_PARAMS = {cookie: param for param, cookie in TOKEN_COOKIES.items()}


def viewer_token(event: Mapping[str, Any]) -> tuple[Token, bool]:
    """The viewer's token, and whether to propagate it into the manifest.

    From the query string when it has one (signed URLs: propagated). Otherwise from the signed
    cookies ``CloudFront-Policy``, ``CloudFront-Signature`` and ``CloudFront-Key-Pair-Id``, which
    the manifest behavior forwards: the player sends those cookies with every request under the
    title, so the manifest is served as stored (not propagated).

    The token is assembled from exactly those three cookies, each present once, each value taken as
    it is (no percent-decoding, nothing split off it): a ``Key-Pair-Id`` smuggled into another
    cookie's value makes that value malformed, never a parameter.
    """
    query = event.get("rawQueryString") or ""
    cookies = event.get("cookies")
    if not isinstance(cookies, list) or not _TOKEN_PARAMS.isdisjoint(p.partition("=")[0] for p in query.split("&")):
        return parse_token(query), True  # as CloudFront: any token parameter in the query makes it a signed URL
    found: dict[str, str] = {}
    for cookie in cookies:
        name, _, value = cookie.partition("=") if isinstance(cookie, str) else ("", "", "")
        param = _COOKIE_PARAMS.get(name.strip(" \t"))  # RFC 6265: optional whitespace around the name only
        if param is None:
            continue
        if param in found:
            raise TokenError("duplicate_token", f"cookie {TOKEN_COOKIES[param]} appears more than once")
        found[param] = value
    if not found:
        raise TokenError("missing_token", "no Policy, Signature and Key-Pair-Id in the query string or cookies")
    return token_of(found, source="cookie"), False
