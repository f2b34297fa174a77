"""MediaConvert's ``Probe``, answered from ffprobe in MediaConvert's response shape (``ProbeResponse``).

Only what ffprobe reads is reported: container format and duration, and per track its
type, codec, duration and (video) size, frame rate and rotation, (audio) channels and
sample rate. The response is checked against botocore's ``Probe`` output shape by the
tests. A file ffprobe cannot open raises ``ProbeError`` as MediaConvert answers
``UnprocessableEntityException`` (HTTP 422) for "malformed or corrupt" input.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

# ffprobe format names -> MediaConvert's Format enum.
_FORMATS = {
    "mov,mp4,m4a,3gp,3g2,mj2": None,  # decided by major brand below
    "matroska,webm": None,
    "mxf": "mxf",
    "mpegts": "mpegts",
    "avi": "avi",
}
_CODECS = {
    "h264": "AVC",
    "hevc": "HEVC",
    "av1": "AV1",
    "mpeg2video": "MPEG2",
    "prores": "PRORES",
    "vp8": "VP8",
    "vp9": "VP9",
    "mjpeg": "MJPEG",
    "aac": "AAC",
    "ac3": "AC3",
    "eac3": "EAC3",
    "mp3": "MP3",
    "opus": "OPUS",
    "flac": "FLAC",
    "vorbis": "VORBIS",
    "pcm_s16le": "PCM",
    "pcm_s24le": "PCM",
}


class ProbeError(Exception):
    """What MediaConvert answers with ``UnprocessableEntityException``."""

    error = "MediaConvert.UnprocessableEntityException"


def _format(data: dict[str, Any]) -> str:
    fmt = data.get("format", {})
    name = str(fmt.get("format_name", ""))
    if name.startswith("mov,mp4"):
        brand = str(fmt.get("tags", {}).get("major_brand", "")).strip()
        return "quicktime" if brand == "qt" else "mp4"
    if name.startswith("matroska"):
        return "webm" if fmt.get("tags", {}).get("DOCTYPE") == "webm" else "matroska"
    return _FORMATS.get(name) or name


def _ratio(text: str) -> tuple[int, int]:
    numerator, _, denominator = text.partition("/")
    return int(numerator or 0), int(denominator or 1)


def _rotation(stream: dict[str, Any]) -> int:
    for side in stream.get("side_data_list", []):
        if "rotation" in side:
            return int(-float(side["rotation"])) % 360
    return int(stream.get("tags", {}).get("rotate", 0)) % 360


def probe(path: Path, *, file_url: str) -> dict[str, Any]:
    """``ProbeResponse`` for the file at ``path`` (``file_url`` is the URL the request named)."""
    result = subprocess.run(  # noqa: S603 - fixed argv, a file of ours
        ["ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams", str(path)],  # noqa: S607 - Debian's ffprobe
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if result.returncode != 0:
        raise ProbeError(f"Unable to probe {file_url}: {result.stderr.strip()[:300] or 'not a media file'}")
    data = json.loads(result.stdout)
    tracks = []
    for stream in data.get("streams", []):
        kind = stream.get("codec_type")
        track: dict[str, Any] = {
            "Index": int(stream["index"]),
            "Codec": _CODECS.get(str(stream.get("codec_name")), "UNKNOWN"),
        }
        if "duration" in stream:
            track["Duration"] = float(stream["duration"])
        if kind == "video":
            numerator, denominator = _ratio(str(stream.get("avg_frame_rate") or stream.get("r_frame_rate") or "0/1"))
            track["TrackType"] = "video"
            track["VideoProperties"] = {
                "Width": int(stream["width"]),
                "Height": int(stream["height"]),
                "FrameRate": {"Numerator": numerator, "Denominator": denominator},
                "Rotation": _rotation(stream),
                **({"BitRate": int(stream["bit_rate"])} if "bit_rate" in stream else {}),
            }
        elif kind == "audio":
            track["TrackType"] = "audio"
            track["AudioProperties"] = {
                "Channels": int(stream.get("channels", 0)),
                "SampleRate": int(stream.get("sample_rate", 0)),
            }
        else:
            track["TrackType"] = "data"
        tracks.append(track)
    fmt = data.get("format", {})
    container: dict[str, Any] = {"Format": _format(data), "Tracks": tracks}
    if "duration" in fmt:
        container["Duration"] = float(fmt["duration"])
    if "bit_rate" in fmt:
        container["BitRate"] = int(fmt["bit_rate"])
    return {
        "ProbeResults": [
            {
                "Container": container,
                "Metadata": {"FileSize": path.stat().st_size},
                "TrackMappings": [
                    {
                        "VideoTrackIndexes": [t["Index"] for t in tracks if t["TrackType"] == "video"],
                        "AudioTrackIndexes": [t["Index"] for t in tracks if t["TrackType"] == "audio"],
                    }
                ],
            }
        ]
    }
