"""What hls.js, Shaka and dash.js request for the URIs a manifest names: the tests' oracle.

Written from the players' source and the WHATWG URL standard, independently of
``lambda/manifest_rewriter`` (nothing here imports it):

* hls.js afe5b8bf: ``src/utils/variable-substitution.ts`` (``{$name}``, QUERYPARAM from the playlist
  URL), ``src/utils/attr-list.ts`` (attribute regex, last duplicate wins), ``src/loader/m3u8-parser.ts``
  (unanchored tag patterns, URI lines after any JavaScript whitespace, ``resolve`` = url-toolkit
  ``buildAbsoluteURL(..., {alwaysNormalize: true})``); url-toolkit 2.2.5 (RFC 1808, ``;params``).
  The URL it builds goes to XHR, which resolves it once more against the page.
* Shaka 35b290e4: ``lib/hls/hls_utils.js`` (``%7B``/``%7D`` decoded, ``/{\\$\\w*}/``, first
  occurrence replaced), ``lib/util/tXml.js`` (exact tag names, text trimmed), ``lib/dash/dash_parser.js``
  (Location re-bases the MPD, every BaseURL alternative), ``lib/dash/mpd_utils.js`` (fillUriTemplate).
* dash.js ccf3b95d: ``DefaultURLUtils.js`` (``isRelative`` = no ``^[a-z][a-z0-9+\\-_.]*:``, ``new URL``
  or the string itself on failure), ``DashParser.js`` (prefixes dropped, non-numeric attributes kept
  as text), ``BaseURLController.js`` (absolute replaces, relative resolves), ``DashHandler.js``
  (media filled in before resolving, init filled in *after*), CML ``processUriTemplate`` (padStart).

A request is what a browser would send: scheme, host, port, path and query (never the fragment).
Content a player fetches later and this model cannot see (patches, steering answers, remote xlink
content, metrics reporting targets, URL-query copying) counts as able to send any token anywhere.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from lxml import etree

PAGE = "https://app.example/watch/index.html"  # the page the player runs in: XHR resolves against it
JS_SPACE = "\t\n\v\f\r \xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + "\u2028\u2029\u202f\u205f\u3000\ufeff"
SPECIAL = {"http": "80", "https": "443", "ws": "80", "wss": "443", "ftp": "21", "file": ""}


@dataclass(frozen=True)
class Request:
    scheme: str
    host: str
    port: str
    path: str
    query: str  # without '?'; "" when there is none

    @property
    def sent(self) -> str:
        """What goes over the wire to ``host``: path and query."""
        return f"{self.path}?{self.query}"


def js_trim(text: str) -> str:
    return text.strip(JS_SPACE)


# --- the WHATWG URL parser (new URL, fetch, XHR), as much as decides host, path and query ----------------


def _host(authority: str) -> str | None:
    host = authority.rpartition("@")[2]
    if host.startswith("["):
        return host.partition("]")[0].lower() + "]"
    host = unquote(host.rpartition(":")[0] if ":" in host else host)
    for dot in "\u3002\uff0e\uff61":
        host = host.replace(dot, ".")
    host = unicodedata.normalize("NFKC", host).lower()
    return host or None


def _port(authority: str, scheme: str) -> str:
    hostport = authority.rpartition("@")[2]
    if hostport.startswith("["):
        hostport = hostport.partition("]")[2]
    _, colon, port = hostport.rpartition(":")
    if not colon:
        return ""
    port = port.lstrip("0") or ("0" if port else "")
    return "" if port in ("", SPECIAL.get(scheme)) else port


def _normalize(path: str, special: bool) -> str:
    if special:
        path = path.replace("\\", "/")
    segments = path.split("/")[1:]
    output: list[str] = []
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        lowered = segment.lower()
        if lowered in ("..", ".%2e", "%2e.", "%2e%2e"):
            if output:
                output.pop()
            if last:
                output.append("")
        elif lowered in (".", "%2e"):
            if last:
                output.append("")
        else:
            output.append(segment)
    return "/" + "/".join(output)


def whatwg(text: str, base: Request | None) -> Request | None:
    """``new URL(text, base)`` for an http(s) base: None when it throws; scheme "" for a non-special URL."""
    text = text.strip("".join(chr(c) for c in range(0x21)))
    text = re.sub(r"[\t\n\r]", "", text)
    text = text.partition("#")[0]
    scheme_match = re.match(r"[A-Za-z][A-Za-z0-9+.-]*:", text)
    if scheme_match is not None:
        scheme = scheme_match[0][:-1].lower()
        rest = text[scheme_match.end() :]
        if scheme not in SPECIAL:
            return Request("", "", "", text, "")  # skd:, data:, 1a-style opaque: no http request here
        if base is not None and base.scheme == scheme and not rest.startswith("//"):
            return _relative(rest, base)
        return _absolute(scheme, rest.lstrip("/\\"))
    if base is None:
        return None
    return _relative(text, base)


def _absolute(scheme: str, rest: str) -> Request | None:
    cut = min([len(rest)] + [i for i in (rest.find(c) for c in "/\\?") if i >= 0])
    authority, rest = rest[:cut], rest[cut:]
    host = _host(authority)
    if host is None:
        return None
    path, _, query = rest.partition("?")
    return Request(scheme, host, _port(authority, scheme), _normalize(path or "/", True), query)


def _relative(text: str, base: Request) -> Request | None:
    if text[:2] in ("//", "\\\\", "/\\", "\\/"):
        return _absolute(base.scheme, text.lstrip("/\\"))
    path, question, query = text.partition("?")
    if not path:
        return Request(base.scheme, base.host, base.port, base.path, query if question else base.query)
    if path[0] in "/\\":
        return Request(base.scheme, base.host, base.port, _normalize(path, True), query)
    directory = base.path[: base.path.rfind("/") + 1]
    return Request(base.scheme, base.host, base.port, _normalize(directory + path, True), query)


def parse(url: str) -> Request:
    request = whatwg(url, None)
    assert request is not None, url
    assert request.scheme, url
    return request


# --- url-toolkit 2.2.5 (hls.js) -----------------------------------------------------------------------------

_URL_TOOLKIT = re.compile(
    r"^(?=((?:[a-zA-Z0-9+\-.]+:)?))\1(?=((?:\/\/[^\/?#]*)?))\2(?=((?:(?:[^?#\/]*\/)*[^;?#\/]*)?))\3"
    r"((?:;[^?#]*)?)(\?[^#]*)?(#[\s\S]*)?$"
)


def _toolkit_parts(url: str) -> dict[str, str] | None:
    match = _URL_TOOLKIT.match(url)
    if match is None:
        return None
    names = ("scheme", "netLoc", "path", "params", "query", "fragment")
    return {name: match[index + 1] or "" for index, name in enumerate(names)}


def _toolkit_normalize(path: str) -> str:
    reversed_path = path[::-1]
    reversed_path = re.sub(r"(?:\/|^)\.(?=\/)", "", reversed_path)
    while True:
        shorter = re.sub(r"(?:\/|^)\.\.\/(?!\.\.\/)[^\/]*(?=\/)", "", reversed_path, count=1)
        if shorter == reversed_path:
            break
        reversed_path = shorter
    return reversed_path[::-1]


def url_toolkit(base: str, relative: str) -> str | None:
    """``buildAbsoluteURL(base, relative, {alwaysNormalize: true})``, or None when it throws."""
    base, relative = js_trim(base), js_trim(relative)
    if not relative:
        parts = _toolkit_parts(base)
        if parts is None:
            return None
        parts["path"] = _toolkit_normalize(parts["path"])
        return "".join(parts.values())
    rel = _toolkit_parts(relative)
    if rel is None:
        return None
    if rel["scheme"]:
        rel["path"] = _toolkit_normalize(rel["path"])
        return "".join(rel.values())
    bas = _toolkit_parts(base)
    if bas is None:
        return None
    built = {"scheme": bas["scheme"], "netLoc": rel["netLoc"], "path": None, "params": rel["params"]}
    built.update(query=rel["query"], fragment=rel["fragment"])
    if not rel["netLoc"]:
        built["netLoc"] = bas["netLoc"]
        if not rel["path"].startswith("/"):
            if not rel["path"]:
                built["path"] = bas["path"]
                if not rel["params"]:
                    built["params"] = bas["params"]
                    if not rel["query"]:
                        built["query"] = bas["query"]
            else:
                directory = bas["path"][: bas["path"].rfind("/") + 1]
                built["path"] = _toolkit_normalize(directory + rel["path"])
    if built["path"] is None:
        built["path"] = _toolkit_normalize(rel["path"])
    return "".join(str(built[key]) for key in ("scheme", "netLoc", "path", "params", "query", "fragment"))


def hlsjs_request(uri: str, playlist: str) -> Request | None:
    absolute = url_toolkit(playlist, uri)
    return None if absolute is None else whatwg(absolute, parse(PAGE))


def shaka_request(uri: str, base: str) -> Request | None:
    return whatwg(js_trim(uri), parse(base))


# --- HLS ----------------------------------------------------------------------------------------------------

_HLSJS_ATTRIBUTE = re.compile(r'(.+?)=(".*?"|.*?)(?:,|$)')


def _attributes_hlsjs(text: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for match in _HLSJS_ATTRIBUTE.finditer(text):
        value = match[2]
        if len(value) > 1 and value[0] == value[-1] == '"':
            value = value[1:-1]
        found[match[1].strip()] = value  # the last duplicate wins
    return found


def _attributes_shaka(text: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for match in re.finditer(r'\s*([A-Z0-9-]+)=("[^"]*"|[^",]*)', text):
        value = match[2].strip('"')
        found.setdefault(match[1], value)  # the first duplicate wins
    return found


def _defines(text: str, playlist: str) -> dict[str, str]:
    """Variables, as hls.js finds EXT-X-DEFINE (anywhere on a line), QUERYPARAM read from the playlist URL."""
    query = parse(playlist).query
    params: dict[str, str] = {}
    for pair in query.split("&"):
        name, _, value = pair.partition("=")
        params.setdefault(unquote(name.replace("+", " ")), unquote(value.replace("+", " ")))
    variables: dict[str, str] = {}
    for match in re.finditer(r"#EXT-X-DEFINE:([^\r\n]*)", text):
        attributes = _attributes_hlsjs(match[1])
        if "QUERYPARAM" in attributes:
            name = attributes["QUERYPARAM"]
            if name in params:
                variables.setdefault(name, params[name])
        elif "NAME" in attributes:
            variables.setdefault(attributes["NAME"], attributes.get("VALUE", ""))
    return variables


def substitutions(uri: str, variables: dict[str, str]) -> set[str]:
    """The URI after hls.js's and Shaka's variable substitution (and as written, for hls.js light builds)."""
    results = {uri}
    results.add(re.sub(r"\{\$([a-zA-Z0-9-_]+)\}", lambda m: variables.get(m[1], m[0]), uri))
    if variables:
        shaka = uri.replace("%7B", "{").replace("%7D", "}")
        for reference in re.findall(r"\{\$\w*\}", shaka):
            shaka = shaka.replace(reference, variables.get(reference[2:-1], reference), 1)
        results.add(shaka)
    return results


def hls_requests(text: str, playlist: str) -> list[tuple[str, Request | None]]:
    """(URI as written, request) for every URI hls.js or Shaka could request from this playlist."""
    variables = _defines(text, playlist)
    written: list[str] = []
    for line in re.split(r"\r\n|\r|\n", text):
        for candidate in (line.lstrip(" "), line.lstrip(JS_SPACE), js_trim(line)):
            if candidate and not candidate.startswith("#"):
                written.append(candidate)
        for match in re.finditer(r"#EXT-X-[A-Z-]+:(.*)", line):
            for attributes in (_attributes_hlsjs(match[1]), _attributes_shaka(match[1])):
                for name in ("URI", "X-ASSET-URI", "X-ASSET-LIST", "SERVER-URI"):
                    if name in attributes:
                        written.append(attributes[name])
    requests = []
    for uri in dict.fromkeys(written):
        for substituted in substitutions(uri, variables):
            requests.append((uri, hlsjs_request(substituted, playlist)))
            requests.append((uri, shaka_request(substituted, playlist)))
    return requests


def hls_moves_tokens(text: str) -> bool:
    """Content steering: a steering server may give any tokenized variant another host, query kept."""
    return "#EXT-X-CONTENT-STEERING" in text


# --- DASH ---------------------------------------------------------------------------------------------------

HOLDERS = ("MPD", "Period", "AdaptationSet", "Representation")
URI_ATTRIBUTES = {
    "SegmentTemplate": ("media", "initialization", "index"),
    "SegmentURL": ("media", "index"),
    "Initialization": ("sourceURL",),
    "RepresentationIndex": ("sourceURL",),
}
# Features whose effect depends on content fetched later, or that copy the MPD URL's query elsewhere.
UNSEEN = frozenset(
    {"PatchLocation", "ContentSteering", "Metrics", "Reporting", "UrlQueryInfo", "ExtUrlQueryInfo"}
    | {"ExtHttpHeaderInfo", "RequestParam", "ImportedMPD"}
)
_TEMPLATE = re.compile(r"\$(RepresentationID|Number|SubNumber|Bandwidth|Time)?(?:%0([0-9]+)([diouxX]))?\$")


def _local(element: Any) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _exact(element: Any, name: str) -> bool:
    """Shaka's tXml compares the tag name as written: no prefix."""
    return _local(element) == name and element.prefix is None


def base_texts(element: Any) -> set[str]:
    """Every way a player reads a BaseURL's text: all text nodes (Shaka, expat), the last one (dash.js)."""
    nodes = [element.text or ""] + [child.tail or "" for child in element]
    return {js_trim("".join(nodes)), js_trim(nodes[-1])}


def fill(template: str, representation_id: str | None, bandwidth: str | None, *, pad: bool) -> str:
    """Shaka's fillUriTemplate (pad=False: no width on RepresentationID) or CML's processUriTemplate (pad=True)."""
    values = {"RepresentationID": representation_id, "Bandwidth": bandwidth, "Number": "1", "SubNumber": "0"}
    values["Time"] = "0"

    def one(match: re.Match[str]) -> str:
        if match[1] is None:
            return "$" if match[0] == "$$" else match[0]
        value = values[match[1]]
        if value is None:
            return match[0]
        width = int(match[2]) if match[2] and (pad or match[1] != "RepresentationID") else 1
        return value.rjust(width, "0")

    return _TEMPLATE.sub(one, template)


def _dashjs_resolve(url: str, base: str | None) -> str:
    if base is None or re.match(r"[a-z][a-z0-9+\-_.]*:", url, re.IGNORECASE):
        return url
    resolved = whatwg(url, whatwg(base, None))
    if resolved is None or not resolved.scheme:
        return url  # new URL threw: dash.js keeps the string
    return _text(resolved)


def _dashjs_send(url: str) -> Request | None:
    if not re.match(r"[a-z][a-z0-9+\-_.]*:", url, re.IGNORECASE):
        return None  # still relative: no request
    return whatwg(url, parse(PAGE))


def _text(request: Request) -> str:
    return f"{request.scheme}://{request.host}{':' + request.port if request.port else ''}{request.sent}"


def _shaka_join(bases: list[str], relative: str) -> list[str]:
    joined = []
    for base in bases:
        request = whatwg(relative, parse(base))
        if request is not None and request.scheme:
            joined.append(_text(request))
    return joined


def dash_requests(data: bytes, mpd_url: str) -> list[tuple[str, Request | None]]:
    """(URI as written, request) for every segment, init and index request Shaka or dash.js could make."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    root = etree.fromstring(data, parser)
    requests: list[tuple[str, Request | None]] = []
    mpd_dir = mpd_url[: mpd_url.rfind("/") + 1]

    def holders(element: Any, exact: bool) -> list[Any]:
        chain = [element, *element.iterancestors()]
        return [e for e in reversed(chain) if (_exact(e, _local(e)) or not exact) and _local(e) in HOLDERS]

    def base_urls(holder: Any, exact: bool) -> list[set[str]]:
        children = [c for c in holder if _local(c) == "BaseURL" and (not exact or _exact(c, "BaseURL"))]
        return [base_texts(c) for c in children]

    # Shaka's MPD base: the Location URLs if any, else the MPD URL.
    locations = [js_trim(c.text or "") for c in root if _exact(c, "Location")]
    shaka_root = [url for location in locations for url in _shaka_join([mpd_url], location)] or [mpd_url]

    def shaka_bases(holder_chain: list[Any]) -> list[str]:
        bases = shaka_root
        for holder in holder_chain:
            texts = [t for alternatives in base_urls(holder, exact=True) for t in alternatives]
            if texts:
                bases = [joined for text in texts for joined in _shaka_join(bases, text)]
        return bases

    def dashjs_bases(holder_chain: list[Any]) -> list[str | None]:
        bases: list[str | None] = [mpd_dir]
        for holder in holder_chain:
            texts = [t for alternatives in base_urls(holder, exact=False) for t in alternatives]
            if texts:
                bases = [_dashjs_resolve(text, base) for text in texts for base in bases]
        return bases

    representations = [e for e in root.iter() if _local(e) == "Representation"]
    for element in root.iter():
        kind = _local(element)
        if kind not in URI_ATTRIBUTES and kind != "BaseURL":
            continue
        parent_holders = [e for e in element.iterancestors() if _local(e) in HOLDERS]
        nearest = parent_holders[0] if parent_holders else root
        users = (
            [nearest]
            if _local(nearest) == "Representation"
            else [r for r in representations if nearest in r.iterancestors() or r is nearest] or [nearest]
        )
        values = (
            base_texts(element)
            if kind == "BaseURL"
            else [element.get(a) for a in URI_ATTRIBUTES[kind] if element.get(a) is not None]
        )
        for user in users:
            rep_id, bandwidth = user.get("id"), user.get("bandwidth")
            for value in values:
                if kind == "BaseURL":  # requested as a base: an empty media URL, or an init after resolving
                    # It resolves against the BaseURLs of the elements around its own holder.
                    around = nearest.getparent()
                    for base in dashjs_bases([] if around is None else holders(around, exact=False)):
                        url = _dashjs_resolve(value, base)
                        requests.append((value, _dashjs_send(fill(url, rep_id, bandwidth, pad=True))))
                    if _exact(element, "BaseURL"):
                        shaka = shaka_bases([] if around is None else holders(around, exact=True))
                        for url in _shaka_join(shaka, value):
                            requests.append((value, parse(url)))
                    continue
                for base in dashjs_bases(holders(user, exact=False)):
                    filled = fill(value, rep_id, bandwidth, pad=True)
                    requests.append((value, _dashjs_send(_dashjs_resolve(filled, base))))
                    init = _dashjs_resolve(value, base)  # dash.js fills an init URL in after resolving it
                    requests.append((value, _dashjs_send(fill(init, rep_id, bandwidth, pad=True))))
                if all(_exact(e, _local(e)) for e in [element, *parent_holders]):
                    filled = fill(value, rep_id, None, pad=False)
                    for url in _shaka_join(shaka_bases(holders(user, exact=True)), filled):
                        requests.append((value, parse(url)))
    return requests


def dash_moves_tokens(data: bytes) -> bool:
    """Patches, steering, metrics, URL-query copying, imported or xlinked content: outside what we can see."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    root = etree.fromstring(data, parser)
    for element in root.iter():
        if _local(element) in UNSEEN:
            return True
        if any(etree.QName(name).localname == "href" for name in element.attrib):
            return True
        if _local(element) in ("EssentialProperty", "SupplementalProperty") and "urlparam" in element.get(
            "schemeIdUri", ""
        ):
            return True
    return False


# --- the verdict --------------------------------------------------------------------------------------------


def leaks(requests: list[tuple[str, Request | None]], secrets: tuple[str, ...], host: str, title: str) -> list[str]:
    """Every request that carries one of ``secrets`` (the token's policy or signature) anywhere but this host
    and title."""
    found = []
    for written, request in requests:
        if request is None:
            continue
        carried = request.sent if request.scheme else request.path
        if not any(secret in carried for secret in secrets):
            continue
        inside = (
            request.scheme == "https"
            and request.host == host
            and request.port == ""
            and request.path.startswith(f"/vod/{title}/")
        )
        if not inside:
            found.append(f"{written!r} -> {request}")
    return found
