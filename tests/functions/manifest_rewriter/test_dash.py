"""DASH rewriting: URIs in scope through the BaseURL chain, byte preservation, and hostile XML."""

from __future__ import annotations

from pathlib import Path

import pytest
from cloudfront_token.policy import Scope, Token
from manifest_rewriter.dash import ManifestError, rewrite_mpd
from manifest_rewriter.scope import UriScope

from tools.developer.samples import DASH_BILLION_LAUGHS

HOST = "d111111abcdef8.cloudfront.net"
TITLE = "t1"
TOKEN = "Policy=P&amp;Signature=S&amp;Key-Pair-Id=K1"  # as it must appear in XML
SCOPE = UriScope(Token(policy="P", signature="S", key_pair_id="K1"), Scope(host=HOST, title_id=TITLE))
MPD_PATH = f"/vod/{TITLE}/manifest.mpd"
HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static">\n'


def rewrite(text: str, path: str = MPD_PATH) -> str:
    return rewrite_mpd(text.encode(), SCOPE, path).decode()


def mpd(body: str) -> str:
    return f"{HEAD}{body}\n</MPD>\n"


def test_segment_list():
    source = mpd(
        '<Period><AdaptationSet><Representation id="v" bandwidth="1">\n'
        '  <SegmentList duration="4">\n'
        '    <Initialization sourceURL="video/init.mp4" range="0-100"/>\n'
        '    <SegmentURL media="video/seg-1.m4s"/>\n'
        '    <SegmentURL media="video/seg-2.m4s" mediaRange="0-99" index="video/seg-2.sidx"/>\n'
        "    <SegmentURL media='video/seg-3.m4s' />\n"
        '    <SegmentURL mediaRange="100-199"/>\n'
        "  </SegmentList>\n"
        "</Representation></AdaptationSet></Period>"
    )
    assert rewrite(source) == mpd(
        '<Period><AdaptationSet><Representation id="v" bandwidth="1">\n'
        '  <SegmentList duration="4">\n'
        f'    <Initialization sourceURL="video/init.mp4?{TOKEN}" range="0-100"/>\n'
        f'    <SegmentURL media="video/seg-1.m4s?{TOKEN}"/>\n'
        f'    <SegmentURL media="video/seg-2.m4s?{TOKEN}" mediaRange="0-99" index="video/seg-2.sidx?{TOKEN}"/>\n'
        f"    <SegmentURL media='video/seg-3.m4s?{TOKEN}' />\n"
        '    <SegmentURL mediaRange="100-199"/>\n'
        "  </SegmentList>\n"
        "</Representation></AdaptationSet></Period>"
    )


def test_segment_template_and_representation_index():
    source = mpd(
        "<Period><AdaptationSet>\n"
        '  <SegmentTemplate media="$RepresentationID$/seg-$Number%05d$.m4s"'
        ' initialization="$RepresentationID$/init.mp4"'
        ' index="$RepresentationID$/index.sidx" startNumber="1" timescale="1000"/>\n'
        '  <Representation id="v1"><SegmentBase><RepresentationIndex sourceURL="v1/index.sidx"/></SegmentBase>'
        "</Representation>\n"
        "</AdaptationSet></Period>"
    )
    assert rewrite(source) == mpd(
        "<Period><AdaptationSet>\n"
        f'  <SegmentTemplate media="$RepresentationID$/seg-$Number%05d$.m4s?{TOKEN}"'
        f' initialization="$RepresentationID$/init.mp4?{TOKEN}"'
        f' index="$RepresentationID$/index.sidx?{TOKEN}" startNumber="1" timescale="1000"/>\n'
        f'  <Representation id="v1"><SegmentBase><RepresentationIndex sourceURL="v1/index.sidx?{TOKEN}"/></SegmentBase>'
        "</Representation>\n"
        "</AdaptationSet></Period>"
    )


def test_base_url_chain_decides_scope():
    source = mpd(
        f"<BaseURL>https://{HOST}/vod/{TITLE}/</BaseURL>\n"
        "<Period id='ours'><AdaptationSet><Representation id='a'>\n"
        "  <BaseURL> audio/ </BaseURL>\n"
        '  <SegmentList><SegmentURL media="seg-1.m4s"/></SegmentList>\n'
        "</Representation></AdaptationSet></Period>\n"
        "<Period id='theirs'><BaseURL>https://cdn.example.com/vod/t1/</BaseURL>\n"
        '  <AdaptationSet><SegmentTemplate media="seg-$Number$.m4s"/></AdaptationSet>\n'
        "</Period>\n"
        "<Period id='escape'><BaseURL>../other/</BaseURL>\n"
        '  <AdaptationSet><SegmentList><SegmentURL media="seg-1.m4s"/></SegmentList></AdaptationSet>\n'
        "</Period>"
    )
    assert rewrite(source) == mpd(
        f"<BaseURL>https://{HOST}/vod/{TITLE}/?{TOKEN}</BaseURL>\n"
        "<Period id='ours'><AdaptationSet><Representation id='a'>\n"
        f"  <BaseURL> audio/?{TOKEN} </BaseURL>\n"
        f'  <SegmentList><SegmentURL media="seg-1.m4s?{TOKEN}"/></SegmentList>\n'
        "</Representation></AdaptationSet></Period>\n"
        "<Period id='theirs'><BaseURL>https://cdn.example.com/vod/t1/</BaseURL>\n"
        '  <AdaptationSet><SegmentTemplate media="seg-$Number$.m4s"/></AdaptationSet>\n'
        "</Period>\n"
        "<Period id='escape'><BaseURL>../other/</BaseURL>\n"
        '  <AdaptationSet><SegmentList><SegmentURL media="seg-1.m4s"/></SegmentList></AdaptationSet>\n'
        "</Period>"
    )


def test_every_alternative_base_url_must_be_in_scope():
    source = mpd(
        "<Period><BaseURL>a/</BaseURL><BaseURL>https://cdn.example.com/b/</BaseURL>\n"
        '<AdaptationSet><SegmentList><SegmentURL media="seg.m4s"/></SegmentList></AdaptationSet></Period>'
    )
    assert rewrite(source) == mpd(
        f"<Period><BaseURL>a/?{TOKEN}</BaseURL><BaseURL>https://cdn.example.com/b/</BaseURL>\n"
        '<AdaptationSet><SegmentList><SegmentURL media="seg.m4s"/></SegmentList></AdaptationSet></Period>'
    )


def test_a_base_url_after_the_segments_still_applies():
    source = mpd(
        '<Period><AdaptationSet><SegmentList><SegmentURL media="seg.m4s"/></SegmentList>\n'
        "<BaseURL>https://cdn.example.com/</BaseURL></AdaptationSet></Period>"
    )
    assert rewrite(source) == source


def test_absolute_urls_escaping_queries_and_fragments():
    source = mpd(
        "<Period><AdaptationSet><SegmentList>\n"
        f'<SegmentURL media="https://{HOST}/vod/{TITLE}/a.m4s"/>\n'
        f'<SegmentURL media="https://{HOST}/vod/other/a.m4s"/>\n'
        '<SegmentURL media="b.m4s?x=1&amp;y=2"/>\n'
        '<SegmentURL media="c.m4s?Policy=old&amp;z=1"/>\n'
        '<SegmentURL media="d.m4s#frag"/>\n'
        '<SegmentURL media="&#101;.m4s"/>\n'
        "</SegmentList></AdaptationSet></Period>"
    )
    assert rewrite(source) == mpd(
        "<Period><AdaptationSet><SegmentList>\n"
        f'<SegmentURL media="https://{HOST}/vod/{TITLE}/a.m4s?{TOKEN}"/>\n'
        f'<SegmentURL media="https://{HOST}/vod/other/a.m4s"/>\n'
        f'<SegmentURL media="b.m4s?x=1&amp;y=2&amp;{TOKEN}"/>\n'
        f'<SegmentURL media="c.m4s?z=1&amp;{TOKEN}"/>\n'
        f'<SegmentURL media="d.m4s?{TOKEN}#frag"/>\n'
        f'<SegmentURL media="e.m4s?{TOKEN}"/>\n'
        "</SegmentList></AdaptationSet></Period>"
    )


def test_comments_cdata_and_processing_instructions_are_not_rewritten_but_real_elements_are():
    source = mpd(
        '<!-- <SegmentURL media="commented.m4s"/> -->\n'
        "<?showrunner note?>\n"
        "<Period><AdaptationSet><Representation>"
        "<BaseURL><![CDATA[video/]]></BaseURL>\n"
        '<SegmentList><SegmentURL media="seg.m4s"/></SegmentList>\n'
        '<SupplementalProperty value="&lt;SegmentURL media=&quot;x.m4s&quot;/&gt;"/>\n'
        "</Representation></AdaptationSet></Period>"
    )
    assert rewrite(source) == mpd(
        '<!-- <SegmentURL media="commented.m4s"/> -->\n'
        "<?showrunner note?>\n"
        "<Period><AdaptationSet><Representation>"
        f"<BaseURL>video/?{TOKEN}</BaseURL>\n"
        f'<SegmentList><SegmentURL media="seg.m4s?{TOKEN}"/></SegmentList>\n'
        '<SupplementalProperty value="&lt;SegmentURL media=&quot;x.m4s&quot;/&gt;"/>\n'
        "</Representation></AdaptationSet></Period>"
    )


def test_namespace_prefixed_elements():
    source = (
        '<?xml version="1.0"?>\n<mpd:MPD xmlns:mpd="urn:mpeg:dash:schema:mpd:2011"><mpd:Period><mpd:AdaptationSet>'
        '<mpd:SegmentList><mpd:SegmentURL media="seg.m4s"/></mpd:SegmentList>'
        "</mpd:AdaptationSet></mpd:Period></mpd:MPD>"
    )
    assert rewrite(source) == source.replace("seg.m4s", f"seg.m4s?{TOKEN}")


def test_without_uris_the_document_is_byte_identical_and_rewriting_twice_is_rewriting_once():
    plain = mpd("<Period><AdaptationSet mimeType='video/mp4'/></Period>")
    assert rewrite(plain) == plain
    source = mpd(
        '<BaseURL>video/</BaseURL><Period><AdaptationSet><SegmentTemplate media="s-$Number$.m4s"/>'
        '<SegmentList><SegmentURL media="a.m4s"/></SegmentList></AdaptationSet></Period>'
    )
    once = rewrite(source)
    assert once.count(TOKEN) == 3
    assert rewrite(once) == once


def test_outside_the_title_nothing_relative_is_in_scope():
    source = mpd(
        '<Period><AdaptationSet><SegmentList><SegmentURL media="seg.m4s"/></SegmentList></AdaptationSet></Period>'
    )
    assert rewrite(source, "/vod/other/manifest.mpd") == source


def test_billion_laughs_is_refused():
    with pytest.raises(ManifestError, match="DTDForbidden"):
        rewrite_mpd(DASH_BILLION_LAUGHS, SCOPE, MPD_PATH)


def test_xxe_is_refused_and_nothing_is_read(tmp_path: Path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    for document in (
        f'<?xml version="1.0"?><!DOCTYPE MPD [<!ENTITY xxe SYSTEM "file://{secret}">]><MPD><BaseURL>&xxe;</BaseURL></MPD>',
        f'<?xml version="1.0"?><!DOCTYPE MPD SYSTEM "file://{secret}"><MPD/>',
        f'<?xml version="1.0"?><!DOCTYPE MPD [<!ENTITY % p SYSTEM "file://{secret}"> %p;]><MPD/>',
    ):
        with pytest.raises(ManifestError) as error:
            rewrite(document)
        assert "TOP-SECRET-CONTENT" not in str(error.value)


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        (b"<MPD><Period></MPD>", "mismatched tag"),
        (b"<MPD>&undefined;</MPD>", "undefined entity"),
        (b"", "no element found"),
        (b"not xml at all", "syntax error"),
        (b'<?xml version="1.0" encoding="ISO-8859-1"?><MPD><BaseURL>caf\xe9/</BaseURL></MPD>', "not UTF-8"),
        ('<?xml version="1.0" encoding="UTF-16"?><MPD/>'.encode("utf-16"), "not UTF-8"),
        (b"<MPD/><MPD/>", "junk after document element"),
    ],
)
def test_malformed_or_non_utf8_documents_are_refused(document: bytes, reason: str):
    with pytest.raises(ManifestError, match=reason):
        rewrite_mpd(document, SCOPE, MPD_PATH)
