"""Which URIs of a manifest get the viewer's token, and how it is attached.

A URI is *in scope* when it resolves (RFC 3986, dot segments removed) to
``https://<host>/vod/<titleId>/…``, where host and title come from the token's
own policy. Everything else keeps its exact bytes: DRM key servers, other
CDNs, other titles, other schemes, ``..`` escapes, and URIs we cannot judge
safely (percent-encoded dots or slashes, backslashes, whitespace, control
characters, user info or an unexpected port in the authority).

Attaching the token removes any ``Policy``/``Signature``/``Key-Pair-Id``
parameters the URI already had (a stale token baked into the manifest) and
appends the viewer's three, so every in-scope URI carries the token exactly
once and rewriting is idempotent.
"""

from __future__ import annotations

import re

from cloudfront_token.policy import TOKEN_PARAMS, Scope, Token

# A relative reference made only of unreserved characters, with no dot segment
# and no leading slash: it resolves inside the manifest's own directory.
SAFE_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.~-/"
SAFE_FIRST = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_~-"

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
# Characters that make a URI ambiguous between clients: percent-encoded '.', '/' or '\',
# a backslash (browsers read it as '/'), whitespace, quotes, angle brackets, controls.
_UNSAFE = re.compile(r'%(?:2[eEfF]|5[cC])|[\\\s"<>\x00-\x1f\x7f]')


def is_simple(uri: str) -> bool:
    """True for the common case ``seg-00001.m4s`` or ``1080p/index.m3u8``: in scope without resolving."""
    return bool(uri) and uri[0] in SAFE_FIRST and not uri.strip(SAFE_CHARS) and "/." not in uri


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


class UriScope:
    """Decides scope and attaches the token for one request (one token, one manifest)."""

    def __init__(self, token: Token, scope: Scope) -> None:
        self.host = scope.host
        self.prefix = scope.prefix
        self.query = token.query
        self._authorities = (scope.host, f"{scope.host}:443")
        self._bases_inside: dict[tuple[str | None, ...], bool] = {}

    def resolve(self, reference: str, base_dir: str | None) -> str | None:
        """The absolute path ``reference`` names on our host, or None if it leaves the host.

        ``base_dir`` is the directory (ending in '/') relative references resolve against,
        or None when that base is itself on another host.
        """
        if reference.startswith("//"):
            return self._on_host(reference[2:])
        if _SCHEME.match(reference):
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

    def in_scope(self, uri: str, base_dirs: tuple[str | None, ...]) -> bool:
        """True when ``uri`` resolves inside the title against every base it may be resolved against."""
        if not uri or _UNSAFE.search(uri):
            return False
        reference = uri.partition("#")[0].partition("?")[0]
        for base_dir in base_dirs:
            path = self.resolve(reference, base_dir)
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

    def bases_inside(self, base_dirs: tuple[str | None, ...]) -> bool:
        """True when every base is a directory inside the title (so simple references are in scope)."""
        inside = self._bases_inside.get(base_dirs)
        if inside is None:
            inside = self._bases_inside[base_dirs] = all(
                base is not None and base.startswith(self.prefix) for base in base_dirs
            )
        return inside

    def tokenize(self, uri: str, base_dirs: tuple[str | None, ...]) -> str | None:
        """The rewritten URI, or None to leave it exactly as it is."""
        if is_simple(uri) and self.bases_inside(base_dirs):
            return f"{uri}?{self.query}"
        if self.in_scope(uri, base_dirs):
            return self.with_token(uri)
        return None

    def resolve_base(self, base_url: str, base_dirs: tuple[str | None, ...]) -> tuple[str | None, ...]:
        """The directories a DASH BaseURL stands for, one per base it may be resolved against."""
        if _UNSAFE.search(base_url):
            return (None,) * len(base_dirs)
        reference = base_url.partition("#")[0].partition("?")[0]
        resolved = []
        for base_dir in base_dirs:
            path = self.resolve(reference, base_dir)
            resolved.append(None if path is None else directory(path))
        return tuple(resolved)
