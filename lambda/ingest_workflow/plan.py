"""From a probed source to the MediaConvert job that encodes it, or a refusal that says why.

The source's resolution and duration come from MediaConvert's ``Probe`` (run by the
workflow before this step). The plan:

* refuses a source with no video track, no audio track, no duration, or longer than
  ``maxSourceSeconds``;
* keeps the rungs of the ladder that are not upscales of the source: the largest rung
  whose box the source fits inside unscaled gives the source's own size, and so would
  every larger rung, so those larger rungs are dropped. What is left is a tail of the
  ladder, which is one of the job templates (``templates[k]`` encodes ``ladder[k:]``);
* gives the job its title's destinations (each output group's, by position) and the
  keys the workflow publishes afterwards, the poster and the thumbnails;
* protects it as the environment says (``settings.protection``, ``protection.py``): an
  ``aes-128`` title gets two fresh content keys (``contentKey`` for HLS AES-128 and
  ``dashKey`` for DASH ``cenc``, which the workflow stores before the job starts), the
  protected template of its tail of the ladder (an HLS group and a DASH-only CMAF group),
  and both published; a ``speke`` title gets the provider in its CMAF group.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cloudfront_token.policy import TITLE_ID
from showrunner_common.content_keys import CENC_SCHEME

from ingest_workflow.protection import (
    AES_128,
    PROTECTIONS,
    SPEKE,
    ContentKey,
    cenc_encryption,
    hls_encryption,
    speke_encryption,
)
from ingest_workflow.settings import Layout, Rung, Settings


class RefusedError(Exception):
    """The source cannot be ingested: ``code`` and ``reason`` are its failed status."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


@dataclass(frozen=True)
class Source:
    width: int  # as displayed (a 90 or 270 degree rotation swaps width and height)
    height: int
    duration_seconds: float
    frame_rate: float
    video_codec: str
    audio_codec: str
    container: str


def _tracks(probe: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    tracks = probe.get("Container", {}).get("Tracks") or []
    return [t for t in tracks if isinstance(t, dict) and t.get("TrackType") == kind]


def source_of(probe_response: dict[str, Any]) -> Source:
    """What the plan needs from ``Probe``'s answer (its first result), or ``RefusedError``."""
    results = probe_response.get("ProbeResults") or []
    if not results or not isinstance(results[0], dict):
        raise RefusedError("unreadable", "MediaConvert's probe found nothing it could read in the upload")
    probe = results[0]
    videos = _tracks(probe, "video")
    if not videos:
        raise RefusedError("no_video_track", "the upload has no video track")
    audios = _tracks(probe, "audio")
    if not audios:
        raise RefusedError("no_audio_track", "the upload has no audio track (every title has an AAC stereo rendition)")
    video = videos[0]
    properties = video.get("VideoProperties") or {}
    width, height = int(properties.get("Width") or 0), int(properties.get("Height") or 0)
    if width <= 0 or height <= 0:
        raise RefusedError("unreadable", "MediaConvert's probe could not read the video's resolution")
    if int(properties.get("Rotation") or 0) % 180 == 90:
        width, height = height, width
    duration = float(probe.get("Container", {}).get("Duration") or video.get("Duration") or 0)
    if not math.isfinite(duration) or duration <= 0:
        raise RefusedError("unreadable", "MediaConvert's probe could not read the upload's duration")
    rate = properties.get("FrameRate") or {}
    numerator, denominator = float(rate.get("Numerator") or 0), float(rate.get("Denominator") or 1)
    return Source(
        width=width,
        height=height,
        duration_seconds=duration,
        frame_rate=numerator / denominator if denominator else 0.0,
        video_codec=str(video.get("Codec", "")),
        audio_codec=str(audios[0].get("Codec", "")),
        container=str(probe.get("Container", {}).get("Format", "")),
    )


def _even(value: float) -> int:
    """The nearest even size (halves up), at least 2."""
    return max(2, 2 * math.floor(value / 2 + 0.5))


def fitted(width: int, height: int, rung: Rung) -> tuple[int, int]:
    """The size of ``width`` x ``height`` fitted inside the rung's box, never enlarged (FIT_NO_UPSCALE)."""
    scale = min(1.0, rung.width / width, rung.height / height)
    return min(rung.width, _even(width * scale)), min(rung.height, _even(height * scale))


def first_rung(width: int, height: int, ladder: tuple[Rung, ...]) -> int:
    """Index of the largest rung worth encoding: the smallest box the source fits inside unscaled, else the top."""
    fitting = [k for k, rung in enumerate(ladder) if width <= rung.width and height <= rung.height]
    return fitting[-1] if fitting else 0


def _keys(settings: Settings, title_id: str) -> dict[str, str]:
    layout: Layout = settings.layout
    prefix = f"vod/{title_id}"
    return {
        "prefix": prefix,
        "package": f"{prefix}/{layout.package}",
        "images": f"{prefix}/{layout.images}",
        "hls": f"{prefix}/{layout.hls}",
        "dash": f"{prefix}/{layout.dash}",
    }


def plan(
    settings: Settings,
    source_verdict: dict[str, Any],
    probe_response: dict[str, Any],
    new_key: Callable[[], ContentKey] = ContentKey.fresh,
) -> dict[str, Any]:
    """The job for a validated upload (``source_verdict`` is the validate step's answer), or ``RefusedError``."""
    title_id = str(source_verdict.get("titleId", ""))
    if not TITLE_ID.fullmatch(title_id):
        raise RefusedError("invalid_title_id", "the validated titleId does not match the titleId rule")
    source = source_of(probe_response)
    if source.duration_seconds > settings.max_source_seconds:
        raise RefusedError(
            "too_long",
            f"the upload lasts {source.duration_seconds / 60:.1f} minutes; the limit is "
            f"{settings.max_source_seconds / 60:.0f} (ingest.max_source_minutes)",
        )
    start = first_rung(source.width, source.height, settings.ladder)
    renditions = []
    for rung in settings.ladder[start:]:
        width, height = fitted(source.width, source.height, rung)
        renditions.append({"name": rung.name, "width": width, "height": height, "maxBitrate": rung.max_bitrate})
    keys = _keys(settings, title_id)
    layout = settings.layout
    bucket = settings.content_bucket
    poster_index = 1 if source.duration_seconds > settings.poster_at_seconds else 0
    thumbnails = min(
        settings.thumbnail_captures, math.floor(source.duration_seconds / settings.thumbnail_interval_seconds) + 1
    )
    protection = str(source_verdict.get("protection") or settings.protection)
    if protection not in PROTECTIONS:
        raise RefusedError("invalid_protection", f"protection must be one of {', '.join(PROTECTIONS)}")
    hls_package = dash_package = keys["package"]  # one CMAF group writes both manifests
    package: dict[str, Any] = {"CmafGroupSettings": {"Destination": f"s3://{bucket}/{keys['package']}"}}
    template = settings.templates[start]
    extra: dict[str, Any] = {}
    dash_group: list[dict[str, Any]] = []
    dash_key_id = ""
    if protection == AES_128:
        content_key, dash_key = new_key(), new_key()
        if content_key.key == dash_key.key or content_key.key_id == dash_key.key_id:
            raise ValueError("the HLS and DASH keys of a title must differ")  # a random source that repeats
        hls_package = f"{keys['prefix']}/{settings.hls_base}"
        dash_package = f"{keys['prefix']}/{settings.dash_base}"
        package = {
            "HlsGroupSettings": {
                "Destination": f"s3://{bucket}/{hls_package}",
                "Encryption": hls_encryption(content_key),
            }
        }
        dash_group = [
            {
                "OutputGroupSettings": {
                    "CmafGroupSettings": {
                        "Destination": f"s3://{bucket}/{dash_package}",
                        "Encryption": cenc_encryption(dash_key),
                    }
                }
            }
        ]
        template = settings.protected_templates[start]
        extra["contentKey"] = {"titleId": title_id, **content_key.stored()}
        extra["dashKey"] = {"titleId": title_id, **dash_key.stored(CENC_SCHEME)}
        dash_key_id = dash_key.key_id
    elif protection == SPEKE:
        if settings.speke is None:
            raise RefusedError(
                "no_key_provider",
                "the upload asks for protection 'speke', but this environment has no SPEKE key provider "
                "(ingest.protection.speke)",
            )
        package["CmafGroupSettings"]["Encryption"] = speke_encryption(settings.speke, title_id)
    publish = {
        "hls": {"copySource": f"{bucket}/{hls_package}.m3u8", "key": keys["hls"]},
        "dash": {"copySource": f"{bucket}/{dash_package}.mpd", "key": keys["dash"]},
    }
    return {
        "ok": True,
        "code": "",
        "reason": "",
        "step": "plan",
        "titleId": title_id,
        "protection": protection,
        "jobTemplate": template,
        # One entry per output group of the template, in its order: only the destinations (and a protected
        # title's encryption) differ per title.
        "outputGroups": [
            {"OutputGroupSettings": package},
            {"OutputGroupSettings": {"FileGroupSettings": {"Destination": f"s3://{bucket}/{keys['images']}"}}},
            *dash_group,
        ],
        # The KID of the DASH key, for the job's UserMetadata (MediaConvert's StaticKeyProvider has no KID field).
        "dashKeyId": dash_key_id,
        "renditions": renditions,
        "source": {
            "width": source.width,
            "height": source.height,
            "durationSeconds": source.duration_seconds,
            "frameRate": round(source.frame_rate, 3),
            "videoCodec": source.video_codec,
            "audioCodec": source.audio_codec,
            "container": source.container,
        },
        "durationSeconds": source.duration_seconds,
        # A queue wait, then MediaConvert usually runs faster than real time; a stuck job is cancelled.
        "timeoutSeconds": 3600 + 3 * math.ceil(source.duration_seconds),
        # What the workflow copies once the job succeeded: the package's manifests to the published names
        # (an aes-128 title's from its HLS and its DASH group), and what it deletes if publishing fails midway.
        "publish": publish,
        "unpublish": [{"Key": entry["key"]} for entry in publish.values()],
        "poster": f"{keys['images']}{layout.poster}.{poster_index:07d}.jpg",
        "thumbnails": {
            "prefix": f"{keys['images']}{layout.thumbnails}.",
            "count": thumbnails,
            "intervalSeconds": settings.thumbnail_interval_seconds,
        },
        **extra,
    }


def refusal(error: RefusedError) -> dict[str, Any]:
    return {"ok": False, "code": error.code, "reason": error.reason, "step": "plan"}
