"""The rewriter's response: JSON size accounting, gzip only when needed, and Accept-Encoding."""

from __future__ import annotations

import base64
import gzip
import json
import random

import pytest
from manifest_rewriter.dash import rewrite_mpd
from manifest_rewriter.hls import rewrite_hls
from manifest_rewriter.scope import UriScope
from manifest_rewriter.service import (
    ENVELOPE_BYTES,
    MAX_RESPONSE_BYTES,
    accepts_gzip,
    json_length,
    manifest_response,
)

from tools.developer.samples import TITLE, media_playlist, segment_list_mpd, token

BIG = MAX_RESPONSE_BYTES // 5  # long enough for the exact count


@pytest.mark.parametrize(
    "chunk",
    [
        "#EXTINF:4.0,\nseg-00001.m4s?Policy=abc&Signature=d~e_f\n",
        '<SegmentURL media="a.m4s?x=1&amp;y=2"/>\r\n\t',
        'quote " backslash \\ bell \x07 nul \x00 backspace \b formfeed \f escape \x1b del \x7f',
        "caf\u00e9 \u2028 \U0001f3ac",
    ],
)
def test_json_length_is_what_json_dumps_writes(chunk: str):
    text = chunk * (BIG // len(chunk) + 1)
    assert json_length(text) == len(json.dumps(text))
    short = chunk * 3
    assert json_length(short) >= len(json.dumps(short))


@pytest.mark.parametrize("kind", ["m3u8", "mpd"])
def test_counting_the_escapes_in_the_stored_manifest_gives_the_rewritten_length(kind: str):
    """The rewrite inserts only the token, so the escapes of the original are those of the result."""
    viewer = token()
    scope = UriScope(viewer, viewer.scope())
    if kind == "m3u8":
        source = media_playlist(9000).replace("#EXTINF:4.0,", '#EXTINF:4.0,"q" \\ \t\x07', 50).encode()
        text = rewrite_hls(source.decode(), scope, f"/vod/{TITLE}/1080p/index.m3u8")
    else:
        source = segment_list_mpd(9000).replace(b"<SegmentList", b'<!-- "q" \\ \t -->\r\n<SegmentList', 1)
        text = rewrite_mpd(source, scope, f"/vod/{TITLE}/manifest.mpd").decode()
    assert len(text) * 6 > MAX_RESPONSE_BYTES  # long enough for the exact count
    assert json_length(text, escapes_of=source) == len(json.dumps(text)) == json_length(text)


@pytest.mark.parametrize(
    ("header", "accepted"),
    [
        ("gzip", True),
        ("br, gzip;q=0.8", True),
        ("GZIP", True),
        ("*", True),
        ("x-gzip", True),
        ("gzip;q=0", False),
        ("gzip;q=0.0, br", False),
        ("gzip;q=abc", False),
        ("br, deflate", False),
        ("identity", False),
        ("", False),
    ],
)
def test_accept_encoding(header: str, accepted: bool):
    assert accepts_gzip({"accept-encoding": header}) is accepted
    assert accepts_gzip({"Accept-Encoding": header}) is accepted


def test_a_manifest_that_fits_is_sent_as_it_is():
    text = "#EXTM3U\n" + "a" * (MAX_RESPONSE_BYTES - ENVELOPE_BYTES - 100)
    response = manifest_response(text, "application/vnd.apple.mpegurl", gzip_ok=True)
    assert response["body"] is text
    assert "Content-Encoding" not in response["headers"]


def test_a_manifest_that_does_not_fit_is_gzipped_or_refused():
    text = "seg.ts?" + "P" * 600 + "\n"
    text *= MAX_RESPONSE_BYTES // len(text) + 1
    response = manifest_response(text, "application/dash+xml", gzip_ok=True)
    assert response["statusCode"] == 200
    assert response["headers"]["Content-Encoding"] == "gzip"
    assert response["isBase64Encoded"] is True
    assert gzip.decompress(base64.b64decode(response["body"])).decode() == text
    refused = manifest_response(text, "application/dash+xml", gzip_ok=False)
    assert (refused["statusCode"], json.loads(refused["body"])["error"]) == (406, "gzip_required")


def test_a_manifest_too_large_even_gzipped():
    incompressible = base64.b64encode(random.Random(7).randbytes(5_000_000)).decode()  # gzip saves only ~25%
    response = manifest_response(incompressible, "application/vnd.apple.mpegurl", gzip_ok=True)
    assert (response["statusCode"], json.loads(response["body"])["error"]) == (413, "response_too_large")
