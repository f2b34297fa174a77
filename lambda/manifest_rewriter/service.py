"""The manifest rewriter's request handling, free of AWS: validate, fetch, rewrite, respond.

Contract (``docs/api.md``). Event: Lambda Function URL payload v2.0, called by
CloudFront with the viewer's path and query (or, for a viewer with signed
cookies and no query token, those cookies: the manifest is then served as
stored, since the cookies go with every request under the title). Response: 200 with
``application/vnd.apple.mpegurl`` or ``application/dash+xml``, never cached when it carries a
viewer's token, shareable when served as stored; errors are JSON (never cached)
``{"error", "message"}``:

* 400 ``bad_path``, ``missing_token``, ``duplicate_token``, ``malformed_token``, ``token_scope_mismatch``;
* 404 ``not_found``; 405 ``method_not_allowed``;
* 406 ``gzip_required`` (the rewritten manifest only fits Lambda's response limit gzipped);
* 413 ``manifest_too_large`` (the object, or what rewriting it could grow to) or ``response_too_large``;
* 502 ``invalid_manifest`` (not UTF-8, a malformed MPD, or a manifest using something players could use to
  send the token elsewhere: the message then says what); 503 ``storage_unavailable``.
"""

from __future__ import annotations

import base64
import gzip
import json
import logging
import re
from collections.abc import Callable, Mapping
from typing import Any

from cloudfront_token.policy import TITLE_ID, TokenError, viewer_token
from showrunner_common.responses import error

from manifest_rewriter.hls import rewrite_hls
from manifest_rewriter.scope import ManifestError, UnsafeManifestError, UriScope

LOGGER = logging.getLogger(__name__)

# A 10-hour, 9,000-segment media playlist is about 0.4 MB; a day-long one about 1 MB.
MAX_MANIFEST_BYTES = 2 * 1024 * 1024
# Refuse up front a manifest whose rewrite could grow past this (every line or tag one more token).
MAX_REWRITTEN_BYTES = 48 * 1024 * 1024
# Lambda's limit for a synchronous response, the JSON envelope included.
MAX_RESPONSE_BYTES = 6 * 1024 * 1024
ENVELOPE_BYTES = 16 * 1024

# Cache-Control of a manifest with a viewer's token in it, and of one served as stored (the same
# bytes for every viewer of the title: CloudFront, which checks each viewer's cookies before its
# cache, keeps one copy for all of them, for at most edge.manifest_max_ttl_seconds).
PER_VIEWER = "private, no-store"
SHARED = "max-age=60"

CONTENT_TYPES = {"m3u8": "application/vnd.apple.mpegurl", "mpd": "application/dash+xml"}
_SEGMENT = r"[A-Za-z0-9_~-][A-Za-z0-9_.~-]{0,254}"
_PATH = re.compile(rf"/vod/(?P<title>{TITLE_ID.pattern})/(?:{_SEGMENT}/){{0,8}}{_SEGMENT}\.(?P<kind>m3u8|mpd)")
_MAX_PATH = 1024


class ManifestNotFoundError(Exception):
    pass


class ManifestTooLargeError(Exception):
    pass


class StorageUnavailableError(Exception):
    pass


def accepts_gzip(headers: Mapping[str, str]) -> bool:
    """True when ``Accept-Encoding`` names gzip (or ``*``) with a non-zero quality."""
    header = next((value for name, value in headers.items() if name.lower() == "accept-encoding"), "")
    for item in header.split(","):
        coding, _, parameters = item.partition(";")
        if coding.strip().lower() not in ("gzip", "x-gzip", "*"):
            continue
        quality = parameters.strip()
        if not quality.startswith("q="):
            return True
        try:
            return float(quality[2:]) > 0
        except ValueError:
            return False
    return False


# What json.dumps writes as itself: printable ASCII but the quote and the backslash (it escapes DEL too).
_PLAIN = bytes(c for c in range(0x20, 0x7F) if c not in b'"\\')
_TWO_BYTE_ESCAPES = b'"\\\b\t\n\f\r'  # \" \\ \b \t \n \f \r; every other control is \u00XX


def json_length(text: str, escapes_of: bytes | None = None) -> int:
    """An upper bound of the bytes ``text`` takes as a JSON string in the response.

    Exactly what ``json.dumps`` writes (ASCII escapes: at least what the runtime writes) once the
    answer matters; below a sixth of the limit, six bytes a character. ``escapes_of``: the stored
    manifest ``text`` was rewritten from; the rewrite only inserts the token, which JSON writes as
    itself, so both need the same escapes and counting them in the (much shorter) original is enough.
    """
    if len(text) * 6 + 2 <= MAX_RESPONSE_BYTES - ENVELOPE_BYTES:
        return len(text) * 6 + 2  # it fits even if every character needed a \u escape
    if not text.isascii():
        return len(json.dumps(text))
    data = text.encode("ascii") if escapes_of is None else escapes_of
    escaped = data.translate(None, _PLAIN)  # what is left is what JSON escapes
    two_byte = sum(escaped.count(char) for char in _TWO_BYTE_ESCAPES)
    return 2 + len(text) + two_byte + 5 * (len(escaped) - two_byte)


def manifest_response(
    text: str, content_type: str, gzip_ok: bool, cache_control: str = PER_VIEWER, escapes_of: bytes | None = None
) -> dict[str, Any]:
    """200 with the manifest, gzipped only when that is what makes it fit Lambda's response limit.

    ``escapes_of``: as for ``json_length``.

    Level 3: on a 7 MB rewritten playlist it is three times faster than level 6 and no larger,
    because the repeated token is what there is to compress.
    """
    headers = {"Content-Type": content_type, "Cache-Control": cache_control, "Vary": "Accept-Encoding"}
    budget = MAX_RESPONSE_BYTES - ENVELOPE_BYTES
    if json_length(text, escapes_of) <= budget:
        return {"statusCode": 200, "headers": headers, "body": text}
    if not gzip_ok:
        return error(406, "gzip_required", "this manifest is only served gzip-encoded; send Accept-Encoding: gzip")
    encoded = base64.b64encode(gzip.compress(text.encode("utf-8"), compresslevel=3, mtime=0)).decode("ascii")
    if len(encoded) + 2 > budget:
        return error(413, "response_too_large", "the rewritten manifest exceeds the response limit even gzipped")
    return {
        "statusCode": 200,
        "headers": {**headers, "Content-Encoding": "gzip"},
        "body": encoded,
        "isBase64Encoded": True,
    }


def _rewritten_bound(kind: str, body: bytes, token_length: int) -> int:
    """How large the rewrite could grow: one more (XML-escaped) token per line or per tag and attribute."""
    slots = body.count(b"\n") + 1 if kind == "m3u8" else body.count(b"<") + body.count(b"=")
    return len(body) + slots * (token_length + 16)


def _untouched(kind: str, body: bytes, path: str, headers: Mapping[str, str]) -> dict[str, Any]:
    """The stored manifest as it is (a signed-cookie viewer), if it is UTF-8 and fits; shareable."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        LOGGER.error("invalid manifest %s: not UTF-8", path)
        return error(502, "invalid_manifest", "the stored manifest cannot be served safely")
    return manifest_response(text, CONTENT_TYPES[kind], accepts_gzip(headers), SHARED)


class ManifestService:
    def __init__(self, fetch: Callable[[str], bytes]) -> None:
        """``fetch(key)`` returns the object's bytes or raises one of the exceptions above."""
        self._fetch = fetch

    def handle(self, event: Mapping[str, Any]) -> dict[str, Any]:
        method = (event.get("requestContext") or {}).get("http", {}).get("method", "GET")
        if method not in ("GET", "HEAD"):
            return error(405, "method_not_allowed", "only GET and HEAD")
        path = event.get("rawPath")
        match = _PATH.fullmatch(path) if isinstance(path, str) and len(path) <= _MAX_PATH else None
        if match is None:
            return error(400, "bad_path", "the path must be /vod/<titleId>/….m3u8 or ….mpd")
        assert isinstance(path, str)
        try:
            token, propagate = viewer_token(event)
            scope = token.scope()
        except TokenError as exc:
            return error(400, exc.code, str(exc))
        if scope.title_id != match["title"]:
            return error(400, "token_scope_mismatch", "the token is for another title")

        kind = match["kind"]
        try:
            body = self._fetch(path[1:])
        except ManifestNotFoundError:
            return error(404, "not_found", "no such manifest")
        except ManifestTooLargeError:
            return error(413, "manifest_too_large", f"manifests larger than {MAX_MANIFEST_BYTES} bytes are refused")
        except StorageUnavailableError:
            return error(503, "storage_unavailable", "the manifest cannot be read right now; retry later")
        if not propagate:
            return _untouched(kind, body, path, event.get("headers") or {})
        if _rewritten_bound(kind, body, len(token.query)) > MAX_REWRITTEN_BYTES:
            return error(413, "manifest_too_large", "this manifest has too many URIs to rewrite")

        uris = UriScope(token, scope)
        try:
            if kind == "m3u8":
                text = rewrite_hls(body.decode("utf-8"), uris, path)
            else:
                from manifest_rewriter.dash import rewrite_mpd  # deferred: defusedxml is only needed for DASH

                text = rewrite_mpd(body, uris, path).decode("utf-8")
        except UnsafeManifestError as exc:  # our own words: the reason goes to the caller
            LOGGER.error("unsafe manifest %s: %s", path, exc)
            return error(502, "invalid_manifest", f"the stored manifest cannot be rewritten safely: {exc}")
        except (UnicodeDecodeError, ManifestError) as exc:  # may quote the manifest: logged, not returned
            LOGGER.error("invalid manifest %s: %s: %s", path, type(exc).__name__, exc)
            return error(502, "invalid_manifest", "the stored manifest cannot be rewritten safely")
        headers = event.get("headers") or {}
        return manifest_response(text, CONTENT_TYPES[kind], accepts_gzip(headers), escapes_of=body)
