"""The manifest rewriter's handler against moto S3: every status code, gzip, the ETag cache."""

from __future__ import annotations

import base64
import gzip
import json
from typing import Any

import pytest
from cloudfront_token.policy import Token
from manifest_rewriter.handler import handler
from manifest_rewriter.service import MAX_MANIFEST_BYTES

from tests.functions.conftest import BUCKET
from tests.support.events import function_url_event
from tools.developer.samples import DASH_BILLION_LAUGHS, TITLE, media_playlist, segment_list_mpd, token

LAMBDA_RESPONSE_LIMIT = 6 * 1024 * 1024
HLS = "application/vnd.apple.mpegurl"


@pytest.fixture
def rewriter_env(monkeypatch: pytest.MonkeyPatch, s3: Any) -> Any:
    monkeypatch.setenv("CONTENT_BUCKET", BUCKET)
    return s3


def put(s3: Any, key: str, body: str | bytes) -> None:
    s3.put_object(Bucket=BUCKET, Key=key, Body=body.encode() if isinstance(body, str) else body)


def event(
    path: str = f"/vod/{TITLE}/master.m3u8",
    query: str | None = None,
    method: str = "GET",
    accept_encoding: str | None = None,
) -> dict[str, Any]:
    headers = {} if accept_encoding is None else {"accept-encoding": accept_encoding}
    return function_url_event(path, token().query if query is None else query, method=method, headers=headers)


def call(request: dict[str, Any]) -> dict[str, Any]:
    response = handler(request, None)
    assert len(json.dumps(response)) <= LAMBDA_RESPONSE_LIMIT
    return response


def error_of(response: dict[str, Any]) -> tuple[int, str]:
    assert response["headers"]["Content-Type"] == "application/json"
    return response["statusCode"], json.loads(response["body"])["error"]


# --- 200 ----------------------------------------------------------------------------------------------


def test_200_hls_master_playlist(rewriter_env: Any):
    put(rewriter_env, f"vod/{TITLE}/master.m3u8", "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\n1080p/index.m3u8\n")
    response = call(event())
    assert response["statusCode"] == 200
    assert response["headers"] == {"Content-Type": HLS, "Cache-Control": "private, no-store", "Vary": "Accept-Encoding"}
    assert response["body"] == f"#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\n1080p/index.m3u8?{token().query}\n"
    assert "isBase64Encoded" not in response


def test_200_dash_manifest_with_the_token_xml_escaped(rewriter_env: Any):
    put(rewriter_env, f"vod/{TITLE}/manifest.mpd", segment_list_mpd(2))
    response = call(event(f"/vod/{TITLE}/manifest.mpd", accept_encoding="gzip"))
    assert response["statusCode"] == 200
    assert response["headers"]["Content-Type"] == "application/dash+xml"
    escaped = token().query.replace("&", "&amp;")
    assert response["body"] == segment_list_mpd(2).decode().replace('.m4s"', f'.m4s?{escaped}"').replace(
        'init.mp4"', f'init.mp4?{escaped}"'
    )


def test_200_with_other_query_parameters_and_head(rewriter_env: Any):
    put(rewriter_env, f"vod/{TITLE}/1080p/index.m3u8", "#EXTM3U\nseg.ts\n")
    query = f"_HLS_msn=3&{token().query}&lang=en"
    for method in ("GET", "HEAD"):
        response = call(event(f"/vod/{TITLE}/1080p/index.m3u8", query, method=method))
        assert response["statusCode"] == 200
        assert response["body"] == f"#EXTM3U\nseg.ts?{token().query}\n"


def test_10_hour_playlist_fits_the_response_limit_as_it_is(rewriter_env: Any):
    put(rewriter_env, f"vod/{TITLE}/1080p/index.m3u8", media_playlist(9000))
    response = call(event(f"/vod/{TITLE}/1080p/index.m3u8"))
    assert response["statusCode"] == 200
    assert response["body"].count(token().query) == 9001  # 9,000 segments and the init segment


def test_10_hour_playlist_of_a_long_title_is_gzipped_to_fit(rewriter_env: Any):
    title = "T" + "x" * 127
    viewer = token(title=title)
    playlist = media_playlist(9000, uri="segment-{:06d}.m4s")
    put(rewriter_env, f"vod/{title}/1080p/index.m3u8", playlist)
    path = f"/vod/{title}/1080p/index.m3u8"

    refused = call(event(path, viewer.query))
    assert error_of(refused) == (406, "gzip_required")

    response = call(event(path, viewer.query, accept_encoding="br, gzip;q=0.8"))
    assert response["statusCode"] == 200
    assert response["isBase64Encoded"] is True
    assert response["headers"]["Content-Encoding"] == "gzip"
    text = gzip.decompress(base64.b64decode(response["body"])).decode()
    assert len(text) > LAMBDA_RESPONSE_LIMIT  # would not have fitted
    assert text.count(viewer.query) == 9001
    assert text.replace("?" + viewer.query, "") == playlist


@pytest.mark.parametrize("accept", ["gzip;q=0", "br", "identity", "deflate, x-gzip;q=0.0"])
def test_gzip_only_when_the_viewer_accepts_it(rewriter_env: Any, accept: str):
    title = "T" + "x" * 127
    put(rewriter_env, f"vod/{title}/i.m3u8", media_playlist(9000, uri="segment-{:06d}.m4s"))
    assert error_of(call(event(f"/vod/{title}/i.m3u8", token(title=title).query, accept_encoding=accept))) == (
        406,
        "gzip_required",
    )


def test_etag_cache_serves_the_current_object(rewriter_env: Any):
    key = f"vod/{TITLE}/master.m3u8"
    put(rewriter_env, key, "#EXTM3U\na.ts\n")
    assert call(event())["body"].startswith("#EXTM3U\na.ts?")
    assert call(event())["body"].startswith("#EXTM3U\na.ts?")  # 304 from S3, served from memory
    put(rewriter_env, key, "#EXTM3U\nb.ts\n")
    assert call(event())["body"].startswith("#EXTM3U\nb.ts?")
    rewriter_env.delete_object(Bucket=BUCKET, Key=key)
    assert error_of(call(event())) == (404, "not_found")


# --- 400 ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        f"/vod/{TITLE}/../other/master.m3u8",
        f"/vod/{TITLE}/./master.m3u8",
        f"/vod/{TITLE}/.hidden.m3u8",
        f"/vod/{TITLE}//master.m3u8",
        f"/vod/{TITLE}/master.m3u8/",
        f"/vod/{TITLE}/seg.ts",
        f"/vod/{TITLE}/master.M3U8",
        f"/vod/{TITLE}/a%2f..%2fmaster.m3u8",
        f"/vod/{TITLE}/a b.m3u8",
        f"/vod/{TITLE}*/master.m3u8",
        "/vod/master.m3u8",
        f"/other/{TITLE}/master.m3u8",
        f"/vod/{TITLE}/" + "a/" * 9 + "x.m3u8",
        f"/vod/{TITLE}/" + "a" * 1100 + ".m3u8",
        "",
    ],
)
def test_400_bad_path(rewriter_env: Any, path: str):
    assert error_of(call(event(path))) == (400, "bad_path")


def test_400_missing_path(rewriter_env: Any):
    request = event()
    del request["rawPath"]
    assert error_of(call(request)) == (400, "bad_path")


def _other_title_query() -> str:
    return token(title="another-title").query


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("", "missing_token"),
        ("Expires=1900000000&Signature=abc&Key-Pair-Id=K2JCJMDEHXQW5F", "missing_token"),
        (token().query.split("&Key-Pair-Id")[0], "missing_token"),
        (token().query + "&Signature=abc", "duplicate_token"),
        (token().query + "&" + token().query, "duplicate_token"),
        (token().query.replace("Policy=", "Policy=%%%"), "malformed_token"),
        ("Policy=bm90IGpzb24_&Signature=abc&Key-Pair-Id=K1", "malformed_token"),
        (_other_title_query(), "token_scope_mismatch"),
    ],
)
def test_400_missing_duplicated_malformed_or_foreign_token(rewriter_env: Any, query: str, code: str):
    put(rewriter_env, f"vod/{TITLE}/master.m3u8", "#EXTM3U\n")
    assert error_of(call(event(query=query))) == (400, code)


# --- 404, 405, 413, 502, 503 ----------------------------------------------------------------------------


def test_404_missing_object(rewriter_env: Any):
    assert error_of(call(event(f"/vod/{TITLE}/nothing.m3u8"))) == (404, "not_found")


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "OPTIONS"])
def test_405_other_methods(rewriter_env: Any, method: str):
    assert error_of(call(event(method=method))) == (405, "method_not_allowed")


def test_413_oversized_object(rewriter_env: Any):
    put(rewriter_env, f"vod/{TITLE}/master.m3u8", "#EXTM3U\n" + "#" * MAX_MANIFEST_BYTES)
    assert error_of(call(event())) == (413, "manifest_too_large")


def test_413_object_with_too_many_uris_to_rewrite(rewriter_env: Any):
    put(rewriter_env, f"vod/{TITLE}/master.m3u8", "a\n" * (MAX_MANIFEST_BYTES // 2 - 8))
    assert error_of(call(event())) == (413, "manifest_too_large")


@pytest.mark.parametrize(
    ("key", "body"),
    [
        ("master.m3u8", b"#EXTM3U\n\xff\xfeseg.ts\n"),
        ("manifest.mpd", DASH_BILLION_LAUGHS),
        ("manifest.mpd", b'<?xml version="1.0"?><!DOCTYPE m [<!ENTITY x SYSTEM "file:///etc/passwd">]><MPD>&x;</MPD>'),
        ("manifest.mpd", b"<MPD><Period></MPD>"),
    ],
)
def test_502_for_a_stored_manifest_that_cannot_be_rewritten_safely(rewriter_env: Any, key: str, body: bytes):
    put(rewriter_env, f"vod/{TITLE}/{key}", body)
    response = call(event(f"/vod/{TITLE}/{key}"))
    assert error_of(response) == (502, "invalid_manifest")
    assert "root:" not in response["body"]
    assert "lol" not in response["body"]


def test_503_when_storage_fails(rewriter_env: Any, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CONTENT_BUCKET", "no-such-bucket-anywhere")
    assert error_of(call(event())) == (503, "storage_unavailable")


def test_503_when_not_configured(rewriter_env: Any, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("CONTENT_BUCKET")
    assert error_of(call(event())) == (503, "not_configured")


@pytest.mark.parametrize("value", ["", "-1", "61", "5.0", " 5", "5s", "\u0665"])  # \u0665: an Arabic-Indic five
def test_503_when_the_freshness_window_is_not_whole_seconds_up_to_60(
    rewriter_env: Any, monkeypatch: pytest.MonkeyPatch, value: str
):
    put(rewriter_env, f"vod/{TITLE}/master.m3u8", "#EXTM3U\n")
    monkeypatch.setenv("MANIFEST_FRESH_SECONDS", value)
    assert error_of(call(event())) == (503, "not_configured")


def test_within_the_freshness_window_a_changed_manifest_is_not_fetched_again(
    rewriter_env: Any, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("MANIFEST_FRESH_SECONDS", "60")
    key = f"vod/{TITLE}/master.m3u8"
    put(rewriter_env, key, "#EXTM3U\na.ts\n")
    assert call(event())["body"].startswith("#EXTM3U\na.ts?")
    put(rewriter_env, key, "#EXTM3U\nb.ts\n")
    assert call(event())["body"].startswith("#EXTM3U\na.ts?")  # answered from memory: S3 was not asked


def test_the_token_is_propagated_not_resigned(rewriter_env: Any):
    put(rewriter_env, f"vod/{TITLE}/master.m3u8", "#EXTM3U\na.ts\n")
    viewer = Token(policy=token().policy, signature="AAAA", key_pair_id="K2JCJMDEHXQW5F")
    response = call(event(query=viewer.query))
    assert response["body"] == f"#EXTM3U\na.ts?{viewer.query}\n"


# --- signed cookies (no token in the query string) -----------------------------------------------------


def cookie_event(path: str = f"/vod/{TITLE}/master.m3u8", **values: str) -> dict[str, Any]:
    """No query token; the three CloudFront cookies as the manifest behavior forwards them (payload v2.0)."""
    signed = token()
    cookies = {
        "CloudFront-Policy": signed.policy,
        "CloudFront-Signature": signed.signature,
        "CloudFront-Key-Pair-Id": signed.key_pair_id,
        **values,
    }
    return function_url_event(path, cookies=[f"{name}={value}" for name, value in cookies.items() if value])


def test_signed_cookie_viewer_gets_the_manifest_as_stored(rewriter_env: Any):
    stored = "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\n1080p/index.m3u8\n"
    put(rewriter_env, f"vod/{TITLE}/master.m3u8", stored)
    put(rewriter_env, f"vod/{TITLE}/manifest.mpd", segment_list_mpd(2))
    response = call(cookie_event())
    assert (response["statusCode"], response["body"]) == (200, stored)
    # The same bytes for every viewer of the title: CloudFront may keep one copy for all of them.
    assert response["headers"]["Cache-Control"] == "max-age=60"
    response = call(cookie_event(f"/vod/{TITLE}/manifest.mpd"))
    assert (response["statusCode"], response["body"]) == (200, segment_list_mpd(2).decode())
    assert response["headers"]["Content-Type"] == "application/dash+xml"
    assert response["headers"]["Cache-Control"] == "max-age=60"


def test_a_query_token_wins_over_cookies(rewriter_env: Any):
    put(rewriter_env, f"vod/{TITLE}/master.m3u8", "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\n1080p/index.m3u8\n")
    request = cookie_event()
    request["rawQueryString"] = token().query
    response = call(request)
    assert response["body"].endswith(f"1080p/index.m3u8?{token().query}\n")
    assert response["headers"]["Cache-Control"] == "private, no-store"  # it carries this viewer's token


@pytest.mark.parametrize(
    ("cookies", "expected"),
    [
        ({"CloudFront-Policy": token("other-title").policy}, (400, "token_scope_mismatch")),
        ({"CloudFront-Signature": "not base64!"}, (400, "malformed_token")),
        ({"CloudFront-Key-Pair-Id": ""}, (400, "missing_token")),
        ({"CloudFront-Policy": "", "CloudFront-Signature": "", "CloudFront-Key-Pair-Id": ""}, (400, "missing_token")),
    ],
)
def test_bad_signed_cookies_are_refused(rewriter_env: Any, cookies: dict[str, str], expected: tuple[int, str]):
    put(rewriter_env, f"vod/{TITLE}/master.m3u8", "#EXTM3U\n")
    response = call(cookie_event(**cookies))
    assert error_of(response) == expected
    assert response["headers"]["Cache-Control"] == "no-store"  # a refusal is never shared


def test_a_repeated_cookie_is_refused(rewriter_env: Any):
    put(rewriter_env, f"vod/{TITLE}/master.m3u8", "#EXTM3U\n")
    request = cookie_event()
    request["cookies"].append(f"CloudFront-Policy={token().policy}")
    assert error_of(call(request)) == (400, "duplicate_token")


def test_a_partial_query_token_is_not_completed_from_cookies(rewriter_env: Any):
    put(rewriter_env, f"vod/{TITLE}/master.m3u8", "#EXTM3U\n")
    request = cookie_event()
    request["rawQueryString"] = f"Policy={token().policy}"
    assert error_of(call(request)) == (400, "missing_token")


def test_signed_cookie_viewer_and_a_manifest_that_is_not_utf8(rewriter_env: Any):
    put(rewriter_env, f"vod/{TITLE}/master.m3u8", b"#EXTM3U\n\xff\xfe\n")
    assert error_of(call(cookie_event())) == (502, "invalid_manifest")
