"""Property-based tests of the manifest rewriter (hypothesis).

Generated manifests mix URIs whose scope is known by construction with tags,
comments and blank lines. For them:

* every in-scope URI carries the token exactly once;
* removing the inserted tokens gives back the input byte for byte (so
  out-of-scope URIs and every non-URI byte are unchanged);
* rewriting twice equals rewriting once.

And for arbitrary input: no exception but the documented ``ManifestError``.
"""

from __future__ import annotations

from cloudfront_token.policy import Scope, Token
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from manifest_rewriter.dash import ManifestError, rewrite_mpd
from manifest_rewriter.hls import URI_TAGS, rewrite_hls
from manifest_rewriter.scope import UriScope

HOST = "d111111abcdef8.cloudfront.net"
TITLE = "t1"
SCOPE = UriScope(Token(policy="P0l-_~", signature="S1g-_~", key_pair_id="K1"), Scope(host=HOST, title_id=TITLE))
TOKEN = SCOPE.query
XML_TOKEN = TOKEN.replace("&", "&amp;")
PLAYLIST = f"/vod/{TITLE}/video/index.m3u8"
MPD = f"/vod/{TITLE}/video/manifest.mpd"

PROPERTY_SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

name = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_-]{0,10}", fullmatch=True)
path = st.lists(name, min_size=1, max_size=3).map("/".join)
extension = st.sampled_from([".ts", ".m4s", ".m3u8", ".mp4", ".vtt", ""])


@st.composite
def in_scope_uri(draw: st.DrawFn) -> str:
    """A URI that resolves inside /vod/t1/ from /vod/t1/video/."""
    tail = draw(path) + draw(extension)
    return draw(
        st.sampled_from(
            [
                tail,
                f"./{tail}",
                f"../{tail}",
                f"../../{TITLE}/{tail}",
                f"/vod/{TITLE}/{tail}",
                f"/vod/x/../{TITLE}/{tail}",
                f"https://{HOST}/vod/{TITLE}/{tail}",
                f"https://{HOST.upper()}/vod/{TITLE}/{tail}",
                f"//{HOST}/vod/{TITLE}/{tail}",
            ]
        )
    )


@st.composite
def out_of_scope_uri(draw: st.DrawFn) -> str:
    tail = draw(path) + draw(extension)
    other = draw(name.filter(lambda n: n != TITLE))
    return draw(
        st.sampled_from(
            [
                f"https://cdn.example.com/vod/{TITLE}/{tail}",
                f"http://{HOST}/vod/{TITLE}/{tail}",
                f"https://{HOST}/vod/{other}/{tail}",
                f"../../{other}/{tail}",
                f"../../../../{tail}",
                f"/vod/{TITLE}/../{other}/{tail}",
                f"/{tail}",
                f"%2e%2e/%2e%2e/{other}/{tail}",
                f"skd://keys.example.com/{tail}",
                f"data:text/plain,{tail}",
            ]
        )
    )


uri = st.one_of(in_scope_uri().map(lambda u: (u, True)), out_of_scope_uri().map(lambda u: (u, False)))
plain_line = st.sampled_from(
    ["#EXTINF:4.000,", "#EXT-X-VERSION:7", "#EXT-X-DISCONTINUITY", "# comment seg.ts", "", "#EXT-X-MEDIA-SEQUENCE:3"]
)


@st.composite
def playlist(draw: st.DrawFn) -> tuple[str, int]:
    """(playlist, number of in-scope URIs)."""
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    lines = ["#EXTM3U"]
    in_scope = 0
    for _ in range(draw(st.integers(0, 25))):
        kind = draw(st.sampled_from(["plain", "uri", "tag"]))
        if kind == "plain":
            lines.append(draw(plain_line))
            continue
        value, inside = draw(uri)
        in_scope += inside
        if kind == "uri":
            lines.append(value)
        else:
            tag = draw(st.sampled_from(URI_TAGS))
            lines.append(f'#{tag}:TYPE=X,URI="{value}",ID=7')
    return newline.join(lines) + draw(st.sampled_from(["", newline])), in_scope


@given(playlist())
@PROPERTY_SETTINGS
def test_hls_every_in_scope_uri_gets_the_token_once_and_nothing_else_changes(case: tuple[str, int]):
    source, in_scope = case
    result = rewrite_hls(source, SCOPE, PLAYLIST)
    assert result.count(TOKEN) == in_scope
    assert result.replace("?" + TOKEN, "") == source


@given(playlist())
@PROPERTY_SETTINGS
def test_hls_rewriting_is_idempotent(case: tuple[str, int]):
    once = rewrite_hls(case[0], SCOPE, PLAYLIST)
    assert rewrite_hls(once, SCOPE, PLAYLIST) == once


@given(st.text())
@PROPERTY_SETTINGS
def test_hls_arbitrary_text_never_raises_and_is_idempotent(text: str):
    once = rewrite_hls(text, SCOPE, PLAYLIST)
    assert rewrite_hls(once, SCOPE, PLAYLIST) == once
    assert once.replace("?" + TOKEN, "").replace("&" + TOKEN, "").count("\n") == text.count("\n")


@st.composite
def mpd(draw: st.DrawFn) -> tuple[bytes, int]:
    """(MPD, number of in-scope URIs), URIs in SegmentURL, SegmentTemplate and Initialization attributes."""
    elements = []
    in_scope = 0
    for _ in range(draw(st.integers(0, 20))):
        value, inside = draw(uri)
        in_scope += inside
        template = draw(
            st.sampled_from(
                [
                    '<SegmentURL media="{}"/>',
                    "<SegmentURL mediaRange='0-9' media='{}' />",
                    '<Initialization sourceURL="{}"/>',
                    '<SegmentTemplate startNumber="1" media="{}"/>',
                    '<RepresentationIndex sourceURL="{}"/>',
                ]
            )
        )
        elements.append(template.format(value))
    if draw(st.booleans()):
        elements.append("<!-- comment -->")
    body = "\n      ".join(elements)
    document = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<MPD xmlns="urn:mpeg:dash:schema:mpd:2011">\n'
        f'  <Period><AdaptationSet><Representation id="r">\n      {body}\n'
        "  </Representation></AdaptationSet></Period>\n"
        "</MPD>\n"
    )
    return document.encode(), in_scope


@given(mpd())
@PROPERTY_SETTINGS
def test_dash_every_in_scope_uri_gets_the_token_once_and_nothing_else_changes(case: tuple[bytes, int]):
    source, in_scope = case
    result = rewrite_mpd(source, SCOPE, MPD).decode()
    assert result.count(XML_TOKEN) == in_scope
    assert result.replace("?" + XML_TOKEN, "").encode() == source


@given(mpd())
@PROPERTY_SETTINGS
def test_dash_rewriting_is_idempotent(case: tuple[bytes, int]):
    once = rewrite_mpd(case[0], SCOPE, MPD)
    assert rewrite_mpd(once, SCOPE, MPD) == once


xmlish = st.text(alphabet="<>/=\"'& ;#!?[]-SegmentURLBaseMPDmedia:.\n\t", max_size=300)


@given(st.one_of(st.binary(max_size=400), xmlish.map(str.encode)))
@PROPERTY_SETTINGS
def test_dash_arbitrary_bytes_raise_nothing_but_manifest_error(data: bytes):
    try:
        result = rewrite_mpd(data, SCOPE, MPD)
    except ManifestError:
        return
    assert rewrite_mpd(result, SCOPE, MPD) == result


def test_the_generators_label_scope_as_the_contract_does():
    """Anchor the generators by hand: an in-scope and an out-of-scope example of the trickier kinds."""
    assert rewrite_hls(f"../../{TITLE}/a.ts\n../../../a.ts\n/vod/x/../{TITLE}/b", SCOPE, PLAYLIST) == (
        f"../../{TITLE}/a.ts?{TOKEN}\n../../../a.ts\n/vod/x/../{TITLE}/b?{TOKEN}"
    )
