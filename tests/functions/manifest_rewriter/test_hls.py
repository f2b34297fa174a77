"""HLS rewriting: which URIs get the token, and that every other byte survives."""

from __future__ import annotations

import pytest
from cloudfront_token.policy import Scope, Token
from manifest_rewriter.hls import rewrite_hls
from manifest_rewriter.scope import UriScope

HOST = "d111111abcdef8.cloudfront.net"
TITLE = "t1"
TOKEN = "Policy=P&Signature=S&Key-Pair-Id=K1"
SCOPE = UriScope(Token(policy="P", signature="S", key_pair_id="K1"), Scope(host=HOST, title_id=TITLE))
MASTER = f"/vod/{TITLE}/master.m3u8"
MEDIA = f"/vod/{TITLE}/1080p/index.m3u8"


def rewrite(text: str, path: str = MASTER) -> str:
    return rewrite_hls(text, SCOPE, path)


def test_media_playlist_segments_and_map_get_the_token_and_nothing_else_changes():
    source = (
        "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:4\n#EXT-X-MEDIA-SEQUENCE:12\n"
        '#EXT-X-MAP:URI="init.mp4",BYTERANGE="720@0"\n'
        "#EXTINF:4.0,\nseg-1.m4s\n#EXT-X-DISCONTINUITY\n#EXTINF:3.5,title\nsub/seg-2.m4s\n#EXT-X-ENDLIST\n"
    )
    assert rewrite(source, MEDIA) == (
        "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:4\n#EXT-X-MEDIA-SEQUENCE:12\n"
        f'#EXT-X-MAP:URI="init.mp4?{TOKEN}",BYTERANGE="720@0"\n'
        f"#EXTINF:4.0,\nseg-1.m4s?{TOKEN}\n#EXT-X-DISCONTINUITY\n#EXTINF:3.5,title\nsub/seg-2.m4s?{TOKEN}\n"
        "#EXT-X-ENDLIST\n"
    )


def test_master_playlist_variants_renditions_and_iframes_but_not_the_drm_key_server():
    source = (
        "#EXTM3U\n"
        '#EXT-X-SESSION-KEY:METHOD=SAMPLE-AES,URI="skd://keys.example.com/t1",KEYFORMAT="com.apple.streamingkeydelivery"\n'
        '#EXT-X-SESSION-DATA:DATA-ID="com.example.title",URI="meta/title.json"\n'
        '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="a",NAME="English",URI="audio/en.m3u8"\n'
        '#EXT-X-MEDIA:TYPE=CLOSED-CAPTIONS,GROUP-ID="cc",NAME="CC1",INSTREAM-ID="CC1"\n'
        '#EXT-X-STREAM-INF:BANDWIDTH=800000,CODECS="avc1.4d401f,mp4a.40.2",AUDIO="a"\n'
        "360p/index.m3u8\n"
        '#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=80000,URI="360p/iframes.m3u8"\n'
    )
    assert rewrite(source) == (
        "#EXTM3U\n"
        '#EXT-X-SESSION-KEY:METHOD=SAMPLE-AES,URI="skd://keys.example.com/t1",KEYFORMAT="com.apple.streamingkeydelivery"\n'
        f'#EXT-X-SESSION-DATA:DATA-ID="com.example.title",URI="meta/title.json?{TOKEN}"\n'
        f'#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="a",NAME="English",URI="audio/en.m3u8?{TOKEN}"\n'
        '#EXT-X-MEDIA:TYPE=CLOSED-CAPTIONS,GROUP-ID="cc",NAME="CC1",INSTREAM-ID="CC1"\n'
        '#EXT-X-STREAM-INF:BANDWIDTH=800000,CODECS="avc1.4d401f,mp4a.40.2",AUDIO="a"\n'
        f"360p/index.m3u8?{TOKEN}\n"
        f'#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=80000,URI="360p/iframes.m3u8?{TOKEN}"\n'
    )


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        # on our host and inside the title
        (f"https://{HOST}/vod/{TITLE}/a.ts", f"https://{HOST}/vod/{TITLE}/a.ts?{TOKEN}"),
        (f"HTTPS://{HOST.upper()}/vod/{TITLE}/a.ts", f"HTTPS://{HOST.upper()}/vod/{TITLE}/a.ts?{TOKEN}"),
        (f"https://{HOST}:443/vod/{TITLE}/a.ts", f"https://{HOST}:443/vod/{TITLE}/a.ts?{TOKEN}"),
        (f"//{HOST}/vod/{TITLE}/a.ts", f"//{HOST}/vod/{TITLE}/a.ts?{TOKEN}"),
        (f"/vod/{TITLE}/a.ts", f"/vod/{TITLE}/a.ts?{TOKEN}"),
        (f"/vod/other/../{TITLE}/a.ts", f"/vod/other/../{TITLE}/a.ts?{TOKEN}"),
        ("./a.ts", f"./a.ts?{TOKEN}"),
        ("a%20b.ts", f"a%20b.ts?{TOKEN}"),
        # another host, scheme, title, or an escape from the title
        ("https://cdn.example.com/vod/t1/a.ts", None),
        (f"http://{HOST}/vod/{TITLE}/a.ts", None),
        (f"https://{HOST}:8443/vod/{TITLE}/a.ts", None),
        (f"https://user@{HOST}/vod/{TITLE}/a.ts", None),
        (f"https://{HOST}.evil.example/vod/{TITLE}/a.ts", None),
        (f"https://{HOST}/vod/{TITLE}2/a.ts", None),
        (f"https://{HOST}/vod/other/a.ts", None),
        (f"/vod/{TITLE}/../other/a.ts", None),
        ("../other/a.ts", None),
        ("../../../../etc/passwd", None),
        (f"/vod/{TITLE}", None),
        ("%2e%2e/other/a.ts", None),
        ("a%2Fb.ts", None),
        ("..\\other\\a.ts", None),
        ("data:text/plain,hello", None),
        ("skd://keys.example.com/1", None),
        ("javascript:alert(1)", None),
    ],
)
def test_uri_lines_in_and_out_of_scope(uri: str, expected: str | None):
    source = f"#EXTM3U\n#EXTINF:4,\n{uri}\n"
    assert rewrite(source) == f"#EXTM3U\n#EXTINF:4,\n{expected or uri}\n"
    tagged = f'#EXTM3U\n#EXT-X-KEY:METHOD=AES-128,URI="{uri}",IV=0x1\n'
    assert rewrite(tagged) == f'#EXTM3U\n#EXT-X-KEY:METHOD=AES-128,URI="{expected or uri}",IV=0x1\n'


def test_dot_segments_resolve_against_the_playlist_directory():
    source = "#EXTM3U\n../audio/a.ts\n../../t1/x.ts\n../../../vod/t1/y.ts\n../../other/z.ts\n"
    assert rewrite(source, MEDIA) == (
        f"#EXTM3U\n../audio/a.ts?{TOKEN}\n../../t1/x.ts?{TOKEN}\n../../../vod/t1/y.ts?{TOKEN}\n../../other/z.ts\n"
    )


def test_queries_fragments_and_stale_tokens():
    source = (
        "#EXTM3U\n"
        "a.ts?lang=en\n"
        "b.ts?Policy=old&lang=en&Signature=old&Key-Pair-Id=OLD\n"
        "c.ts#t=10\n"
        "d.ts?\n"
        "e.ts?x=1&&y=2\n"
    )
    assert rewrite(source) == (
        f"#EXTM3U\na.ts?lang=en&{TOKEN}\nb.ts?lang=en&{TOKEN}\nc.ts?{TOKEN}#t=10\nd.ts?{TOKEN}\ne.ts?x=1&&y=2&{TOKEN}\n"
    )


def test_rewriting_twice_is_rewriting_once():
    source = f'#EXTM3U\n#EXT-X-MAP:URI="init.mp4"\nseg.ts\nhttps://{HOST}/vod/{TITLE}/x.ts?a=1\nhttps://cdn.example.com/y.ts\n'
    once = rewrite(source)
    assert rewrite(once) == once
    assert once.count(TOKEN) == 3


def test_crlf_and_bom_are_kept():
    source = '\ufeff#EXTM3U\r\n#EXTINF:4,\r\nseg-1.ts\r\n#EXT-X-MAP:URI="init.mp4"\r\n  seg-2.ts \r\n'
    assert rewrite(source) == (
        f"\ufeff#EXTM3U\r\n#EXTINF:4,\r\nseg-1.ts?{TOKEN}\r\n"
        f'#EXT-X-MAP:URI="init.mp4?{TOKEN}"\r\n  seg-2.ts?{TOKEN} \r\n'
    )


def test_a_bom_before_a_uri_line_stays_in_front():
    assert rewrite("\ufeffseg.ts") == f"\ufeffseg.ts?{TOKEN}"


def test_low_latency_tags():
    source = (
        "#EXTM3U\n#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=1.0\n#EXT-X-PART-INF:PART-TARGET=0.33\n"
        '#EXT-X-PART:DURATION=0.33,URI="part-1.0.m4s",INDEPENDENT=YES\n'
        '#EXT-X-PRELOAD-HINT:TYPE=PART,URI="part-1.1.m4s"\n'
        '#EXT-X-RENDITION-REPORT:URI="../720p/index.m3u8",LAST-MSN=1,LAST-PART=0\n'
        '#EXT-X-RENDITION-REPORT:URI="../../other/index.m3u8",LAST-MSN=1\n'
    )
    assert rewrite(source, MEDIA) == (
        "#EXTM3U\n#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=1.0\n#EXT-X-PART-INF:PART-TARGET=0.33\n"
        f'#EXT-X-PART:DURATION=0.33,URI="part-1.0.m4s?{TOKEN}",INDEPENDENT=YES\n'
        f'#EXT-X-PRELOAD-HINT:TYPE=PART,URI="part-1.1.m4s?{TOKEN}"\n'
        f'#EXT-X-RENDITION-REPORT:URI="../720p/index.m3u8?{TOKEN}",LAST-MSN=1,LAST-PART=0\n'
        '#EXT-X-RENDITION-REPORT:URI="../../other/index.m3u8",LAST-MSN=1\n'
    )


@pytest.mark.parametrize(
    "line",
    [
        '#EXT-X-DATERANGE:ID="ad",START-DATE="2026-01-01T00:00:00Z",X-ASSET-URI="ad.m3u8"',
        "#EXT-X-KEY:METHOD=NONE",
        "#EXT-X-KEY:METHOD=AES-128,URI=key.bin",  # unquoted: not a valid URI attribute
        '#EXT-X-KEY:METHOD=AES-128,URI="key.bin"garbage',  # malformed attribute list
        '#EXT-X-KEY:METHOD=AES-128,XURI="key.bin"',
        "#EXT-X-MEDIA-SEQUENCE:1",
        "# a comment with seg.ts in it",
        "  #EXTINF:4,",
        "",
        "   ",
        '#EXT-X-MAP:URI="init mp4"',
        "seg one.ts",
    ],
)
def test_lines_that_are_left_alone(line: str):
    source = f"#EXTM3U\n{line}\n"
    assert rewrite(source) == source


def test_an_attribute_list_with_two_uris_gets_both():
    line = '#EXT-X-MAP:URI="a.mp4",URI="b.mp4"'
    assert rewrite(line) == f'#EXT-X-MAP:URI="a.mp4?{TOKEN}",URI="b.mp4?{TOKEN}"'


def test_playlist_without_uris_is_byte_identical():
    source = "#EXTM3U\n#EXT-X-VERSION:3\n\n#EXT-X-ENDLIST"
    assert rewrite(source) == source


@pytest.mark.parametrize(
    ("path", "uri"),
    [(f"/vod/{TITLE}/hls_360p.m3u8", "keys/" + "ab" * 16), (MEDIA, "../keys/" + "ab" * 16)],
    ids=["pipeline", "sample"],
)
def test_the_key_service_uri_of_an_aes128_title_gets_the_token(path: str, uri: str):
    """The key URI the pipeline and the sample write (relative, inside the title: /vod/<titleId>/keys/<keyId>)."""
    source = f'#EXTM3U\n#EXT-X-KEY:METHOD=AES-128,URI="{uri}",IV=0x00000000000000000000000000000001\nseg-1.ts\n'
    assert rewrite(source, path) == (
        f'#EXTM3U\n#EXT-X-KEY:METHOD=AES-128,URI="{uri}?{TOKEN}",IV=0x00000000000000000000000000000001\n'
        f"seg-1.ts?{TOKEN}\n"
    )
