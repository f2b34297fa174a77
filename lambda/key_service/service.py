"""The key service's request handling, free of AWS: ``GET /vod/{titleId}/keys/{keyId}`` -> the 16-byte content key.

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
4. the title is protected with built-in keys and this key ID is one of its keys (404
   ``not_found`` otherwise: a key ID of another title is unknown here).

The answer: 200, ``application/octet-stream``, the 16 bytes, ``Cache-Control: no-store``. Every
error is JSON ``{"error", "message"}`` and ``no-store``; 405 ``method_not_allowed``;
503 ``key_store_unavailable`` / ``catalog_unavailable``. Nothing here logs a key or a token.
"""

from __future__ import annotations

import base64
import json
import logging
import re
from collections.abc import Callable, Mapping
from typing import Any

from cloudfront_token.policy import TITLE_ID, TokenError, cloudfront_b64decode, viewer_token
from entitlement.rules import MESSAGES, Title, available, country_from_headers
from showrunner_common.responses import error

LOGGER = logging.getLogger(__name__)

_PATH = re.compile(rf"/vod/(?P<title>{TITLE_ID.pattern})/keys/(?P<key>[0-9a-f]{{32}})")
_MAX_PATH = 256
KEY_BYTES = 16
BUILT_IN = "aes-128"
NO_STORE = "no-store"


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


class KeyService:
    def __init__(
        self,
        *,
        titles: Callable[[str], Title | None],
        keys: Callable[[str, str], bytes | None],
        clock: Callable[[], float],
    ) -> None:
        """``titles(title_id)``: the catalog's title or None; ``keys(title_id, key_id)``: its 16 bytes or None.
        Either may raise ``StoreUnavailableError``."""
        self._titles = titles
        self._keys = keys
        self._clock = clock

    def handle(self, event: Mapping[str, Any]) -> dict[str, Any]:
        method = (event.get("requestContext") or {}).get("http", {}).get("method", "GET")
        if method not in ("GET", "HEAD"):
            return error(405, "method_not_allowed", "only GET and HEAD")
        path = event.get("rawPath")
        match = _PATH.fullmatch(path) if isinstance(path, str) and len(path) <= _MAX_PATH else None
        if match is None:
            return error(400, "bad_path", "the path must be /vod/<titleId>/keys/<keyId> (32 lowercase hex digits)")
        title_id, key_id = match["title"], match["key"]
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
            title = self._titles(title_id)
            if title is None:
                return error(404, "not_found", "no such key")
            reason = available(title, country_from_headers(event.get("headers")), now)
            if reason is not None:
                return error(403, "not_entitled", MESSAGES[reason], reason=reason)
            key = self._keys(title_id, key_id) if title.protection == BUILT_IN else None
        except StoreUnavailableError as exc:
            return error(503, exc.code, "the key cannot be read right now; retry later")
        if key is None or len(key) != KEY_BYTES:
            if key is not None:
                LOGGER.error("content key of %s/%s is not %d bytes", title_id, key_id, KEY_BYTES)
            return error(404, "not_found", "no such key")
        LOGGER.info("key %s of %s released", key_id, title_id)
        return key_response(key)
