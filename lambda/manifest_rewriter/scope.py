"""Which URIs of a manifest get the viewer's token, and how it is attached.

A URI is *in scope* when it resolves (RFC 3986, dot segments removed) to
``https://<host>/vod/<titleId>/…``, where host and title come from the token's
own policy, against every base a player could resolve it against. Everything
else keeps its exact bytes: DRM key servers, other CDNs, other titles, other
schemes, ``..`` escapes, and URIs whose meaning differs between players
(``UNSAFE_URI``, ``first_segment_has_colon``): the rewriter judges the string a
player will actually use, so it refuses to guess where players disagree.

Attaching the token removes any ``Policy``/``Signature``/``Key-Pair-Id``
parameters the URI already had (a stale token baked into the manifest) and
appends the viewer's three, so every in-scope URI carries the token exactly
once and rewriting is idempotent.

``Bases`` holds the directories a relative URI may resolve against (one per
alternative base) with what the check needs precomputed, so judging a URI costs
the same however many alternatives there are (docs/api.md, "Bounded work").
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from cloudfront_token.policy import TOKEN_PARAMS, Scope, Token

# A relative reference made only of unreserved characters, with no dot segment
# and no leading slash: it resolves inside the manifest's own directory.
SAFE_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.~-/"
SAFE_FIRST = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_~-"

# What JavaScript's String.prototype.trim() and regex \s remove: Python's str.isspace() set, plus
# U+FEFF, minus U+001C-U+001F and U+0085. hls.js skips it before a URI line and url-toolkit trims it;
# Shaka and dash.js trim BaseURL text with it.
JS_WHITESPACE = "\t\n\v\f\r \xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
JS_WHITESPACE += "\u2028\u2029\u202f\u205f\u3000\ufeff"

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
# Characters that make a URI mean different things to different clients, so it is never tokenized:
# * percent-encoded '.', '/' or '\' (WHATWG decodes %2e in dot segments) and a backslash (browsers read '/');
# * whitespace, quotes, angle brackets, controls, and U+FEFF, which JavaScript trims but Python does not;
# * ';': url-toolkit (hls.js) splits RFC 1808 ";params" off the last segment before removing dot
#   segments, so "..;x" climbs a level there and not in RFC 3986;
# * '{', '}', %7B, %7D: HLS variable references ({$name}; Shaka also decodes %7B/%7D first) are
#   substituted by the player before it resolves the URI, so their final host is unknown here.
UNSAFE_URI = re.compile(r'%(?:2[eEfF]|5[cC]|7[bBdD])|[\\\s"<>;{}\ufeff\x00-\x1f\x7f]')


class ManifestError(ValueError):
    """The manifest cannot be rewritten safely (malformed, or a feature the rewriter refuses)."""


class UnsafeManifestError(ManifestError):
    """A well-formed manifest that uses something a player could use to move the token.

    ``str(error)`` is one of our fixed, documented reasons (docs/api.md), never the manifest's bytes,
    so it may go into the response.
    """


def is_simple(uri: str) -> bool:
    """True for the common case ``seg-00001.m4s`` or ``1080p/index.m3u8``: in scope without resolving."""
    return bool(uri) and uri[0] in SAFE_FIRST and not uri.strip(SAFE_CHARS) and "/." not in uri


def first_segment_has_colon(reference: str) -> bool:
    """A ':' before the first '/': a scheme to some parser (url-toolkit: ``1a:``; dash.js: ``a_b:``) and not to
    another (WHATWG resolves both against the *page*), so only ``https://`` is judged, anything else is refused."""
    return ":" in reference.partition("/")[0]


def remove_dot_segments(path: str) -> str:
    """RFC 3986 §5.2.4 for an absolute path (one that starts with '/')."""
    if "/." not in path:
        return path
    output: list[str] = []
    segments = path.split("/")[1:]
    for segment in segments:
        if segment == "..":
            if output:
                output.pop()
        elif segment != ".":
            output.append(segment)
    result = "/" + "/".join(output)
    if segments[-1] in (".", "..") and not result.endswith("/"):
        result += "/"
    return result


def directory(path: str) -> str:
    """The directory a relative reference resolves against: ``/vod/t/1080p/index.m3u8`` -> ``/vod/t/1080p/``."""
    return path[: path.rfind("/") + 1]


def climbs(reference: str) -> int:
    """How many levels a relative path reference climbs above the directory it is resolved against.

    ``remove_dot_segments(d + reference)`` keeps the first ``depth(d) - climbs(reference)`` segments of
    ``d`` (none if that is negative) and appends what the reference itself leaves.
    """
    if "." not in reference:
        return 0
    local = 0
    up = 0
    for segment in reference.split("/"):
        if segment == "..":
            if local:
                local -= 1
            else:
                up += 1
        elif segment != ".":
            local += 1
    return up


class Bases:
    """The directories (ending in '/') relative URIs of one element may resolve against; None for a base on
    another host. Deduplicated, grouped for ``UriScope.in_scope``: by how many of the title prefix's two
    segments (``vod``, ``<titleId>``) a directory starts with, then by depth, one representative each.
    """

    __slots__ = ("_groups", "dirs", "inside", "on_other_host")

    def __init__(self, dirs: Iterable[str | None], prefix: str) -> None:
        self.dirs: tuple[str | None, ...] = tuple(dict.fromkeys(dirs))
        self.on_other_host = None in self.dirs
        wanted = prefix.strip("/").split("/")
        groups: dict[int, dict[int, str]] = {}
        for base in self.dirs:
            if base is None:
                continue
            segments = base[1:-1].split("/") if len(base) > 1 else []
            matched = 0
            while matched < len(wanted) and matched < len(segments) and segments[matched] == wanted[matched]:
                matched += 1
            groups.setdefault(matched, {}).setdefault(len(segments), base)
        self._groups = {matched: (min(by_depth), max(by_depth), by_depth) for matched, by_depth in groups.items()}
        self.inside = not self.on_other_host and all(base is not None and base.startswith(prefix) for base in self.dirs)

    def representatives(self, up: int) -> Iterable[tuple[str, bool]]:
        """For a reference climbing ``up`` levels: one directory per class of bases that resolve it alike, and
        whether that class is known to fail without resolving.

        A directory of depth ``D`` keeps ``k = max(D - up, 0)`` of its segments. Bases whose first two segments
        are not ``vod/<titleId>`` fail when ``k >= 3``; bases inside the title pass then. For ``k`` of 2, 1 or 0
        every base of the same group gives the same path (the kept segments are the prefix's own, or none).
        """
        for matched, (low, high, by_depth) in self._groups.items():
            if high >= up + 3 and matched < 2:
                yield by_depth[high], False
            for depth in (up + 2, up + 1):
                if depth in by_depth:
                    yield by_depth[depth], True
            if low <= up:
                yield by_depth[low], True


class UriScope:
    """Decides scope and attaches the token for one request (one token, one manifest)."""

    def __init__(self, token: Token, scope: Scope) -> None:
        self.host = scope.host
        self.prefix = scope.prefix
        self.query = token.query
        self._authorities = (scope.host, f"{scope.host}:443")

    def bases(self, dirs: Iterable[str | None]) -> Bases:
        return Bases(dirs, self.prefix)

    def resolve(self, reference: str, base_dir: str | None) -> str | None:
        """The absolute path ``reference`` names on our host, or None if it leaves the host (or may).

        ``base_dir`` is the directory (ending in '/') relative references resolve against,
        or None when that base is itself on another host.
        """
        if reference.startswith("//"):
            return self._on_host(reference[2:])
        if first_segment_has_colon(reference):
            if reference[:8].lower() != "https://":
                return None
            return self._on_host(reference[8:])
        if base_dir is None:
            return None
        if reference.startswith("/"):
            return remove_dot_segments(reference)
        return remove_dot_segments(base_dir + reference)

    def _on_host(self, rest: str) -> str | None:
        slash = rest.find("/")
        authority, path = (rest, "/") if slash < 0 else (rest[:slash], rest[slash:])
        if authority.lower() not in self._authorities:
            return None
        return remove_dot_segments(path)

    def in_scope(self, uri: str, bases: Bases) -> bool:
        """True when ``uri`` resolves inside the title against every base in ``bases``."""
        if not uri or UNSAFE_URI.search(uri):
            return False
        reference = uri.partition("#")[0].partition("?")[0]
        if reference.startswith("//") or first_segment_has_colon(reference):
            path = self.resolve(reference, None)  # names its own host: no base needed
            return path is not None and path.startswith(self.prefix)
        if bases.on_other_host:
            return False  # a path on a host we do not know
        if reference.startswith("/"):
            return remove_dot_segments(reference).startswith(self.prefix)
        up = climbs(reference)
        if up == 0 and bases.inside:
            return True
        for base, resolvable in bases.representatives(up):
            if not resolvable:
                return False
            path = self.resolve(reference, base)
            if path is None or not path.startswith(self.prefix):
                return False
        return True

    def with_token(self, uri: str) -> str:
        """``uri`` with any old token parameters dropped and this token appended (before a fragment)."""
        head, hash_mark, fragment = uri.partition("#")
        path, question, query = head.partition("?")
        if question:
            kept = "&".join(p for p in query.split("&") if p.partition("=")[0] not in TOKEN_PARAMS)
            query = f"{kept}&{self.query}" if kept else self.query
        else:
            query = self.query
        return f"{path}?{query}{hash_mark}{fragment}"

    def tokenize(self, uri: str, bases: Bases) -> str | None:
        """The rewritten URI, or None to leave it exactly as it is."""
        if bases.inside and is_simple(uri):
            return f"{uri}?{self.query}"
        if self.in_scope(uri, bases):
            return self.with_token(uri)
        return None

    def resolve_base(self, base_url: str, bases: Bases) -> list[str | None]:
        """The directories a DASH BaseURL stands for, one per base it may be resolved against."""
        if UNSAFE_URI.search(base_url):
            return [None]
        reference = base_url.partition("#")[0].partition("?")[0]
        resolved: list[str | None] = []
        for base_dir in bases.dirs:
            path = self.resolve(reference, base_dir)
            resolved.append(None if path is None else directory(path))
        return resolved
