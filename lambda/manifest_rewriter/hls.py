"""HLS playlists (RFC 8216bis): add the viewer's token to every in-scope URI, line by line.

No object model: the playlist is split on ``\\n`` and each line is either kept
as it is or has the token inserted, so every other byte (tag order, CRLF, a
BOM at the start, unknown tags, comments) survives unchanged.

* A URI line (not blank, not starting with ``#``) is a URI.
* ``URI="…"`` is a URI in EXT-X-KEY, -MAP, -MEDIA, -I-FRAME-STREAM-INF,
  -SESSION-KEY, -SESSION-DATA, -PART, -PRELOAD-HINT and -RENDITION-REPORT.
* Relative URIs resolve against the playlist's own directory.
* A URI with a variable reference (``{$name}``, or Shaka's ``%7B$name%7D``)
  is left exactly as it is: players substitute before resolving, so its host
  is unknown here (``scope.UNSAFE_URI``).
* Refused (``UnsafeManifestError``): ``EXT-X-DEFINE`` with ``QUERYPARAM``,
  which copies the playlist URL's query (the viewer's token) into any URI,
  and ``EXT-X-CONTENT-STEERING``, whose pathway clones move tokenized URIs to
  hosts a steering server chooses, query kept. Found anywhere in the text, as
  hls.js finds them (its multivariant patterns are not anchored to a line).

The common line (``seg-00001.m4s``) is recognized with a few C-level string
operations inside one list comprehension; anything else goes through
``UriScope.tokenize``.
"""

from __future__ import annotations

import re

from manifest_rewriter.scope import SAFE_CHARS, SAFE_FIRST, Bases, UnsafeManifestError, UriScope

URI_TAGS = (
    "EXT-X-KEY",
    "EXT-X-MAP",
    "EXT-X-MEDIA",
    "EXT-X-I-FRAME-STREAM-INF",
    "EXT-X-SESSION-KEY",
    "EXT-X-SESSION-DATA",
    "EXT-X-PART",
    "EXT-X-PRELOAD-HINT",
    "EXT-X-RENDITION-REPORT",
)
_URI_TAG = re.compile("#(?:" + "|".join(re.escape(tag) for tag in URI_TAGS) + "):")
# One attribute of an attribute list (RFC 8216 §4.2): NAME=value, the value quoted or not.
_ATTRIBUTE = re.compile(r'([A-Z0-9-]+)=("[^"\r\n]*"|[^",\r\n]*)')


_QUERYPARAM = "EXT-X-DEFINE with QUERYPARAM copies the playlist URL's query (the viewer's token) into other URIs"
_STEERING = "EXT-X-CONTENT-STEERING pathway clones move tokenized URIs to hosts a steering server chooses"


# An EXT-X-DEFINE with QUERYPARAM anywhere on its line (hls.js reads the attributes up to CR or LF).
_DEFINES_QUERYPARAM = re.compile(r"#EXT-X-DEFINE:[^\r\n]*?QUERYPARAM")


def refusal(text: str) -> str | None:
    """Why ``text`` cannot be served with a token in it, or None."""
    if "#EXT-X-CONTENT-STEERING" in text:
        return _STEERING
    if "#EXT-X-DEFINE:" in text and _DEFINES_QUERYPARAM.search(text):
        return _QUERYPARAM
    return None


class _Lines:
    def __init__(self, scope: UriScope, bases: Bases) -> None:
        self.scope = scope
        self.bases = bases

    def line(self, line: str) -> str:
        """Any line the fast path did not settle."""
        body = line[:-1] if line.endswith("\r") else line
        if body.startswith("#"):
            if _URI_TAG.match(body) is None:
                return line
            return self._tag(body) + line[len(body) :]
        uri = body.strip(" \t")
        if not uri or uri[0] == "#":  # blank, or an indented comment
            return line
        new = self.scope.tokenize(uri, self.bases)
        if new is None:
            return line
        start = body.find(uri)
        return line[:start] + new + line[start + len(uri) :]

    def _tag(self, body: str) -> str:
        """Rewrite ``URI="…"`` in a well-formed attribute list; leave a malformed one alone."""
        position = body.index(":") + 1
        edits: list[tuple[int, int, str]] = []
        while position < len(body):
            match = _ATTRIBUTE.match(body, position)
            if match is None:
                return body
            name, value = match.groups()
            if name == "URI" and len(value) >= 2 and value[0] == '"':
                new = self.scope.tokenize(value[1:-1], self.bases)
                if new is not None:
                    edits.append((match.start(2) + 1, match.end(2) - 1, new))
            position = match.end()
            if position < len(body):
                if body[position] != ",":
                    return body
                position += 1
        for start, end, new in reversed(edits):
            body = body[:start] + new + body[end:]
        return body


def rewrite_hls(text: str, scope: UriScope, playlist_path: str) -> str:
    """``text`` with the token on every in-scope URI; ``playlist_path`` is the request path.

    ``UnsafeManifestError`` for a playlist a player could use to send the token elsewhere.
    """
    reason = refusal(text)
    if reason is not None:
        raise UnsafeManifestError(reason)
    # A BOM can only start the file (RFC 8216 §4.1); anywhere else U+FEFF is part of a line, and unsafe.
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    base_dir = playlist_path[: playlist_path.rfind("/") + 1]
    bases = scope.bases((base_dir,))
    slow = _Lines(scope, bases).line
    suffix = "?" + scope.query
    in_title = bases.inside
    return bom + "\n".join(
        [
            line + suffix
            if in_title and line and line[0] in SAFE_FIRST and not line.strip(SAFE_CHARS) and "/." not in line
            else line
            if not line or (line[0] == "#" and not line.startswith("#EXT-X-"))
            else slow(line)
            for line in text[len(bom) :].split("\n")
        ]
    )
