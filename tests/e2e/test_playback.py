"""A real player (ffmpeg) plays the sample title through the issuer, the local edge and the rewriter.

The source is ``TITLE_SECONDS`` s at 24 frames a second (``assets/sample/make-title.sh``), so each of
the two video renditions has 24 x ``TITLE_SECONDS`` frames, and the audio rendition lasts the same.
"""

from __future__ import annotations

import re
import subprocess
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import pytest
from cloudfront_token.policy import cloudfront_b64decode, cloudfront_b64encode

from tests.e2e.conftest import PROTECTED_KEY_ID, PROTECTED_TITLE, TITLE_A, TITLE_B, TITLE_SECONDS, Playback

FPS = 24
VIDEO_FRAMES = FPS * TITLE_SECONDS  # 96: the source's frame count, per video rendition
OK = {200, 206}  # ffmpeg asks for "Range: bytes=0-"; S3 answers 206
VIDEO_RENDITIONS = {"180p": (320, 180), "90p": (160, 90)}


@dataclass
class Decoded:
    """What ffmpeg decoded, per output stream: frames and duration (from its framecrc output)."""

    kinds: dict[int, str]
    frames: dict[int, int]
    seconds: dict[int, float]
    sizes: dict[int, str]

    def video(self) -> list[int]:
        return [i for i, kind in self.kinds.items() if kind == "video"]

    def audio(self) -> list[int]:
        return [i for i, kind in self.kinds.items() if kind == "audio"]


_TIMEBASE = re.compile(r"#tb (\d+): (\d+)/(\d+)")
_MEDIA = re.compile(r"#media_type (\d+): (\w+)")
_DIMENSIONS = re.compile(r"#dimensions (\d+): (\d+x\d+)")


def play(url: str, *, headers: str | None = None, stream: str = "0") -> Decoded:
    """``ffmpeg -i <url>``: decode ``stream`` (default: every stream of every rendition); any error fails."""
    command = ["ffmpeg", "-nostdin", "-hide_banner", "-v", "error", "-xerror"]
    if url.startswith("https:"):
        command += ["-tls_verify", "0"]
    if headers:
        command += ["-headers", headers]
    command += ["-i", url, "-map", stream, "-fps_mode", "passthrough", "-f", "framecrc", "-"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stderr == "", result.stderr[-2000:]
    timebases: dict[int, float] = {}
    spans: dict[int, tuple[float, float]] = {}
    decoded = Decoded(kinds={}, frames={}, seconds={}, sizes={})
    for line in result.stdout.splitlines():
        if match := _TIMEBASE.fullmatch(line):
            timebases[int(match[1])] = int(match[2]) / int(match[3])
        elif match := _MEDIA.fullmatch(line):
            decoded.kinds[int(match[1])] = match[2]
        elif match := _DIMENSIONS.fullmatch(line):
            decoded.sizes[int(match[1])] = match[2]
        elif line and not line.startswith("#"):
            index, _dts, pts, duration, _size, _crc = (field.strip() for field in line.split(",")[:6])
            number = int(index)
            decoded.frames[number] = decoded.frames.get(number, 0) + 1
            start, end = int(pts) * timebases[number], (int(pts) + int(duration)) * timebases[number]
            first, last = spans.get(number, (start, end))
            spans[number] = (min(first, start), max(last, end))
    decoded.seconds = {number: last - first for number, (first, last) in spans.items()}
    return decoded


def play_each(url: str, *, headers: str | None = None) -> Decoded:
    """DASH, one stream per ffmpeg run: decoding all at once, ffmpeg's DASH demuxer drops the second
    representation's first frame and the audio's priming frame (also from a plain HTTP server)."""
    merged = Decoded(kinds={}, frames={}, seconds={}, sizes={})
    for index, stream in enumerate(("0:v:0", "0:v:1", "0:a:0")):
        decoded = play(url, headers=headers, stream=stream)
        assert list(decoded.kinds) == [0], decoded
        merged.kinds[index], merged.frames[index] = decoded.kinds[0], decoded.frames[0]
        merged.seconds[index] = decoded.seconds[0]
        if 0 in decoded.sizes:
            merged.sizes[index] = decoded.sizes[0]
    return merged


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    import ssl

    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, context=context, timeout=30) as response:
            return int(response.status), bytes(response.read())
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def segment_files(title: Path, pattern: str) -> set[str]:
    return {p.relative_to(title).as_posix() for p in title.glob(pattern)}


def assert_whole_title(decoded: Decoded) -> None:
    """Both video renditions, every frame, and the audio, for the title's whole duration."""
    assert sorted(decoded.sizes[i] for i in decoded.video()) == sorted(f"{w}x{h}" for w, h in VIDEO_RENDITIONS.values())
    for stream in decoded.video():
        assert decoded.frames[stream] == VIDEO_FRAMES, decoded
        assert decoded.seconds[stream] == pytest.approx(TITLE_SECONDS, abs=1 / FPS)
    (audio,) = decoded.audio()
    assert decoded.seconds[audio] == pytest.approx(TITLE_SECONDS, abs=0.05)


def fetched(playback: Playback, since: int, *, once: bool = True) -> dict[str, set[int]]:
    """Path -> statuses of the requests the edge answered since ``since`` (``once``: each path once)."""
    requests = playback.edge.log.requests[since:]
    paths = [path for path, _ in requests]
    if once:
        assert len(paths) == len(set(paths)), sorted(paths)
    statuses: dict[str, set[int]] = {}
    for path, status in requests:
        statuses.setdefault(path, set()).add(status)
    return statuses


def test_hls_plays_through_signed_urls(playback: Playback, sample_title: Path) -> None:
    issued = playback.issue(TITLE_A)
    since = len(playback.edge.log.requests)
    decoded = play(playback.edge.local(issued["hls"]))
    assert_whole_title(decoded)
    requests = fetched(playback, since)
    # Every playlist, init segment and media segment of every rendition, each once.
    expected = {f"/vod/{TITLE_A}/master.m3u8"}
    for rendition in (*VIDEO_RENDITIONS, "audio"):
        expected |= {f"/vod/{TITLE_A}/{name}" for name in segment_files(sample_title, f"{rendition}/*")}
    assert set(requests) == expected
    assert set().union(*requests.values()) <= OK


def test_dash_plays_through_signed_urls(playback: Playback, sample_title: Path) -> None:
    issued = playback.issue(TITLE_A)
    since = len(playback.edge.log.requests)
    assert_whole_title(play_each(playback.edge.local(issued["dash"])))
    requests = fetched(playback, since, once=False)
    expected = {f"/vod/{TITLE_A}/{name}" for name in segment_files(sample_title, "dash/*.m4s")}
    assert set(requests) == expected | {f"/vod/{TITLE_A}/manifest.mpd"}
    assert set().union(*requests.values()) <= OK


def cookie_header(issued: dict[str, Any]) -> str:
    """The issuer's three signed cookies as one ``Cookie`` request header (what a browser would send)."""
    return "Cookie: " + "; ".join(f"{name}={value}" for name, value in issued["cookies"].items()) + "\r\n"


@pytest.mark.parametrize("kind", ["hls", "dash"])
def test_plays_through_signed_cookies(playback: Playback, sample_title: Path, kind: str) -> None:
    """The manifest URL without its query parameters, and the cookies on every request instead."""
    issued = playback.issue(TITLE_A)
    assert set(issued["cookies"]) == {"CloudFront-Policy", "CloudFront-Signature", "CloudFront-Key-Pair-Id"}
    url = playback.edge.local(issued[kind]).partition("?")[0]
    since = len(playback.edge.log.requests)
    by_cookie = playback.edge.log.by_source["cookie"]
    decoded = (
        play(url, headers=cookie_header(issued)) if kind == "hls" else play_each(url, headers=cookie_header(issued))
    )
    assert_whole_title(decoded)
    requests = fetched(playback, since, once=kind == "hls")
    assert set().union(*requests.values()) <= OK
    assert all("?" not in path for path in requests)
    # Every request was let in by the cookies alone: the manifests carry no token.
    assert playback.edge.log.by_source["cookie"] - by_cookie == len(playback.edge.log.requests) - since
    segments = segment_files(sample_title, "dash/*" if kind == "dash" else "[!d]*/*")
    assert {path.removeprefix(f"/vod/{TITLE_A}/") for path in requests} >= segments


def refused(playback: Playback, url: str, reason: str, headers: dict[str, str] | None = None) -> None:
    """The edge answers 403 for ``url``, for ``reason``, and hands nothing to the rewriter or S3."""
    before = playback.edge.log.reasons[reason]
    status, body = fetch(url, headers)
    assert status == 403, body[:200]
    assert b"AccessDenied" in body
    assert playback.edge.log.reasons[reason] == before + 1


def test_tampered_signature_is_refused(playback: Playback) -> None:
    url = playback.edge.local(playback.issue(TITLE_A)["hls"])
    head, _, signature_and_rest = url.partition("&Signature=")
    signature, _, rest = signature_and_rest.partition("&")
    tampered = ("B" if signature[10] != "B" else "C").join((signature[:10], signature[11:]))
    assert tampered != signature
    assert len(tampered) == len(signature)
    refused(playback, f"{head}&Signature={tampered}&{rest}", "signature does not match the policy")
    # A policy changed after signing (a later expiry) is refused the same way.
    policy = url.partition("?Policy=")[2].partition("&")[0]
    longer = cloudfront_b64encode(cloudfront_b64decode(policy).replace(b'"AWS:EpochTime":', b'"AWS:EpochTime":9'))
    refused(playback, url.replace(policy, longer), "signature does not match the policy")
    assert fetch(url)[0] == 200  # the untampered URL still plays


def test_expired_policy_is_refused(playback: Playback) -> None:
    """The edge's clock is stopped at each moment, so how long a request takes does not move it."""
    issued = playback.issue(TITLE_A)
    url = playback.edge.local(issued["hls"])
    try:
        playback.edge.frozen_at = issued["expiresAt"] - 5
        assert fetch(url)[0] == 200  # five seconds before expiresAt
        playback.edge.frozen_at = issued["expiresAt"]
        refused(playback, url, "expired (DateLessThan)")
    finally:
        playback.edge.frozen_at = None


def test_token_for_title_a_is_refused_on_title_b(playback: Playback) -> None:
    url_a = playback.edge.local(playback.issue(TITLE_A)["hls"])
    for path in ("master.m3u8", "180p/index.m3u8", "180p/seg-000.m4s", "dash/init-0.m4s"):
        moved = url_a.replace(f"/vod/{TITLE_A}/master.m3u8", f"/vod/{TITLE_B}/{path}")
        refused(playback, moved, "the policy's Resource does not match the URL")
    assert fetch(playback.edge.local(playback.issue(TITLE_B)["hls"]))[0] == 200  # B's own token opens B


def test_manifest_without_token_is_refused(playback: Playback) -> None:
    url = playback.edge.local(playback.issue(TITLE_A)["hls"]).partition("?")[0]
    refused(playback, url, "no signature (neither query parameters nor cookies)")
    refused(playback, url.replace("master.m3u8", "manifest.mpd"), "no signature (neither query parameters nor cookies)")
    # The player is refused too: ffmpeg gets 403 and decodes nothing.
    result = subprocess.run(
        ["ffmpeg", "-nostdin", "-hide_banner", "-v", "error", "-tls_verify", "0", "-i", url, "-f", "null", "-"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "403" in result.stderr


def test_segment_left_outside_the_title_is_refused(playback: Playback, sample_title: Path) -> None:
    """A playlist of title A that names segments of title B: the rewriter leaves them alone, the edge refuses them."""
    domain = playback.edge.domain
    outside = [
        "../sample-b/180p/seg-000.m4s",
        f"https://{domain}/vod/{TITLE_B}/180p/seg-001.m4s",
        "/vod/sample-b/180p/seg-002.m4s",
    ]
    playlist = '#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:1\n#EXT-X-MAP:URI="180p/init_0.mp4"\n'
    playlist += "".join(f"#EXTINF:1.0,\n{uri}\n" for uri in ["180p/seg-003.m4s", *outside]) + "#EXT-X-ENDLIST\n"
    playback.s3.put_object(Bucket=playback.bucket, Key=f"vod/{TITLE_A}/escape.m3u8", Body=playlist.encode())
    url = playback.edge.local(playback.issue(TITLE_A)["hls"]).replace("/master.m3u8?", "/escape.m3u8?")
    token = url.partition("?")[2]

    status, body = fetch(url)
    assert status == 200
    lines = body.decode().splitlines()
    assert f"180p/seg-003.m4s?{token}" in lines
    assert f'URI="180p/init_0.mp4?{token}"' in body.decode()
    assert [line for line in lines if "sample-b" in line] == outside  # left exactly as they were

    base = url.partition("?")[0]
    for uri in outside:
        resolved = urljoin(base, uri).replace(f"https://{domain}", playback.edge.base_url)
        assert f"/vod/{TITLE_B}/" in resolved
        refused(playback, resolved, "no signature (neither query parameters nor cookies)")
        # Even with title A's token copied onto it, the URI is outside A's policy.
        refused(playback, f"{resolved}?{token}", "the policy's Resource does not match the URL")


def test_zz_every_request_was_checked(playback: Playback) -> None:
    """Runs last in this module: the edge answered nothing it had not checked (and reports the totals)."""
    log = playback.edge.log
    assert log.checked == len(log.requests) > 0
    assert log.refused == sum(1 for _, status in log.requests if status == 403)
    print(f"\nlocal edge: {log.checked} signed requests checked, {log.refused} refused: {dict(log.reasons)}")


def test_the_encrypted_sample_plays_through_the_key_service_and_its_segments_alone_do_not(
    playback: Playback, tmp_path: Path
) -> None:
    issued = playback.issue(PROTECTED_TITLE)
    assert "dash" not in issued  # an aes-128 title is HLS only
    since = len(playback.edge.log.requests)
    decoded = play(playback.edge.local(issued["hls"]))
    assert_whole_title(decoded)
    requests = fetched(playback, since, once=False)
    assert requests[f"/vod/{PROTECTED_TITLE}/keys/{PROTECTED_KEY_ID}"] == {200}
    segment = next(iter(sorted((playback.protected.path / "180p").glob("seg-*.ts"))))
    status, data = fetch(f"{playback.edge.local(issued['hls']).split('/master.m3u8?')[0]}/180p/{segment.name}?"
                         + issued["hls"].split("?", 1)[1])  # fmt: skip
    assert status == 200
    (tmp_path / "alone.ts").write_bytes(data)
    alone = subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-i", str(tmp_path / "alone.ts"), "-map", "0:v?", "-f", "framecrc", "-"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert alone.returncode != 0 or not [x for x in alone.stdout.splitlines() if x and not x.startswith("#")]
