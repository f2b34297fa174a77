"""The key service's request handling, free of AWS: ``GET /vod/{titleId}/keys/{keyId}`` -> the 16-byte HLS content
key, and ``POST /vod/{titleId}/keys/clearkey`` -> a W3C Clear Key licence for the title's DASH (``cenc``) key.

Contract (``docs/api.md``, "Key service"). CloudFront sends a request here only after it checked
the viewer's signed URL or signed cookies against the key group (the key URI sits inside the
title, ``/vod/<titleId>/keys/<keyId>``, so the viewer's one token covers it, and the manifest
rewriter tokenizes it like every other URI of the title); this function is reachable only through
CloudFront (Function URL with AWS_IAM auth, origin access control). It then checks, as the issuer
would before signing, what CloudFront cannot:

1. the path (``bad_path``) and the token as the rewriter reads it (query, else the three signed
   cookies; ``missing_token``, ``duplicate_token``, ``malformed_token``);
2. the token's title is the path's (403 ``token_scope_mismatch``) and it has not expired
   (403 ``token_expired``), so a stale or borrowed token never gets a key even if it reached here;
3. the title exists (404 ``not_found``) and is available now in the viewer's country
   (``CloudFront-Viewer-Country``): 403 ``not_entitled`` with the issuer's reason, from
   ``lambda/entitlement`` (withdrawn, outside its window, country not allowed). The plan was
   checked by the issuer when it signed the token; the token's lifetime bounds that decision;
4. the title is protected with built-in keys and this key ID is one of its keys of the
   endpoint's scheme (404 ``not_found`` otherwise: a key ID of another title is unknown here,
   the GET releases only HLS AES-128 keys and the licence only DASH ``cenc`` keys).

GET answers 200, ``application/octet-stream``, the 16 bytes. The Clear Key licence (EME
``org.w3.clearkey``) takes the CDM's licence request, ``{"kids": [base64url KID, ...],
"type": "temporary"}`` (at most ``MAX_BODY`` bytes and ``MAX_KIDS`` KIDs; 400 ``bad_body``,
``too_many_kids``, ``bad_kid``, ``unsupported_session_type``), checked after the token, and
answers 200 ``application/json`` ``{"keys": [{"kty": "oct", "kid", "k"}], "type": "temporary"}``
only if every KID is one of this title's DASH keys (404 ``not_found`` otherwise). Both are
``Cache-Control: no-store``. Every error is JSON ``{"error", "message"}`` and ``no-store``;
405 ``method_not_allowed``; 503 ``key_store_unavailable`` / ``catalog_unavailable``. Nothing
here logs a key or a token.
"""

from __future__ import annotations

import base64
import json
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cloudfront_token.policy import TITLE_ID, TokenError, cloudfront_b64decode, viewer_token
from entitlement.rules import MESSAGES, Title, available, country_from_headers
from showrunner_common.content_keys import CENC_SCHEME, CLEARKEY, HLS_SCHEME, KEY_BYTES
from showrunner_common.responses import error, json_response

LOGGER = logging.getLogger(__name__)

_PATH = re.compile(rf"/vod/(?P<title>{TITLE_ID.pattern})/keys/(?P<key>[0-9a-f]{{32}}|{CLEARKEY})")
_MAX_PATH = 256
BUILT_IN = "aes-128"
NO_STORE = "no-store"
MAX_BODY = 1024  # a licence request for a handful of KIDs is ~100 bytes
MAX_KIDS = 4  # one DASH key per title; room for a CDM that asks for a few at once
_B64URL_KID = re.compile(r"[A-Za-z0-9_-]{22}")  # 16 bytes, base64url without padding (EME's JWK rules)


@dataclass(frozen=True)
class StoredKey:
    key: bytes = field(repr=False)
    scheme: str  # HLS_SCHEME or CENC_SCHEME


class StoreUnavailableError(Exception):
    """The catalog or the key store could not be read; ``code`` is the documented error."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def _expires_at(policy: str) -> int | None:
    """``DateLessThan`` of the token's (already validated, single-statement) policy, or None."""
    try:
        statement = json.loads(cloudfront_b64decode(policy))["Statement"][0]
        value = statement["Condition"]["DateLessThan"]["AWS:EpochTime"]
    except (ValueError, KeyError, IndexError, TypeError):
        return None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def key_response(key: bytes) -> dict[str, Any]:
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/octet-stream", "Cache-Control": NO_STORE},
        "body": base64.b64encode(key).decode("ascii"),
        "isBase64Encoded": True,
    }


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def licence_response(keys: Mapping[str, bytes]) -> dict[str, Any]:
    """The Clear Key licence: a JSON Web Key set, ``kid`` and ``k`` base64url without padding."""
    jwks = [{"kty": "oct", "kid": _b64url(bytes.fromhex(kid)), "k": _b64url(key)} for kid, key in keys.items()]
    return json_response(200, {"keys": jwks, "type": "temporary"})


class BadLicenceRequestError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def licence_request(event: Mapping[str, Any]) -> list[str]:
    """The KIDs (32 lowercase hex digits each, distinct, in order) a Clear Key licence request asks for."""
    body = event.get("body") or ""
    if not isinstance(body, str) or len(body) > 2 * MAX_BODY:  # bounded before any decoding (base64: 4/3)
        raise BadLicenceRequestError(
            "bad_body", f"the body must be the CDM's JSON licence request, at most {MAX_BODY} bytes"
        )
    try:
        raw = base64.b64decode(body, validate=True) if event.get("isBase64Encoded") else body.encode("utf-8")
    except ValueError:
        raise BadLicenceRequestError("bad_body", "the body is not valid base64") from None
    if len(raw) > MAX_BODY:
        raise BadLicenceRequestError("bad_body", f"the licence request is larger than {MAX_BODY} bytes")
    try:
        request = json.loads(raw)
    except ValueError:
        raise BadLicenceRequestError("bad_body", "the licence request is not JSON") from None
    if not isinstance(request, dict) or not isinstance(request.get("kids"), list) or not request["kids"]:
        raise BadLicenceRequestError("bad_body", 'the licence request must be {"kids": [...], "type": "temporary"}')
    if request.get("type", "temporary") != "temporary":
        raise BadLicenceRequestError("unsupported_session_type", "only temporary sessions get a licence")
    if len(request["kids"]) > MAX_KIDS:
        raise BadLicenceRequestError("too_many_kids", f"at most {MAX_KIDS} KIDs per licence request")
    kids: list[str] = []
    for kid in request["kids"]:
        if not isinstance(kid, str) or not _B64URL_KID.fullmatch(kid):
            raise BadLicenceRequestError("bad_kid", "every KID is 16 bytes in base64url without padding")
        value = base64.urlsafe_b64decode(kid + "==").hex()
        if value not in kids:
            kids.append(value)
    return kids


class KeyService:
    def __init__(
        self,
        *,
        titles: Callable[[str], Title | None],
        keys: Callable[[str, str], StoredKey | None],
        clock: Callable[[], float],
    ) -> None:
        """``titles(title_id)``: the catalog's title or None; ``keys(title_id, key_id)``: the stored key or None.
        Either may raise ``StoreUnavailableError``."""
        self._titles = titles
        self._keys = keys
        self._clock = clock

    def handle(self, event: Mapping[str, Any]) -> dict[str, Any]:
        method = (event.get("requestContext") or {}).get("http", {}).get("method", "GET")
        path = event.get("rawPath")
        match = _PATH.fullmatch(path) if isinstance(path, str) and len(path) <= _MAX_PATH else None
        licence = match is not None and match["key"] == CLEARKEY
        if method not in (("POST",) if licence else ("GET", "HEAD")):
            return error(405, "method_not_allowed", "POST for the Clear Key licence, GET or HEAD for a key")
        if match is None:
            return error(
                400,
                "bad_path",
                f"the path must be /vod/<titleId>/keys/<keyId> (32 lowercase hex digits) or .../keys/{CLEARKEY}",
            )
        title_id = match["title"]
        try:
            token, _ = viewer_token(event)
            scope = token.scope()
        except TokenError as exc:
            return error(400, exc.code, str(exc))
        if scope.title_id != title_id:
            return error(403, "token_scope_mismatch", "the token is for another title")
        now = self._clock()
        expires_at = _expires_at(token.policy)
        if expires_at is None or now >= expires_at:
            return error(403, "token_expired", "the token has expired; ask GET /playback/{titleId} again")
        try:
            key_ids = licence_request(event) if licence else [match["key"]]
        except BadLicenceRequestError as exc:
            return error(400, exc.code, str(exc))
        scheme = CENC_SCHEME if licence else HLS_SCHEME
        try:
            title = self._titles(title_id)
            if title is None:
                return error(404, "not_found", "no such key")
            reason = available(title, country_from_headers(event.get("headers")), now)
            if reason is not None:
                return error(403, "not_entitled", MESSAGES[reason], reason=reason)
            released: dict[str, bytes] = {}
            for key_id in key_ids:
                stored = self._keys(title_id, key_id) if title.protection == BUILT_IN else None
                if stored is None or stored.scheme != scheme:
                    return error(404, "not_found", "no such key")
                if len(stored.key) != KEY_BYTES:
                    LOGGER.error("content key of %s/%s is not %d bytes", title_id, key_id, KEY_BYTES)
                    return error(404, "not_found", "no such key")
                released[key_id] = stored.key
        except StoreUnavailableError as exc:
            return error(503, exc.code, "the key cannot be read right now; retry later")
        LOGGER.info("%s %s of %s released", "licence for" if licence else "key", ",".join(released), title_id)
        return licence_response(released) if licence else key_response(released[key_ids[0]])
