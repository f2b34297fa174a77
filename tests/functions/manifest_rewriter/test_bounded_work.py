"""Judging a URI costs the same however many alternative bases apply (docs/api.md, "Bounded work").

``UriScope.in_scope`` groups the bases (``scope.Bases``) instead of resolving against each: these tests
check it against the definition (resolve against every base, RFC 3986, written out here), and count
the resolutions it makes. Time itself is measured by ``make bench`` (benchmarks/playback.py), not here.
"""

from __future__ import annotations

from cloudfront_token.policy import Scope, Token
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from manifest_rewriter.dash import MAX_ALTERNATIVE_BASES, rewrite_mpd
from manifest_rewriter.scope import UriScope

HOST = "d111111abcdef8.cloudfront.net"
TITLE = "t1"
TOKEN = Token(policy="P", signature="S", key_pair_id="K1")


def remove_dot_segments(path: str) -> str:
    """RFC 3986 §5.2.4, as the standard writes it (input buffer, output buffer)."""
    output = ""
    while path:
        if path.startswith(("../", "./")):
            path = path[path.index("/") + 1 :]
        elif path.startswith("/./") or path == "/.":
            path = "/" + path[3:]
        elif path.startswith("/../") or path == "/..":
            path = "/" + path[4:]
            output = output[: output.rfind("/")] if "/" in output else ""
        elif path in (".", ".."):
            path = ""
        else:
            cut = path.find("/", 1)
            segment, path = (path, "") if cut < 0 else (path[:cut], path[cut:])
            output += segment
    return output


def by_definition(reference: str, dirs: list[str]) -> bool:
    return all(remove_dot_segments(base + reference).startswith(f"/vod/{TITLE}/") for base in dirs)


segment = st.sampled_from(["vod", TITLE, "other", "a", "b", "", ".", ".."])
directory = st.lists(st.sampled_from(["vod", TITLE, "other", "a", "b", "x"]), max_size=6).map(
    lambda parts: "/" + "".join(f"{part}/" for part in parts)
)


relative = st.lists(segment, min_size=1, max_size=8).map("/".join).filter(lambda text: not text.startswith("/"))


@given(relative, st.lists(directory, min_size=1, max_size=12))
@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_grouped_bases_judge_exactly_as_resolving_against_each(reference: str, dirs: list[str]):
    scope = UriScope(TOKEN, Scope(host=HOST, title_id=TITLE))
    assert scope.in_scope(reference or ".", scope.bases(dirs)) == by_definition(reference or ".", dirs)


class Counting(UriScope):
    resolutions = 0

    def resolve(self, reference: str, base_dir: str | None) -> str | None:
        Counting.resolutions += 1
        return super().resolve(reference, base_dir)


def test_a_uri_costs_a_few_resolutions_however_many_bases_apply():
    scope = Counting(TOKEN, Scope(host=HOST, title_id=TITLE))
    bases = scope.bases([f"/vod/{TITLE}/{'d/' * depth}{name}/" for depth in range(8) for name in "abcdefgh"])
    assert len(bases.dirs) == MAX_ALTERNATIVE_BASES
    Counting.resolutions = 0
    verdicts = [scope.in_scope(f"{'../' * up}x{number}.m4s", bases) for up in range(12) for number in range(100)]
    assert verdicts.count(True) == 100 * 2  # climbing 0 or 1 level stays in the title from every base
    assert Counting.resolutions <= 3 * len(verdicts)  # not 64 per URI


def test_an_mpd_of_segments_under_many_bases_is_judged_in_a_few_resolutions_per_segment():
    bases = "".join(f"<BaseURL>b{index}/</BaseURL>" for index in range(8))
    segments = "".join(f'<SegmentURL media="../s{number}.m4s"/>' for number in range(2000))
    document = (
        f'<MPD xmlns="urn:mpeg:dash:schema:mpd:2011">{bases}<Period>{bases}<AdaptationSet>'
        f"<Representation id='r'><SegmentList>{segments}</SegmentList></Representation></AdaptationSet></Period></MPD>"
    )
    scope = Counting(TOKEN, Scope(host=HOST, title_id=TITLE))
    Counting.resolutions = 0
    out = rewrite_mpd(document.encode(), scope, f"/vod/{TITLE}/manifest.mpd")
    assert out.count(b"?Policy=P&amp;Signature=S&amp;Key-Pair-Id=K1") == 2000 + 8 + 8
    assert Counting.resolutions <= 8 + 64 + 3 * 2000 + 16  # bases once, then a few per segment
