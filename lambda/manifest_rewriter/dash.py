"""DASH MPDs: add the viewer's token to every in-scope URI, editing the original bytes.

Safety first: every MPD is parsed by defusedxml's expat parser, as UTF-8,
with DTDs, entity declarations and external references forbidden, before a
byte is rewritten. A billion-laughs bomb or an XXE probe is rejected
(``ManifestError``), never expanded or fetched.

Then the bytes are edited in place (no object model, no re-serialization):
the output is the input with the token inserted into in-scope URIs (and stale
token parameters dropped), nothing else. Input that this cannot be said of is
refused rather than served broken.

* URIs: ``BaseURL`` text; ``SegmentTemplate@media|initialization|index``;
  ``SegmentURL@media|index``; ``Initialization@sourceURL``;
  ``RepresentationIndex@sourceURL``; new values are XML-escaped (the token's
  ``&`` becomes ``&amp;``).
* Bases, as players resolve them (docs/api.md): relative URIs resolve against
  the ``BaseURL`` chain of the enclosing MPD, Period, AdaptationSet and
  Representation, then the MPD's location. Every alternative must be in scope:
  every BaseURL of a level (Shaka uses them all); a prefixed ``x:BaseURL`` both
  with and without it (dash.js reads it, Shaka ignores it); and a URI element
  outside a Representation (a SegmentTemplate of an AdaptationSet, say) against
  the bases of every Representation inside that element, which inherit it.
* ``$RepresentationID$`` and ``$Bandwidth$`` are filled in by players before
  resolving (dash.js keeps a non-numeric bandwidth as text): a value using them
  is in scope only if every Representation it applies to has an id and
  bandwidth of unreserved characters not starting with '.'.
* Refused (``UnsafeManifestError``): ``Location``, ``PatchLocation``,
  ``ContentSteering``, ``Metrics``/``Reporting``, URL-query and request
  parameter elements and properties, ``xlink:href``, ``ImportedMPD``; a BaseURL
  holding anything but text; Period/AdaptationSet/Representation nested deeper
  than the schema's four levels; more than ``MAX_ALTERNATIVE_BASES`` bases for
  one element, or more than ``MAX_BASE_WORK`` base resolutions for the document.

Two ways to find the elements, both with one regex over the start tags:

* *flat* (most MPDs): no ``BaseURL``, refused element, comment, CDATA section,
  processing instruction, xlink namespace or substitution of free text. Every
  URI resolves against the MPD's location, the safety parse needs no
  per-element Python callbacks, and in a well-formed document without those
  every ``<`` starts markup, so a regex split finds exactly the URI elements
  (and any element that calls for the structured pass). The output is
  assembled with slice assignments and one join;
* *structured* (anything else): the expat pass also records where each real
  URI element starts, the holders around it and their BaseURLs; only those
  tags are edited.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any
from xml.parsers.expat import ExpatError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from manifest_rewriter.scope import JS_WHITESPACE, Bases, ManifestError, UnsafeManifestError, UriScope, directory

URI_ATTRIBUTES: dict[bytes, tuple[bytes, ...]] = {
    b"SegmentTemplate": (b"media", b"initialization", b"index"),
    b"SegmentURL": (b"media", b"index"),
    b"Initialization": (b"sourceURL",),
    b"RepresentationIndex": (b"sourceURL",),
}
# Elements whose BaseURL children apply to everything inside them, in the schema's only nesting order.
BASE_HOLDERS = ("MPD", "Period", "AdaptationSet", "Representation")
_URI_ELEMENTS = frozenset(name.decode("ascii") for name in URI_ATTRIBUTES)

# Bounded work: an element may resolve against at most this many alternative bases, and the whole
# document may take at most this many base resolutions (each about a microsecond).
MAX_ALTERNATIVE_BASES = 64
MAX_BASE_WORK = 250_000

_URL_PARAMETERS = (
    "URL parameters (urn:mpeg:dash:urlparam, UrlQueryInfo, ExtUrlQueryInfo, ExtHttpHeaderInfo, RequestParam) "
    "let a player copy the MPD URL's query, the viewer's token, into requests to any host"
)
# Elements (by local name, in any namespace: dash.js ignores prefixes) that make a player take a base, a URL
# or the token from somewhere this rewriter never sees.
REFUSED_ELEMENTS = {
    "Location": "Location re-bases the MPD: Shaka resolves every relative URI against it",
    "PatchLocation": "PatchLocation patches the MPD later with content that is not rewritten",
    "ContentSteering": "content steering moves tokenized URIs to hosts a steering server chooses",
    "Metrics": "DVB metrics reporting sends request URLs, with the token, to a reporting server",
    "Reporting": "DVB metrics reporting sends request URLs, with the token, to a reporting server",
    "UrlQueryInfo": _URL_PARAMETERS,
    "ExtUrlQueryInfo": _URL_PARAMETERS,
    "ExtHttpHeaderInfo": _URL_PARAMETERS,
    "RequestParam": _URL_PARAMETERS,
    "ImportedMPD": "ImportedMPD links another MPD that is not rewritten",
}
_URL_PARAMETER_SCHEME = "urn:mpeg:dash:urlparam:"
_PROPERTIES = ("EssentialProperty", "SupplementalProperty")
XLINK_NAMESPACE = "http://www.w3.org/1999/xlink"
_XLINK = "xlink:href replaces elements with remote content that is not rewritten"

# ISO/IEC 23009-1 §5.3.9.4.4 identifiers, with the players' own pattern (Shaka fillUriTemplate, CML processUriTemplate).
_IDENTIFIER = re.compile(r"\$(RepresentationID|Number|SubNumber|Bandwidth|Time)?(?:%0([0-9]+)([diouxX]))?\$")
# An id or bandwidth that, filled in (dash.js may left-pad it with zeros), adds no '/', ':', '?', '#', '%'
# or dot segment.
_SAFE_VALUE = re.compile(r"[A-Za-z0-9_~-][A-Za-z0-9_.~-]*")

_NAMES = b"|".join(URI_ATTRIBUTES)
_PREFIX = rb"(?:[A-Za-z_][\w.-]*+:)?"  # an optional namespace prefix (possessive: no backtracking)
_ATTRIBUTES = rb"""(?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*\s*/?>"""
# A relative reference of unreserved characters (and '/'), not starting with '.' or '/': unless it
# contains "/." (a dot segment, checked after the scan), it is in scope exactly when its directory is.
_SIMPLE_VALUE = rb"[A-Za-z0-9_~-][A-Za-z0-9_.~/-]*"
# Every URI element's start tag. Group 1 is the bulk of a SegmentList, <SegmentURL media="seg-1.m4s"/>,
# up to the end of its simple value; group 2 is any other URI element's tag. The '<' sits outside
# both groups so the regex engine searches for it quickly; a split drops it, and the rewrite puts it back.
_URI_TAGS = (
    rb'(SegmentURL media="' + _SIMPLE_VALUE + rb')(?="\s*/?>)'
    rb"|(" + _PREFIX + rb"(?:" + _NAMES + rb")(?=[\s/>])" + _ATTRIBUTES + rb")"
)
_SCAN = re.compile(rb"<(?:" + _URI_TAGS + rb")")
# The flat pass's scan: the same, and group 3, any element that needs the structured pass (at no extra cost).
_STRUCTURAL = b"|".join(name.encode() for name in ("BaseURL", *REFUSED_ELEMENTS, *_PROPERTIES))
_FLAT_SCAN = re.compile(rb"<(?:" + _URI_TAGS + rb"|(" + _PREFIX + rb"(?:" + _STRUCTURAL + rb")(?=[\s/>])))")
_TAG_NAME = re.compile(_PREFIX + rb"(" + _NAMES + rb")")
_ATTRIBUTE = re.compile(rb"""\s([^\s=/>]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_ANY_START_TAG = re.compile(rb"<[^\s/>!?]+" + _ATTRIBUTES)


def substitutes_text(value: str) -> bool:
    """True when a player fills free text ($RepresentationID$, $Bandwidth$) into ``value`` before resolving it."""
    return "$" in value and any(match[1] in ("RepresentationID", "Bandwidth") for match in _IDENTIFIER.finditer(value))


@dataclass(eq=False)
class _Context:
    """The document, or an MPD, Period, AdaptationSet or Representation, with its BaseURLs."""

    parent: _Context | None
    kind: str = ""
    base_urls: list[tuple[str, bool]] = field(default_factory=list)  # (text, Shaka reads it: no prefix)
    representations: list[_Context] = field(default_factory=list)  # inside it (itself, for a Representation)
    substitution_safe: bool = True  # every Representation inside has an id and bandwidth safe to fill in
    bases: Bases | None = None  # what relative URIs directly inside resolve against (computed once)
    used_by: Bases | None = None  # the bases of every Representation that may use a URI element placed here


@dataclass
class _BaseUrl:
    context: _Context  # the element the BaseURL belongs to
    start: int  # offset of '<BaseURL'
    exact: bool  # no namespace prefix: Shaka, which matches the exact tag name, reads it
    end: int = -1  # offset of '</BaseURL>'
    text: list[str] = field(default_factory=list)


@dataclass
class _Structure:
    """Where the real URI elements start, and the context of each; every BaseURL."""

    root: _Context
    elements: dict[int, _Context] = field(default_factory=dict)
    base_urls: list[_BaseUrl] = field(default_factory=list)


class _NoTarget:
    """The parse builds no element tree."""


class _NeedsStructure(Exception):  # noqa: N818 - a signal, not an error
    """Something the flat pass cannot judge (comment, CDATA, processing instruction, xlink, free-text identifiers)."""


def _markup_found(*_: object) -> None:
    raise _NeedsStructure


def _namespace_declared(prefix: str | None, uri: str) -> None:
    if prefix == "xlink" or uri == XLINK_NAMESPACE:  # dash.js reads "xlink:href" whatever it is bound to
        raise _NeedsStructure


def _parse(data: bytes, *, structure: bool) -> _Structure | None:
    """Parse safely; with ``structure``, also record the elements and BaseURLs (slower)."""
    parser = DefusedXMLParser(target=_NoTarget(), encoding="utf-8", forbid_dtd=True)
    expat = parser.parser  # the pyexpat parser defusedxml installed its guards on
    expat.DefaultHandlerExpand = None  # ElementTree's entity fallback; without a DTD expat rejects unknown ones
    result = _Structure(root=_Context(parent=None)) if structure else None
    if result is not None:
        _record(expat, result)
    else:
        expat.CommentHandler = expat.StartCdataSectionHandler = expat.ProcessingInstructionHandler = _markup_found
        expat.StartNamespaceDeclHandler = _namespace_declared
    try:
        expat.Parse(data, True)
    except _NeedsStructure:
        return _parse(data, structure=True)
    except (ExpatError, DefusedXmlException) as exc:
        raise ManifestError(f"not a safe, well-formed UTF-8 MPD ({type(exc).__name__}: {exc})") from None
    return result


def _split_name(name: str) -> tuple[str, str, str]:
    """expat's ``namespace}local}prefix`` (namespace_prefixes on) -> (namespace, local name, prefix)."""
    parts = name.split("}")
    if len(parts) == 1:
        return "", name, ""
    return parts[0], parts[1], parts[2] if len(parts) > 2 else ""


def _record(expat: Any, result: _Structure) -> None:
    stack = [result.root]
    open_base_urls: list[_BaseUrl] = []
    names: dict[str, tuple[str, str, str]] = {}

    def split(name: str) -> tuple[str, str, str]:
        cached = names.get(name)
        if cached is None:
            cached = names[name] = _split_name(name)
        return cached

    def start(name: str, attributes: list[str]) -> None:  # ordered_attributes: [name, value, name, value, ...]
        if open_base_urls:
            raise ManifestError("a BaseURL holds an element: players read its text differently")
        _, kind, prefix = split(name)
        refused = REFUSED_ELEMENTS.get(kind)
        if refused is not None:
            raise UnsafeManifestError(refused)
        values: dict[str, str] = {}
        for index in range(0, len(attributes), 2):
            namespace, local, attribute_prefix = split(attributes[index])
            if local == "href" and (namespace == XLINK_NAMESPACE or attribute_prefix == "xlink"):
                raise UnsafeManifestError(_XLINK)
            if not namespace:
                values[local] = attributes[index + 1]
        if kind in _PROPERTIES and values.get("schemeIdUri", "").startswith(_URL_PARAMETER_SCHEME):
            raise UnsafeManifestError(_URL_PARAMETERS)
        if kind in BASE_HOLDERS:
            if len(stack) > len(BASE_HOLDERS):
                raise UnsafeManifestError("Period, AdaptationSet and Representation nest deeper than the schema allows")
            context = _Context(parent=stack[-1], kind=kind)
            if kind == "Representation":
                filled = (values.get("id"), values.get("bandwidth"))
                safe = all(value is None or _SAFE_VALUE.fullmatch(value) for value in filled)
                ancestor: _Context | None = context
                while ancestor is not None:
                    ancestor.representations.append(context)
                    ancestor.substitution_safe = ancestor.substitution_safe and safe
                    ancestor = ancestor.parent
            stack.append(context)
        elif kind == "BaseURL":
            base_url = _BaseUrl(context=stack[-1], start=expat.CurrentByteIndex, exact=not prefix)
            open_base_urls.append(base_url)
            expat.CharacterDataHandler = base_url.text.append
        elif kind in _URI_ELEMENTS:
            result.elements[expat.CurrentByteIndex] = stack[-1]

    def end(name: str) -> None:
        kind = split(name)[1]
        if kind in BASE_HOLDERS:
            stack.pop()
        elif kind == "BaseURL":
            base_url = open_base_urls.pop()
            base_url.end = expat.CurrentByteIndex
            base_url.context.base_urls.append(("".join(base_url.text).strip(JS_WHITESPACE), base_url.exact))
            result.base_urls.append(base_url)
            expat.CharacterDataHandler = None

    def markup(*_: object) -> None:
        if open_base_urls:
            raise ManifestError(
                "a BaseURL holds a comment, CDATA section or processing instruction: dash.js reads only its last "
                "text node, Shaka decodes CDATA"
            )

    expat.namespace_prefixes = True
    expat.ordered_attributes = True
    expat.StartElementHandler = start
    expat.EndElementHandler = end
    expat.CommentHandler = expat.StartCdataSectionHandler = expat.ProcessingInstructionHandler = markup


def _escape(value: str, quote: bytes) -> bytes:
    escaped = html.escape(value, quote=False)
    escaped = escaped.replace('"', "&quot;") if quote == b'"' else escaped.replace("'", "&apos;")
    return escaped.encode("utf-8")


class _Rewriter:
    def __init__(self, scope: UriScope, mpd_path: str) -> None:
        self.scope = scope
        self.root = scope.bases((directory(mpd_path),))
        self.suffix = b"?" + scope.query.replace("&", "&amp;").encode("ascii")
        self.work = 0

    # --- bases ---------------------------------------------------------------------------------------------

    def _charge(self, work: int) -> None:
        self.work += work
        if self.work > MAX_BASE_WORK:
            raise UnsafeManifestError(
                f"its BaseURL alternatives need more than {MAX_BASE_WORK} base resolutions to check"
            )

    def _bases(self, dirs: list[str | None]) -> Bases:
        self._charge(len(dirs))
        bases = self.scope.bases(dirs)
        if len(bases.dirs) > MAX_ALTERNATIVE_BASES:
            raise UnsafeManifestError(
                f"an element may resolve against more than {MAX_ALTERNATIVE_BASES} alternative BaseURL combinations"
            )
        return bases

    def bases(self, context: _Context | None) -> Bases:
        """What relative URIs directly inside ``context`` (None: the document) resolve against."""
        if context is None:
            return self.root
        if context.bases is None:
            inherited = self.root if context.parent is None else self.bases(context.parent)
            if not context.base_urls:
                context.bases = inherited
            else:
                texts = list(dict.fromkeys(context.base_urls))
                dirs = self._resolve_all(texts, inherited, context)  # dash.js: every BaseURL, prefixed or not
                exact = [entry for entry in texts if entry[1]]
                if len(exact) < len(texts):  # Shaka matches the exact name "BaseURL" and skips the others
                    dirs += self._resolve_all(exact, inherited, context) if exact else list(inherited.dirs)
                context.bases = self._bases(dirs)
        return context.bases

    def _resolve_all(self, texts: list[tuple[str, bool]], inherited: Bases, context: _Context) -> list[str | None]:
        dirs: list[str | None] = []
        for text, _ in texts:
            self._charge(len(inherited.dirs))
            if substitutes_text(text) and not context.substitution_safe:
                dirs.append(None)  # dash.js fills the ids in after resolving; who knows where to
            else:
                dirs.extend(self.scope.resolve_base(text, inherited))
        return dirs

    def used_by(self, context: _Context | None) -> Bases:
        """The bases a URI element directly inside ``context`` may be resolved against: its own, and those of every
        Representation inside, which inherits the element (a SegmentTemplate of an AdaptationSet, say)."""
        if context is None:
            return self.root
        if context.used_by is None:
            if context.kind == "Representation" or not context.representations:
                context.used_by = self.bases(context)
            else:
                dirs = list(self.bases(context).dirs)
                for representation in context.representations:
                    dirs.extend(self.bases(representation).dirs)
                context.used_by = self._bases(dirs)
        return context.used_by

    # --- values -------------------------------------------------------------------------------------------

    def value(self, raw: bytes, quote: bytes, context: _Context | None) -> bytes | None:
        """The new raw attribute value (the old bytes with the token added), or None to keep it."""
        value = raw.decode("utf-8")
        if "&" in value:
            value = html.unescape(value)  # a DTD-free document has only the predefined and numeric references
        if substitutes_text(value):
            if context is None:
                raise _NeedsStructure  # which Representations fill it in is only known from the structure
            if not context.substitution_safe:
                return None
        bases = self.used_by(context)
        new = self.scope.tokenize(value, bases)
        if new is None:
            return None
        if "?" not in value and "#" not in value:
            return raw + self.suffix  # the raw bytes, character references and all, then the token
        if _escape(value, quote) != raw:
            raise ManifestError("a URI with a query or fragment is written with character references")
        return _escape(new, quote)

    def tag(self, tag: bytes, context: _Context | None) -> bytes:
        """One start tag with its URI attributes rewritten."""
        name = _TAG_NAME.match(tag)
        assert name is not None  # every caller's pattern starts the same way
        wanted = URI_ATTRIBUTES[name[1]]
        pieces: list[bytes] = []
        position = 0
        for attribute in _ATTRIBUTE.finditer(tag, name.end()):
            if attribute[1] not in wanted:
                continue
            group = 2 if attribute.start(2) >= 0 else 3
            new = self.value(attribute[group], b'"' if group == 2 else b"'", context)
            if new is not None:
                pieces.append(tag[position : attribute.start(group)])
                pieces.append(new)
                position = attribute.end(group)
        pieces.append(tag[position:])
        return b"".join(pieces)

    def segment_url(self, head: bytes, context: _Context | None) -> bytes:
        """Group 1 of ``_SCAN`` (``SegmentURL media="<value>``) when its directory is not inside the title."""
        cut = head.index(b'"') + 1
        new = self.value(head[cut:], b'"', context)
        return head if new is None else head[:cut] + new

    # --- the two passes -------------------------------------------------------------------------------------

    def flat(self, data: bytes) -> bytes:
        """No BaseURL, comment, CDATA or processing instruction: everything resolves against the MPD."""
        parts = _FLAT_SCAN.split(data)  # [text, head, tag, other, text, ...]; one of head/tag/other is set
        if parts[3::4].count(None) != len(parts) // 4:
            raise _NeedsStructure  # a BaseURL, a property or a refused element
        heads, tags = parts[1::4], parts[2::4]
        count = len(heads)
        # The output interleaves text, '<', head and the one shared suffix object, built with slice
        # assignments only; b"".join then copies everything once.
        out: list[bytes | None] = [b""] * (4 * count + 1)
        out[0::4] = parts[0::4]
        out[1::4] = [b"<"] * count
        out[2::4] = heads
        out[3::4] = [self.suffix] * count
        others = [index for index, tag in enumerate(tags) if tag is not None] if tags.count(None) < count else []
        for index in others:
            out[4 * index + 2] = self.tag(tags[index], None)
            out[4 * index + 3] = b""
        if not self.root.inside or b"".join(filter(None, heads)).find(b"/.") >= 0:
            for index, head in enumerate(heads):
                if head is not None and (b"/." in head or not self.root.inside):
                    out[4 * index + 2] = self.segment_url(head, None)
                    out[4 * index + 3] = b""
        return b"".join(out)  # type: ignore[arg-type]  # every None slot was replaced above

    def structured(self, data: bytes, structure: _Structure) -> bytes:
        edits: list[tuple[int, int, bytes]] = []
        found = 0
        for match in _SCAN.finditer(data):
            context = structure.elements.get(match.start())
            if context is None:  # inside a comment or CDATA section
                continue
            found += 1
            head, tag = match.groups()
            if head is None:
                edits.append((match.start(), match.end(), b"<" + self.tag(tag, context)))
            elif self.used_by(context).inside and b"/." not in head:
                edits.append((match.end(), match.end(), self.suffix))
            else:
                edits.append((match.start(), match.end(), b"<" + self.segment_url(head, context)))
        if found != len(structure.elements):
            raise ManifestError("an element with URIs has markup this rewriter cannot edit")
        for base_url in structure.base_urls:
            edit = self.base_url(data, base_url)
            if edit is not None:
                edits.append(edit)
        edits.sort(key=lambda edit: edit[0])
        pieces: list[bytes] = []
        position = 0
        for start, end, replacement in edits:
            if start < position:
                raise ManifestError("overlapping edits")  # cannot happen: BaseURLs hold text only
            pieces.append(data[position:start])
            pieces.append(replacement)
            position = end
        pieces.append(data[position:])
        return b"".join(pieces)

    def base_url(self, data: bytes, base_url: _BaseUrl) -> tuple[int, int, bytes] | None:
        start_tag = _ANY_START_TAG.match(data, base_url.start)
        if start_tag is None or start_tag.group().endswith(b"/>") or base_url.end <= start_tag.end():
            return None
        uri = "".join(base_url.text).strip(JS_WHITESPACE)
        if not uri or (substitutes_text(uri) and not base_url.context.substitution_safe):
            return None
        # A BaseURL resolves against the BaseURLs of the elements around its own element.
        new = self.scope.tokenize(uri, self.bases(base_url.context.parent))
        if new is None:
            return None
        # Only the URI's own bytes change; the whitespace around it stays as written (CRLF included).
        raw = data[start_tag.end() : base_url.end].decode("utf-8")
        written = raw.strip(JS_WHITESPACE)
        if html.escape(uri, quote=False) != written:
            raise ManifestError("an in-scope BaseURL is written with character references")
        start = start_tag.end() + len(raw[: len(raw) - len(raw.lstrip(JS_WHITESPACE))].encode("utf-8"))
        return start, start + len(written.encode("utf-8")), html.escape(new, quote=False).encode("utf-8")


def rewrite_mpd(data: bytes, scope: UriScope, mpd_path: str) -> bytes:
    """``data`` with the token on every in-scope URI; ``ManifestError`` for unsafe or broken XML.

    ``mpd_path`` is the request path of the MPD, which relative URIs resolve against.
    """
    try:
        data.decode("utf-8")  # expat is told the document is UTF-8; a UTF-16 BOM would override that
    except UnicodeDecodeError:
        raise ManifestError("the MPD is not UTF-8") from None
    structure = _parse(data, structure=data.find(b"BaseURL") >= 0)
    if structure is None:
        try:
            return _Rewriter(scope, mpd_path).flat(data)
        except _NeedsStructure:
            structure = _parse(data, structure=True)
            assert structure is not None
    return _Rewriter(scope, mpd_path).structured(data, structure)
