"""DASH MPDs: add the viewer's token to every in-scope URI, editing the original bytes.

Safety first: every MPD is parsed by defusedxml's expat parser, as UTF-8,
with DTDs, entity declarations and external references forbidden, before a
byte is rewritten. A billion-laughs bomb or an XXE probe is rejected
(``ManifestError``), never expanded or fetched.

Then the bytes are edited in place (no object model, no re-serialization),
so every other byte survives:

* ``BaseURL`` text; ``SegmentTemplate@media|initialization|index``;
  ``SegmentURL@media|index``; ``Initialization@sourceURL``;
  ``RepresentationIndex@sourceURL``;
* relative URIs resolve against the ``BaseURL`` chain of the enclosing MPD,
  Period, AdaptationSet and Representation (every alternative BaseURL must
  be in scope), then against the MPD's own location;
* new values are XML-escaped (the token's ``&`` becomes ``&amp;``).

Two ways to find the elements, both with one regex over the start tags:

* *flat* (most MPDs): no ``BaseURL``, comment, CDATA section or processing
  instruction. Every URI resolves against the MPD's location, the safety
  parse needs no per-element Python callbacks (it only stops at a comment,
  CDATA or PI), and in a well-formed document without those every ``<``
  starts markup, so a regex split finds exactly the URI elements. The output
  is assembled with slice assignments and one join;
* *structured* (anything else): the expat pass also records where each real
  URI element starts and which BaseURLs enclose it; only those tags are
  edited.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any
from xml.parsers.expat import ExpatError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from manifest_rewriter.scope import UriScope, directory

URI_ATTRIBUTES: dict[bytes, tuple[bytes, ...]] = {
    b"SegmentTemplate": (b"media", b"initialization", b"index"),
    b"SegmentURL": (b"media", b"index"),
    b"Initialization": (b"sourceURL",),
    b"RepresentationIndex": (b"sourceURL",),
}
# Elements whose BaseURL children apply to everything inside them.
BASE_HOLDERS = frozenset({"MPD", "Period", "AdaptationSet", "Representation"})
_URI_ELEMENTS = frozenset(name.decode("ascii") for name in URI_ATTRIBUTES)

_NAMES = b"|".join(URI_ATTRIBUTES)
_PREFIX = rb"(?:[A-Za-z_][\w.-]*+:)?"  # an optional namespace prefix (possessive: no backtracking)
_ATTRIBUTES = rb"""(?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*\s*/?>"""
# A relative reference of unreserved characters (and '/'), not starting with '.' or '/': unless it
# contains "/." (a dot segment, checked after the scan), it is in scope exactly when its directory is.
_SIMPLE_VALUE = rb"[A-Za-z0-9_~-][A-Za-z0-9_.~/-]*"
# Every URI element's start tag. Group 1 is the bulk of a SegmentList, <SegmentURL media="seg-1.m4s"/>,
# up to the end of its simple value; group 2 is any other URI element's tag. The '<' sits outside
# both groups so the regex engine searches for it quickly; a split drops it, and the rewrite puts it back.
_SCAN = re.compile(
    rb'<(?:(SegmentURL media="' + _SIMPLE_VALUE + rb')(?="\s*/?>)'
    rb"|(" + _PREFIX + rb"(?:" + _NAMES + rb")(?=[\s/>])" + _ATTRIBUTES + rb"))"
)
_TAG_NAME = re.compile(_PREFIX + rb"(" + _NAMES + rb")")
_ATTRIBUTE = re.compile(rb"""\s([^\s=/>]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_ANY_START_TAG = re.compile(rb"<[^\s/>!?]+" + _ATTRIBUTES)


class ManifestError(ValueError):
    """The MPD is not a well-formed, DTD-free UTF-8 XML document, or uses markup we cannot edit safely."""


@dataclass(eq=False)
class _Context:
    """The document, or an MPD, Period, AdaptationSet or Representation, with its BaseURLs."""

    parent: _Context | None
    base_urls: list[str] = field(default_factory=list)
    _dirs: tuple[str | None, ...] | None = None

    def dirs(self, scope: UriScope, root: tuple[str | None, ...]) -> tuple[str | None, ...]:
        """The directories relative URIs inside this element resolve against."""
        if self._dirs is None:
            inherited = root if self.parent is None else self.parent.dirs(scope, root)
            if self.base_urls:
                self._dirs = tuple(d for url in self.base_urls for d in scope.resolve_base(url, inherited))
            else:
                self._dirs = inherited
        return self._dirs


@dataclass
class _BaseUrl:
    context: _Context  # the element the BaseURL belongs to
    start: int  # offset of '<BaseURL'
    end: int = -1  # offset of '</BaseURL>'
    text: list[str] = field(default_factory=list)


@dataclass
class _Structure:
    """Where the real URI elements start, and the context of each; every BaseURL."""

    elements: dict[int, _Context] = field(default_factory=dict)
    base_urls: list[_BaseUrl] = field(default_factory=list)


class _NoTarget:
    """The parse builds no element tree."""


class _NeedsStructure(Exception):  # noqa: N818 - a signal, not an error
    """A comment, CDATA section or processing instruction: the flat scan could be fooled by it."""


def _markup_found(*_: object) -> None:
    raise _NeedsStructure


def _parse(data: bytes, *, structure: bool) -> _Structure | None:
    """Parse safely; with ``structure``, also record the elements and BaseURLs (slower)."""
    parser = DefusedXMLParser(target=_NoTarget(), encoding="utf-8", forbid_dtd=True)
    expat = parser.parser  # the pyexpat parser defusedxml installed its guards on
    expat.DefaultHandlerExpand = None  # ElementTree's entity fallback; without a DTD expat rejects unknown ones
    result = _Structure() if structure else None
    if result is not None:
        _record(expat, result)
    else:
        expat.CommentHandler = expat.StartCdataSectionHandler = expat.ProcessingInstructionHandler = _markup_found
    try:
        expat.Parse(data, True)
    except _NeedsStructure:
        return _parse(data, structure=True)
    except (ExpatError, DefusedXmlException) as exc:
        raise ManifestError(f"not a safe, well-formed UTF-8 MPD ({type(exc).__name__}: {exc})") from None
    return result


def _record(expat: Any, result: _Structure) -> None:
    stack = [_Context(parent=None)]
    open_base_urls: list[_BaseUrl] = []
    local_names: dict[str, str] = {}

    def local(name: str) -> str:
        cached = local_names.get(name)
        if cached is None:
            cached = local_names[name] = name.rpartition("}")[2]
        return cached

    def start(name: str, _attributes: list[str]) -> None:  # ordered_attributes: a list is cheaper than a dict
        kind = local(name)
        if kind in BASE_HOLDERS:
            stack.append(_Context(parent=stack[-1]))
        elif kind == "BaseURL":
            base_url = _BaseUrl(context=stack[-1], start=expat.CurrentByteIndex)
            open_base_urls.append(base_url)
            expat.CharacterDataHandler = base_url.text.append
        elif kind in _URI_ELEMENTS:
            result.elements[expat.CurrentByteIndex] = stack[-1]

    def end(name: str) -> None:
        kind = local(name)
        if kind in BASE_HOLDERS:
            stack.pop()
        elif kind == "BaseURL":
            base_url = open_base_urls.pop()
            base_url.end = expat.CurrentByteIndex
            base_url.context.base_urls.append("".join(base_url.text).strip())
            result.base_urls.append(base_url)
            expat.CharacterDataHandler = open_base_urls[-1].text.append if open_base_urls else None

    expat.ordered_attributes = True
    expat.StartElementHandler = start
    expat.EndElementHandler = end


def _escape(value: str, quote: bytes) -> bytes:
    escaped = html.escape(value, quote=False)
    escaped = escaped.replace('"', "&quot;") if quote == b'"' else escaped.replace("'", "&apos;")
    return escaped.encode("utf-8")


class _Rewriter:
    def __init__(self, scope: UriScope, mpd_path: str) -> None:
        self.scope = scope
        self.root_dirs: tuple[str | None, ...] = (directory(mpd_path),)
        self.suffix = b"?" + scope.query.replace("&", "&amp;").encode("ascii")

    def dirs(self, context: _Context | None) -> tuple[str | None, ...]:
        return self.root_dirs if context is None else context.dirs(self.scope, self.root_dirs)

    def value(self, raw: bytes, quote: bytes, dirs: tuple[str | None, ...]) -> bytes | None:
        """The new raw attribute value, or None to keep it."""
        value = raw.decode("utf-8")
        if "&" in value:
            value = html.unescape(value)  # a DTD-free document has only the predefined and numeric references
        new = self.scope.tokenize(value, dirs)
        if new is None:
            return None
        if b"&" in raw or b"?" in raw or b"#" in raw:
            return _escape(new, quote)
        return raw + self.suffix

    def tag(self, tag: bytes, context: _Context | None) -> bytes:
        """One start tag with its URI attributes rewritten."""
        name = _TAG_NAME.match(tag)
        assert name is not None  # every caller's pattern starts the same way
        wanted = URI_ATTRIBUTES[name[1]]
        dirs = self.dirs(context)
        pieces: list[bytes] = []
        position = 0
        for attribute in _ATTRIBUTE.finditer(tag, name.end()):
            if attribute[1] not in wanted:
                continue
            group = 2 if attribute.start(2) >= 0 else 3
            new = self.value(attribute[group], b'"' if group == 2 else b"'", dirs)
            if new is not None:
                pieces.append(tag[position : attribute.start(group)])
                pieces.append(new)
                position = attribute.end(group)
        pieces.append(tag[position:])
        return b"".join(pieces)

    def segment_url(self, head: bytes, dirs: tuple[str | None, ...]) -> bytes:
        """Group 1 of ``_SCAN`` (``SegmentURL media="<value>``) when its directory is not inside the title."""
        cut = head.index(b'"') + 1
        new = self.value(head[cut:], b'"', dirs)
        return head if new is None else head[:cut] + new

    def flat(self, data: bytes) -> bytes:
        """No BaseURL, comment, CDATA or processing instruction: everything resolves against the MPD."""
        parts = _SCAN.split(data)  # [text, head, tag, text, head, tag, ..., text]; one of head/tag is None
        heads, tags = parts[1::3], parts[2::3]
        count = len(heads)
        # The output interleaves text, '<', head and the one shared suffix object, built with slice
        # assignments only; b"".join then copies everything once.
        out: list[bytes | None] = [b""] * (4 * count + 1)
        out[0::4] = parts[0::3]
        out[1::4] = [b"<"] * count
        out[2::4] = heads
        out[3::4] = [self.suffix] * count
        others = [index for index, tag in enumerate(tags) if tag is not None] if tags.count(None) < count else []
        for index in others:
            out[4 * index + 2] = self.tag(tags[index], None)
            out[4 * index + 3] = b""
        if not self.scope.bases_inside(self.root_dirs) or b"".join(filter(None, heads)).find(b"/.") >= 0:
            for index, head in enumerate(heads):
                if head is not None and (b"/." in head or not self.scope.bases_inside(self.root_dirs)):
                    out[4 * index + 2] = self.segment_url(head, self.root_dirs)
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
            dirs = self.dirs(context)
            head, tag = match.groups()
            if head is None:
                edits.append((match.start(), match.end(), b"<" + self.tag(tag, context)))
            elif self.scope.bases_inside(dirs) and b"/." not in head:
                edits.append((match.end(), match.end(), self.suffix))
            else:
                edits.append((match.start(), match.end(), b"<" + self.segment_url(head, dirs)))
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
            pieces.append(data[position:start])
            pieces.append(replacement)
            position = end
        pieces.append(data[position:])
        return b"".join(pieces)

    def base_url(self, data: bytes, base_url: _BaseUrl) -> tuple[int, int, bytes] | None:
        start_tag = _ANY_START_TAG.match(data, base_url.start)
        if start_tag is None or start_tag.group().endswith(b"/>") or base_url.end <= start_tag.end():
            return None
        text = "".join(base_url.text)
        uri = text.strip()
        # A BaseURL resolves against the BaseURLs of the elements around its own element.
        new = self.scope.tokenize(uri, self.dirs(base_url.context.parent)) if uri else None
        if new is None:
            return None
        leading = text[: len(text) - len(text.lstrip())]
        trailing = text[len(text.rstrip()) :]
        return start_tag.end(), base_url.end, (leading + html.escape(new, quote=False) + trailing).encode("utf-8")


def rewrite_mpd(data: bytes, scope: UriScope, mpd_path: str) -> bytes:
    """``data`` with the token on every in-scope URI; ``ManifestError`` for unsafe or broken XML.

    ``mpd_path`` is the request path of the MPD, which relative URIs resolve against.
    """
    try:
        data.decode("utf-8")  # expat is told the document is UTF-8; a UTF-16 BOM would override that
    except UnicodeDecodeError:
        raise ManifestError("the MPD is not UTF-8") from None
    structure = _parse(data, structure=data.find(b"BaseURL") >= 0)
    rewriter = _Rewriter(scope, mpd_path)
    return rewriter.flat(data) if structure is None else rewriter.structured(data, structure)
