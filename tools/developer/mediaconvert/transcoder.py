"""Runs a MediaConvert ``CreateJob`` request with ffmpeg: the job's settings over its template's, as MediaConvert would.

``run_job(request, template_settings, s3, workdir)`` reads the input from S3 and writes the
outputs to S3 with the client it is given (the tests give it one with MediaConvert's role,
IAM enforced), and answers ``Job`` as ``GetJob`` would (``Status: COMPLETE``, the output
groups' details), or raises ``JobError`` with MediaConvert's error code, after uploading
whatever a failed job had written by then (segments, never the manifests).

Every setting is read from the document; ``SCHEMA`` lists each one this executor
understands (and how), and any other key or value is refused (``UnsupportedSettingError``),
so the two executors cannot drift apart silently.

* CMAF group -> one ffmpeg run: a ``split`` per video output, each fitted into its box
  without upscaling (``FIT_NO_UPSCALE``), H.264 with x264 (QVBR approximated by CRF
  ``47 - 3 x QvbrQualityLevel`` under the same ``MaxBitrate`` peak, keyframes every
  ``GopSize`` seconds), AAC; muxed as fMP4 DASH with HLS playlists over the same
  segments (``SegmentLength``, ``FragmentLength``). Files are then named as MediaConvert
  names them, ``<base><NameModifier>...``, and an HLS I-frame-only playlist is written per
  video output with ``IFrameOnlyManifest: INCLUDE`` (byte ranges of each fragment's
  ``moof`` and first frame, ``bmff.py``).
* CMAF group with ``Encryption`` (``STATIC_KEY``, ``AES_CTR``: Common Encryption ``cenc``),
  which must write the DASH manifest only (``WriteHlsManifest: DISABLED``; this executor does
  not signal encrypted fMP4 in HLS): the renditions are encoded as above, then each clear
  rendition is packaged by Shaka Packager (npm ``shaka-packager``, pinned in package.json)
  with ``--enable_raw_key_encryption --protection_scheme cenc --clear_lead 0`` under the
  job's ``StaticKeyValue``, every sample encrypted, the same segment and fragment lengths,
  writing ``<base>.mpd`` and ``<base><NameModifier>_init.mp4`` / ``_NNNNN.mp4``. The MPD
  signals ``urn:mpeg:dash:mp4protection:2011`` with ``cenc:default_KID`` and the common
  system's PSSH (``1077efec-...``, which carries the KID for a Clear Key CDM). MediaConvert's
  ``StaticKeyProvider`` has no KID field: the job's ``UserMetadata.dashKeyId`` names it, and
  a job without one is refused. (Debian's ffmpeg 5.1 writes fragmented CENC that its own
  demuxer cannot read back, so ffmpeg does not encrypt.)
* HLS group -> one ffmpeg run with the HLS muxer (MPEG-TS segments, a variant stream per
  output, the audio as an alternate rendition); with ``Encryption`` (AES128, STATIC_KEY),
  ffmpeg's ``-hls_key_info_file`` encrypts every segment with the job's key and writes the
  key URI (``StaticKeyProvider.Url``) into the playlists.
* File group, ``FRAME_CAPTURE`` -> JPEGs ``<base><NameModifier>.NNNNNNN.jpg``: the first
  frame, then one every ``FramerateDenominator / FramerateNumerator`` seconds, at most
  ``MaxCaptures``.
"""

from __future__ import annotations

import math
import platform
import re
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools.developer.mediaconvert import bmff
from tools.developer.mediaconvert.merge import merged
from tools.developer.mediaconvert.probe import ProbeError, probe

FFMPEG_TIMEOUT = 600
X264_PRESET = "veryfast"
# Shaka Packager's prebuilt binary from npm (package.json pins shaka-packager), named by OS and CPU
# as the package names them (packager-linux-x64, packager-osx-arm64, ...).
_OS = {"linux": "linux", "darwin": "osx"}.get(sys.platform, sys.platform)
_CPU = {"x86_64": "x64", "amd64": "x64", "aarch64": "arm64"}.get(platform.machine().lower(), platform.machine())
PACKAGER = Path(__file__).resolve().parents[3] / "node_modules" / "shaka-packager" / "bin" / f"packager-{_OS}-{_CPU}"
KID = re.compile(r"[0-9a-f]{32}")


class JobError(Exception):
    """A job that ends in ``ERROR``: MediaConvert's error code and message."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class UnsupportedSettingError(Exception):
    """A setting the local executor does not implement: teach it here, or do not use the setting."""


# --- what this executor understands ---------------------------------------------------------------------
# A schema value is: a dict (an object with these keys), a frozenset (allowed values), a type (any value of
# it), IGNORED (accepted, no effect on a local encode: MediaConvert-only quality or signalling knobs),
# or a one-item list (a list of that schema). MAP_OF marks an object whose keys are names.
IGNORED = object()


@dataclass(frozen=True)
class MapOf:
    value: Any


_H264 = {
    "RateControlMode": frozenset({"QVBR"}),
    "QvbrSettings": {"QvbrQualityLevel": int},
    "MaxBitrate": int,
    "QualityTuningLevel": IGNORED,  # single- or multi-pass: a price and quality choice, same outputs here
    "CodecProfile": frozenset({"MAIN", "HIGH"}),
    "CodecLevel": frozenset({"AUTO"}),
    "GopSize": int,
    "GopSizeUnits": frozenset({"SECONDS"}),
    "GopClosedCadence": frozenset({1}),
    "SceneChangeDetect": frozenset({"DISABLED", "ENABLED", "TRANSITION_DETECTION"}),
    "InterlaceMode": frozenset({"PROGRESSIVE"}),
    "FramerateControl": frozenset({"INITIALIZE_FROM_SOURCE"}),
    "ParControl": frozenset({"INITIALIZE_FROM_SOURCE"}),
    "AdaptiveQuantization": IGNORED,
}
_VIDEO = {
    "Width": int,
    "Height": int,
    "ScalingBehavior": frozenset({"FIT_NO_UPSCALE"}),
    "Sharpness": IGNORED,
    "AntiAlias": IGNORED,
    "TimecodeInsertion": frozenset({"DISABLED"}),
    "ColorMetadata": IGNORED,
    "RespondToAfd": frozenset({"NONE"}),
    "AfdSignaling": frozenset({"NONE"}),
    "CodecSettings": {
        "Codec": frozenset({"H_264", "FRAME_CAPTURE"}),
        "H264Settings": _H264,
        "FrameCaptureSettings": {
            "FramerateNumerator": int,
            "FramerateDenominator": int,
            "MaxCaptures": int,
            "Quality": int,
        },
    },
}
_AUDIO = {
    "AudioSourceName": str,
    "LanguageCodeControl": frozenset({"FOLLOW_INPUT"}),
    "CodecSettings": {
        "Codec": frozenset({"AAC"}),
        "AacSettings": {
            "CodecProfile": frozenset({"LC"}),
            "CodingMode": frozenset({"CODING_MODE_2_0"}),
            "RateControlMode": frozenset({"CBR"}),
            "Bitrate": int,
            "SampleRate": int,
        },
    },
}
SCHEMA: dict[str, Any] = {
    "TimecodeConfig": {"Source": frozenset({"ZEROBASED"})},
    "Inputs": [
        {
            "FileInput": str,
            "TimecodeSource": frozenset({"ZEROBASED"}),
            "VideoSelector": {"Rotate": frozenset({"AUTO"})},
            "AudioSelectors": MapOf({"DefaultSelection": frozenset({"DEFAULT"})}),
        }
    ],
    "OutputGroups": [
        {
            "Name": str,
            "CustomName": str,
            "OutputGroupSettings": {
                "Type": frozenset({"CMAF_GROUP_SETTINGS", "HLS_GROUP_SETTINGS", "FILE_GROUP_SETTINGS"}),
                "HlsGroupSettings": {
                    "Destination": str,
                    "SegmentControl": frozenset({"SEGMENTED_FILES"}),
                    "SegmentLength": int,
                    "SegmentLengthControl": frozenset({"GOP_MULTIPLE"}),
                    "MinSegmentLength": frozenset({0}),
                    "ManifestDurationFormat": frozenset({"FLOATING_POINT"}),
                    "ManifestCompression": frozenset({"NONE"}),
                    "ClientCache": IGNORED,
                    "CodecSpecification": frozenset({"RFC_6381"}),
                    "StreamInfResolution": frozenset({"INCLUDE"}),
                    "OutputSelection": frozenset({"MANIFESTS_AND_SEGMENTS"}),
                    "DirectoryStructure": frozenset({"SINGLE_DIRECTORY"}),
                    "ProgramDateTime": frozenset({"EXCLUDE"}),
                    "Encryption": {
                        "EncryptionMethod": frozenset({"AES128"}),
                        "Type": frozenset({"STATIC_KEY"}),
                        "InitializationVectorInManifest": frozenset({"EXCLUDE"}),
                        "StaticKeyProvider": {
                            "KeyFormat": frozenset({"identity"}),
                            "KeyFormatVersions": frozenset({"1"}),
                            "StaticKeyValue": str,
                            "Url": str,
                        },
                    },
                },
                "CmafGroupSettings": {
                    "Destination": str,
                    "WriteHlsManifest": frozenset({"ENABLED", "DISABLED"}),
                    "WriteDashManifest": frozenset({"ENABLED", "DISABLED"}),
                    "SegmentControl": frozenset({"SEGMENTED_FILES"}),
                    "SegmentLength": int,
                    "SegmentLengthControl": frozenset({"GOP_MULTIPLE"}),
                    "FragmentLength": int,
                    "ManifestDurationFormat": frozenset({"FLOATING_POINT"}),
                    "ManifestCompression": frozenset({"NONE"}),
                    "ClientCache": IGNORED,
                    "CodecSpecification": frozenset({"RFC_6381"}),
                    "StreamInfResolution": frozenset({"INCLUDE"}),
                    "MpdProfile": frozenset({"MAIN_PROFILE"}),
                    "WriteSegmentTimelineInRepresentation": frozenset({"ENABLED"}),
                    "Encryption": {
                        "EncryptionMethod": frozenset({"AES_CTR"}),
                        "Type": frozenset({"STATIC_KEY"}),
                        "StaticKeyProvider": {"StaticKeyValue": str, "Url": str},
                    },
                },
                "FileGroupSettings": {"Destination": str},
            },
            "Outputs": [
                {
                    "NameModifier": str,
                    "OutputSettings": {
                        "HlsSettings": {
                            "AudioRenditionSets": str,
                            "IFrameOnlyManifest": frozenset({"EXCLUDE"}),
                            "AudioGroupId": str,
                            "AudioTrackType": frozenset({"ALTERNATE_AUDIO_AUTO_SELECT_DEFAULT"}),
                        }
                    },
                    "ContainerSettings": {
                        "Container": frozenset({"CMFC", "RAW", "M3U8"}),
                        "CmfcSettings": {
                            "IFrameOnlyManifest": frozenset({"INCLUDE", "EXCLUDE"}),
                            "AudioRenditionSets": str,
                            "AudioGroupId": str,
                            "AudioTrackType": frozenset({"ALTERNATE_AUDIO_AUTO_SELECT_DEFAULT"}),
                        },
                    },
                    "VideoDescription": _VIDEO,
                    "AudioDescriptions": [_AUDIO],
                }
            ],
        }
    ],
}


def check_supported(value: Any, schema: Any = SCHEMA, path: str = "Settings") -> None:
    """Refuse any key or value ``SCHEMA`` does not list."""
    if schema is IGNORED:
        return
    if isinstance(schema, MapOf):
        if not isinstance(value, dict):
            raise UnsupportedSettingError(f"{path}: expected an object")
        for key, item in value.items():
            check_supported(item, schema.value, f"{path}[{key!r}]")
    elif isinstance(schema, dict):
        if not isinstance(value, dict):
            raise UnsupportedSettingError(f"{path}: expected an object")
        for key, item in value.items():
            if key not in schema:
                raise UnsupportedSettingError(f"{path}.{key}: the local transcoder does not implement this setting")
            check_supported(item, schema[key], f"{path}.{key}")
    elif isinstance(schema, list):
        if not isinstance(value, list):
            raise UnsupportedSettingError(f"{path}: expected a list")
        for index, item in enumerate(value):
            check_supported(item, schema[0], f"{path}[{index}]")
    elif isinstance(schema, frozenset):
        if value not in schema:
            raise UnsupportedSettingError(f"{path}: {value!r} is not implemented locally (only {sorted(schema)})")
    elif not isinstance(value, schema):
        raise UnsupportedSettingError(f"{path}: expected {schema.__name__}, got {value!r}")


# --- the job ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    path: Path
    width: int
    height: int
    fps: float
    duration: float
    has_audio: bool


def _s3_location(url: str) -> tuple[str, str]:
    match = re.fullmatch(r"s3://([^/]+)/(.+)", url)
    if not match:
        raise JobError(1404, f"not an S3 location: {url}")
    return match[1], match[2]


def _client_error_code(exc: Exception) -> str:
    response = getattr(exc, "response", {}) or {}
    return str(response.get("Error", {}).get("Code", ""))


def _read_input(s3: Any, url: str, workdir: Path) -> Source:
    bucket, key = _s3_location(url)
    path = workdir / f"input{Path(key).suffix.lower()}"
    try:
        path.write_bytes(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    except Exception as exc:
        code = _client_error_code(exc)
        if code in ("AccessDenied", "403"):
            raise JobError(1401, f"Amazon S3 denied access to {url}") from exc
        raise JobError(1404, f"could not find {url} ({code or type(exc).__name__})") from exc
    try:
        probed = probe(path, file_url=url)["ProbeResults"][0]["Container"]
    except ProbeError as exc:
        raise JobError(1010, f"Unable to open input file [{url}]: {exc}") from exc
    videos = [t for t in probed["Tracks"] if t["TrackType"] == "video"]
    if not videos:
        raise JobError(1020, f"no video in {url}")
    props = videos[0]["VideoProperties"]
    width, height = props["Width"], props["Height"]
    if props.get("Rotation", 0) % 180 == 90:
        width, height = height, width
    rate = props["FrameRate"]
    return Source(
        path=path,
        width=width,
        height=height,
        fps=rate["Numerator"] / rate["Denominator"] if rate["Denominator"] else 0.0,
        duration=float(probed.get("Duration", 0.0)),
        has_audio=any(t["TrackType"] == "audio" for t in probed["Tracks"]),
    )


def fit_no_upscale(source: Source, box_width: int, box_height: int) -> tuple[int, int]:
    """``FIT_NO_UPSCALE``: scale down to fit the box, keep the aspect ratio, never enlarge; even sizes."""
    scale = min(1.0, box_width / source.width, box_height / source.height)

    def even(value: float) -> int:
        return max(2, 2 * math.floor(value / 2 + 0.5))

    return min(box_width, even(source.width * scale)), min(box_height, even(source.height * scale))


def _crf(quality: int) -> int:
    """QVBR quality level 1-10 -> an x264 CRF (lower is better): 8 -> 23, 7 -> 26, 6 -> 29."""
    return 47 - 3 * quality


def _run(command: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=FFMPEG_TIMEOUT, check=False)  # noqa: S603 - ffmpeg, argv built here


def _failure(stderr: str) -> JobError:
    first = next((line for line in stderr.splitlines() if line.strip()), "ffmpeg failed")
    return JobError(1076, f"Source Read Error: the transcoder could not read the whole input ({first.strip()[:200]})")


_GROUP_SETTINGS = {
    "CMAF_GROUP_SETTINGS": "CmafGroupSettings",
    "HLS_GROUP_SETTINGS": "HlsGroupSettings",
    "FILE_GROUP_SETTINGS": "FileGroupSettings",
}
AUDIO_GROUP_LOCAL = "audio_aac"
CONTENT_TYPES = {
    ".ts": "video/mp2t",
    ".m3u8": "application/vnd.apple.mpegurl",
    ".mpd": "application/dash+xml",
    ".mp4": "video/mp4",
    ".jpg": "image/jpeg",
}


@dataclass
class _Rendition:
    index: int  # the representation ID ffmpeg gives it
    modifier: str
    kind: str  # "video" or "audio"
    width: int = 0
    height: int = 0
    iframes: bool = False


@dataclass
class _Encode:
    """The ffmpeg arguments that encode a group's outputs (the same for CMAF and HLS groups)."""

    command: list[str]
    renditions: list[_Rendition]


def _encode(group: dict[str, Any], source: Source) -> _Encode:
    renditions: list[_Rendition] = []
    filters, maps, codec_args = [], [], []
    videos = [o for o in group["Outputs"] if "VideoDescription" in o]
    audios = [o for o in group["Outputs"] if o.get("AudioDescriptions")]
    if audios and not source.has_audio:
        raise JobError(1021, "no audio in the input for the audio output")
    gop = None
    scene_cut = True
    if videos:
        filters.append(f"[0:v]split={len(videos)}" + "".join(f"[s{i}]" for i in range(len(videos))))
    for i, output in enumerate(videos):
        description = output["VideoDescription"]
        h264 = description["CodecSettings"]["H264Settings"]
        width, height = fit_no_upscale(source, description["Width"], description["Height"])
        filters.append(f"[s{i}]scale={width}:{height}[v{i}]")
        maps += ["-map", f"[v{i}]"]
        rate = h264["MaxBitrate"]
        codec_args += [
            f"-crf:v:{i}",
            str(_crf(h264["QvbrSettings"]["QvbrQualityLevel"])),
            f"-maxrate:v:{i}",
            str(rate),
            f"-bufsize:v:{i}",
            str(2 * rate),
            f"-profile:v:{i}",
            h264["CodecProfile"].lower(),
        ]
        gop = h264["GopSize"]
        scene_cut = h264.get("SceneChangeDetect", "ENABLED") != "DISABLED"
        iframes = output["ContainerSettings"].get("CmfcSettings", {}).get("IFrameOnlyManifest") == "INCLUDE"
        renditions.append(_Rendition(i, output["NameModifier"], "video", width, height, iframes))
    for j, output in enumerate(audios):
        aac = output["AudioDescriptions"][0]["CodecSettings"]["AacSettings"]
        maps += ["-map", "0:a:0"]
        codec_args += [f"-b:a:{j}", str(aac["Bitrate"]), f"-ar:a:{j}", str(aac["SampleRate"]), f"-ac:a:{j}", "2"]
        renditions.append(_Rendition(len(videos) + j, output["NameModifier"], "audio"))
    command = ["ffmpeg", "-nostdin", "-v", "error", "-i", str(source.path)]
    if filters:
        command += ["-filter_complex", ";".join(filters)]
    command += [*maps, "-c:v", "libx264", "-preset", X264_PRESET, "-pix_fmt", "yuv420p", "-c:a", "aac"]
    if gop:
        frames = max(1, round(gop * source.fps))
        command += ["-force_key_frames", f"expr:gte(t,n_forced*{gop})", "-g", str(frames)]
        if not scene_cut:
            command += ["-sc_threshold", "0"]
    command += codec_args
    return _Encode(command, renditions)


def _cmaf(
    group: dict[str, Any],
    source: Source,
    workdir: Path,
    upload: Callable[[Path, str], None],
    key_id: str | None,
) -> list[dict[str, Any]]:
    """A CMAF group; ``key_id`` (``_cenc_key_id``) when it is encrypted."""
    cmaf = group["OutputGroupSettings"]["CmafGroupSettings"]
    bucket_prefix = cmaf["Destination"]
    base = bucket_prefix.rsplit("/", 1)[1]
    cenc = None
    if key_id is not None:
        cenc = _CencKey(key_id=key_id, key=_static_key(cmaf["Encryption"]["StaticKeyProvider"]).hex())
    out = workdir / f"cmaf-{base}"
    out.mkdir()
    encode = _encode(group, source)
    command, renditions = encode.command, encode.renditions
    sets = " ".join(
        f"id={n},streams={kind[0]}"
        for n, kind in enumerate(k for k in ("video", "audio") if any(r.kind == k for r in renditions))
    )
    command += [
        "-f", "dash",
        "-seg_duration", str(cmaf["SegmentLength"]),
        "-frag_type", "duration",
        "-frag_duration", str(cmaf["FragmentLength"]),
        "-use_template", "1",
        "-use_timeline", "1",
        "-hls_playlist", "1",
        "-hls_master_name", f"{base}.m3u8",
        "-adaptation_sets", sets,
        "-init_seg_name", "r$RepresentationID$_init.mp4",
        "-media_seg_name", "r$RepresentationID$_$Number%05d$.m4s",
        str(out / f"{base}.mpd"),
    ]  # fmt: skip
    result = _run(command)
    if result.returncode != 0 or result.stderr.strip():
        # What a failed job leaves: the segments written so far, never a manifest.
        for path in sorted(out.glob("r*_*.m4s")):
            upload(path, f"{base}_partial_{path.name}")
        raise _failure(result.stderr)
    if cenc is not None:
        return _package_cenc(out, base, renditions, cmaf, cenc, workdir, upload)
    return _package(out, base, renditions, cmaf, upload)


@dataclass(frozen=True)
class _CencKey:
    key_id: str
    key: str  # 32 hex digits; never logged


def _static_key(provider: dict[str, Any]) -> bytes:
    """A ``StaticKeyProvider``'s key: 16 bytes, written as 32 hexadecimal digits."""
    value = provider["StaticKeyValue"]
    if not re.fullmatch(r"[0-9a-fA-F]{32}", value):
        raise JobError(1030, "StaticKeyValue must be 32 hexadecimal digits")
    return bytes.fromhex(value)


def _cenc_key_id(group: dict[str, Any], metadata: dict[str, str]) -> str | None:
    """The KID of an encrypted CMAF group (None for any other group), or a refusal of what this executor
    cannot honour: checked for every group before the job encodes anything."""
    cmaf = group["OutputGroupSettings"].get("CmafGroupSettings", {})
    if "Encryption" not in cmaf:
        return None
    if cmaf.get("WriteHlsManifest") != "DISABLED" or cmaf.get("WriteDashManifest") != "ENABLED":
        raise UnsupportedSettingError(
            "CmafGroupSettings.Encryption: the local transcoder encrypts DASH-only CMAF groups "
            "(WriteHlsManifest DISABLED, WriteDashManifest ENABLED)"
        )
    key_id = metadata.get("dashKeyId", "")
    if not KID.fullmatch(key_id):
        raise UnsupportedSettingError(
            "CmafGroupSettings.Encryption STATIC_KEY: MediaConvert's StaticKeyProvider has no KID; the local "
            "transcoder needs it in the job's UserMetadata.dashKeyId (32 lowercase hex digits)"
        )
    return key_id


def _package_cenc(
    out: Path,
    base: str,
    renditions: list[_Rendition],
    cmaf: dict[str, Any],
    cenc: _CencKey,
    workdir: Path,
    upload: Callable[[Path, str], None],
) -> list[dict[str, Any]]:
    """Package ffmpeg's clear renditions with Shaka Packager: cenc (AES-CTR), every sample, DASH only."""
    if not PACKAGER.is_file():
        raise RuntimeError(f"{PACKAGER} is missing: run make setup (npm ci installs shaka-packager)")
    packaged = workdir / f"cenc-{base}"
    packaged.mkdir()
    streams = []
    details = []
    for rendition in renditions:
        clear = workdir / f"clear-{base}{rendition.modifier}.mp4"
        segments = sorted(out.glob(f"r{rendition.index}_*.m4s"))
        clear.write_bytes(b"".join(p.read_bytes() for p in [out / f"r{rendition.index}_init.mp4", *segments]))
        name = f"{base}{rendition.modifier}"
        streams.append(
            f"in={clear},stream={rendition.kind},init_segment={packaged / name}_init.mp4,"
            f"segment_template={packaged / name}_$Number%05d$.mp4"
        )
        seconds = sum(
            float(m) for m in re.findall(r"#EXTINF:([\d.]+)", (out / f"media_{rendition.index}.m3u8").read_text())
        )
        detail: dict[str, Any] = {"DurationInMs": round(seconds * 1000)}
        if rendition.kind == "video":
            detail["VideoDetails"] = {"WidthInPx": rendition.width, "HeightInPx": rendition.height}
        details.append(detail)
    command = [
        str(PACKAGER), *streams,
        "--enable_raw_key_encryption",
        "--keys", f"label=:key_id={cenc.key_id}:key={cenc.key}",
        "--protection_scheme", "cenc",
        "--protection_systems", "CommonSystem",
        "--clear_lead", "0",
        "--segment_duration", str(cmaf["SegmentLength"]),
        "--fragment_duration", str(cmaf["FragmentLength"]),
        "--generate_static_live_mpd",
        "--mpd_output", str(packaged / f"{base}.mpd"),
    ]  # fmt: skip
    result = _run(command)
    if result.returncode != 0:
        lines = [line for line in result.stderr.splitlines() if " E" in line[:6] or "Error" in line]
        first = (lines or ["packager failed"])[0].replace(cenc.key, "<key>")
        raise JobError(1999, f"packaging failed: {first[:200]}")
    for path in sorted(packaged.iterdir()):
        upload(path, path.name)
    return details


def _hls(
    group: dict[str, Any], source: Source, workdir: Path, upload: Callable[[Path, str], None]
) -> list[dict[str, Any]]:
    """An Apple HLS group: MPEG-TS segments, ``<base><modifier>.m3u8`` per output, ``<base>.m3u8`` master; with
    ``Encryption`` (AES128, STATIC_KEY), every segment encrypted whole with that key (AES-128-CBC, PKCS#7),
    the IV the segment's media sequence number (what a player uses when MediaConvert leaves the IV out,
    ``InitializationVectorInManifest: EXCLUDE``; ffmpeg writes that same value as ``IV=``), and
    ``EXT-X-KEY:METHOD=AES-128,URI="<Url>"`` in each media playlist, as MediaConvert does."""
    hls = group["OutputGroupSettings"]["HlsGroupSettings"]
    base = hls["Destination"].rsplit("/", 1)[1]
    out = workdir / "hls"
    out.mkdir()
    encode = _encode(group, source)
    command, renditions = encode.command, encode.renditions
    streams = []
    for rendition in renditions:
        kind = "v" if rendition.kind == "video" else "a"
        number = rendition.index if kind == "v" else rendition.index - sum(r.kind == "video" for r in renditions)
        default = ",default:yes" if kind == "a" else ""
        streams.append(f"{kind}:{number},agroup:{AUDIO_GROUP_LOCAL}{default},name:{rendition.modifier}")
    command += [
        "-f", "hls",
        "-hls_time", str(hls["SegmentLength"]),
        "-hls_playlist_type", "vod",
        "-hls_segment_type", "mpegts",
        "-start_number", "1",
        "-master_pl_name", f"{base}.m3u8",
        "-var_stream_map", " ".join(streams),
        "-hls_segment_filename", str(out / f"{base}%v_%05d.ts"),
    ]  # fmt: skip
    encryption = hls.get("Encryption")
    if encryption is not None:
        provider = encryption["StaticKeyProvider"]
        key = _static_key(provider)
        key_file = workdir / "content.key"  # removed with the workdir when the job ends
        key_file.write_bytes(key)
        (workdir / "key_info").write_text(f"{provider['Url']}\n{key_file}\n")
        command += ["-hls_key_info_file", str(workdir / "key_info")]
    command.append(str(out / f"{base}%v.m3u8"))
    result = _run(command)
    if result.returncode != 0 or result.stderr.strip():
        for path in sorted(out.glob("*.ts")):
            upload(path, f"{base}_partial_{path.name}")
        raise _failure(result.stderr)
    details = []
    for rendition in renditions:
        playlist = (out / f"{base}{rendition.modifier}.m3u8").read_text()
        seconds = sum(float(m) for m in re.findall(r"#EXTINF:([\d.]+)", playlist))
        detail: dict[str, Any] = {"DurationInMs": round(seconds * 1000)}
        if rendition.kind == "video":
            detail["VideoDetails"] = {"WidthInPx": rendition.width, "HeightInPx": rendition.height}
        details.append(detail)
    for path in sorted(out.iterdir()):
        upload(path, path.name)
    return details


def _segment_name(base: str, rendition: _Rendition, number: str) -> str:
    return f"{base}{rendition.modifier}_{number}.mp4"


def _package(
    out: Path, base: str, renditions: list[_Rendition], cmaf: dict[str, Any], upload: Callable[[Path, str], None]
) -> list[dict[str, Any]]:
    """Name the files as MediaConvert does, add the I-frame playlists, and upload; the outputs' details."""
    names: dict[str, str] = {}
    for rendition in renditions:
        names[f"r{rendition.index}_init.mp4"] = f"{base}{rendition.modifier}_init.mp4"
        for path in out.glob(f"r{rendition.index}_*.m4s"):
            number = path.stem.rsplit("_", 1)[1]
            names[path.name] = _segment_name(base, rendition, number)
        names[f"media_{rendition.index}.m3u8"] = f"{base}{rendition.modifier}.m3u8"
    mpd = (out / f"{base}.mpd").read_text()

    def representation(match: re.Match[str]) -> str:
        rendition = next(r for r in renditions if r.index == int(match[1]))
        block = match[0].replace("r$RepresentationID$_init.mp4", f"{base}{rendition.modifier}_init.mp4")
        return block.replace("r$RepresentationID$_$Number%05d$.m4s", f"{base}{rendition.modifier}_$Number%05d$.mp4")

    mpd = re.sub(r'<Representation id="(\d+)".*?</Representation>', representation, mpd, flags=re.DOTALL)
    if "r$RepresentationID$" in mpd:
        raise RuntimeError("the DASH manifest has a segment template outside a representation")
    (out / f"{base}.mpd").write_text(mpd)
    for old, new in names.items():
        (out / old).rename(out / new)
    playlists = {}
    for rendition in renditions:
        playlist = out / f"{base}{rendition.modifier}.m3u8"
        lines = [line for line in playlist.read_text().splitlines() if not line.startswith("#EXT-X-PROGRAM-DATE-TIME")]
        text = "\n".join(names.get(line, line) for line in lines) + "\n"
        text = text.replace(f'URI="r{rendition.index}_init.mp4"', f'URI="{names[f"r{rendition.index}_init.mp4"]}"')
        playlist.write_text(text)
        playlists[rendition.index] = text
    master_path = out / f"{base}.m3u8"
    master = master_path.read_text()
    for rendition in renditions:
        master = master.replace(f"media_{rendition.index}.m3u8", f"{base}{rendition.modifier}.m3u8")
    iframe_lines = []
    for rendition in renditions:
        if rendition.iframes:
            iframe_lines.append(_iframe_playlist(out, base, rendition, playlists[rendition.index], master))
    master_path.write_text(master.rstrip("\n") + "\n" + "".join(iframe_lines))
    if cmaf.get("WriteHlsManifest") == "DISABLED":
        for path in out.glob("*.m3u8"):
            path.unlink()
    if cmaf.get("WriteDashManifest") == "DISABLED":
        (out / f"{base}.mpd").unlink()
    for path in sorted(out.iterdir()):
        upload(path, path.name)
    details = []
    for rendition in renditions:
        seconds = sum(float(m) for m in re.findall(r"#EXTINF:([\d.]+)", playlists[rendition.index]))
        detail: dict[str, Any] = {"DurationInMs": round(seconds * 1000)}
        if rendition.kind == "video":
            detail["VideoDetails"] = {"WidthInPx": rendition.width, "HeightInPx": rendition.height}
        details.append(detail)
    return details


def _iframe_playlist(out: Path, base: str, rendition: _Rendition, media: str, master: str) -> str:
    """Write ``<base><modifier>_iframes.m3u8``; return its ``EXT-X-I-FRAME-STREAM-INF`` line for the master."""
    init_name = f"{base}{rendition.modifier}_init.mp4"
    scale = bmff.timescale((out / init_name).read_bytes())
    entries = []
    for line in media.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        data = (out / line).read_bytes()
        for fragment in bmff.fragments(data):
            if not fragment.first_is_sync:
                continue
            entries.append(
                (fragment.duration / scale, fragment.first_sample_end - fragment.offset, fragment.offset, line)
            )
    if not entries:
        raise RuntimeError(f"{rendition.modifier}: no fragment starts with a keyframe")
    name = f"{base}{rendition.modifier}_iframes.m3u8"
    lines = [
        "#EXTM3U",
        "#EXT-X-VERSION:7",
        f"#EXT-X-TARGETDURATION:{math.ceil(max(e[0] for e in entries))}",
        "#EXT-X-MEDIA-SEQUENCE:1",
        "#EXT-X-PLAYLIST-TYPE:VOD",
        "#EXT-X-I-FRAMES-ONLY",
        f'#EXT-X-MAP:URI="{init_name}"',
    ]
    for seconds, length, offset, segment in entries:
        lines += [f"#EXTINF:{seconds:.6f},", f"#EXT-X-BYTERANGE:{length}@{offset}", segment]
    lines.append("#EXT-X-ENDLIST")
    (out / name).write_text("\n".join(lines) + "\n")
    bandwidth = max(round(length * 8 / seconds) for seconds, length, _, _ in entries if seconds > 0)
    stream = re.search(rf"#EXT-X-STREAM-INF:(.*)\n{re.escape(base + rendition.modifier)}\.m3u8", master)
    codecs = re.search(r'CODECS="(avc1[^,"]*)', stream[1]) if stream else None
    codec = f',CODECS="{codecs[1]}"' if codecs else ""
    return (
        f"#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH={bandwidth},RESOLUTION={rendition.width}x{rendition.height}"
        f'{codec},URI="{name}"\n'
    )


def _frame_captures(
    group: dict[str, Any], source: Source, workdir: Path, upload: Callable[[Path, str], None]
) -> list[dict[str, Any]]:
    base = group["OutputGroupSettings"]["FileGroupSettings"]["Destination"].rsplit("/", 1)[1]
    out = workdir / "images"
    out.mkdir()
    details = []
    for output in group["Outputs"]:
        description = output["VideoDescription"]
        capture = description["CodecSettings"]["FrameCaptureSettings"]
        width, height = fit_no_upscale(source, description["Width"], description["Height"])
        every = capture["FramerateDenominator"] / capture["FramerateNumerator"]
        quality = round(31 - (capture["Quality"] / 100) * 29)
        pattern = out / f"{base}{output['NameModifier']}.%07d.jpg"
        # The first frame, then the first at least `every` seconds after the last one captured.
        select = f"select='isnan(prev_selected_t)+gte(t-prev_selected_t\\,{every})'"
        result = _run(
            [
                "ffmpeg", "-nostdin", "-v", "error", "-i", str(source.path),
                "-vf", f"{select},scale={width}:{height},setsar=1",
                "-fps_mode", "vfr",
                "-frames:v", str(capture["MaxCaptures"]), "-q:v", str(quality),
                "-start_number", "0", str(pattern),
            ]
        )  # fmt: skip
        if result.returncode != 0 or result.stderr.strip():
            raise _failure(result.stderr)
        captures = sorted(out.glob(f"{base}{output['NameModifier']}.*.jpg"))
        if not captures:
            raise RuntimeError(f"{output['NameModifier']}: no frame captured (MediaConvert always captures the first)")
        details.append(
            {
                "DurationInMs": round(source.duration * 1000),
                "VideoDetails": {"WidthInPx": width, "HeightInPx": height},
            }
        )
        for path in captures:
            upload(path, path.name)
    return details


def run_job(
    request: dict[str, Any], template_settings: dict[str, Any], s3: Any, workdir: Path, *, region: str, account: str
) -> dict[str, Any]:
    """Run ``request`` (CreateJob's parameters) over its template's settings; ``Job`` as GetJob answers it."""
    settings = merged(template_settings, request["Settings"])
    check_supported(settings)
    metadata = request.get("UserMetadata", {})
    key_ids = [_cenc_key_id(group, metadata) for group in settings["OutputGroups"]]
    job_id = f"{uuid.uuid4().int % 10**13:013d}-{uuid.uuid4().hex[:6]}"
    workdir.mkdir(parents=True, exist_ok=True)
    job: dict[str, Any] = {
        "Id": job_id,
        "Arn": f"arn:aws:mediaconvert:{region}:{account}:jobs/{job_id}",
        "Role": request["Role"],
        "Queue": request.get("Queue", ""),
        "JobTemplate": request.get("JobTemplate", ""),
        "Settings": settings,
        "UserMetadata": metadata,
        "AccelerationSettings": request.get("AccelerationSettings", {"Mode": "DISABLED"}),
    }
    try:
        source = _read_input(s3, settings["Inputs"][0]["FileInput"], workdir)
        groups = []
        for group, key_id in zip(settings["OutputGroups"], key_ids, strict=True):
            kind = group["OutputGroupSettings"]["Type"]
            destination = group["OutputGroupSettings"].get(_GROUP_SETTINGS[kind], {}).get("Destination")
            if not destination:
                raise JobError(1040, f"output group {group.get('Name')} has no destination")
            bucket, key = _s3_location(destination)
            prefix = key.rsplit("/", 1)[0] + "/" if "/" in key else ""

            def upload(path: Path, name: str, bucket: str = bucket, prefix: str = prefix) -> None:
                try:
                    s3.put_object(
                        Bucket=bucket,
                        Key=prefix + name,
                        Body=path.read_bytes(),
                        ContentType=CONTENT_TYPES.get(path.suffix, "application/octet-stream"),
                    )
                except Exception as exc:
                    raise JobError(1401, f"Amazon S3 denied writing s3://{bucket}/{prefix}{name}") from exc

            if kind == "CMAF_GROUP_SETTINGS":
                groups.append({"OutputDetails": _cmaf(group, source, workdir, upload, key_id)})
            elif kind == "HLS_GROUP_SETTINGS":
                groups.append({"OutputDetails": _hls(group, source, workdir, upload)})
            else:
                groups.append({"OutputDetails": _frame_captures(group, source, workdir, upload)})
    except JobError as error:
        job.update(Status="ERROR", ErrorCode=error.code, ErrorMessage=error.message)
        raise JobFailedError(job) from error
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    job.update(Status="COMPLETE", OutputGroupDetails=groups)
    return job


class JobFailedError(Exception):
    """The job ended in ``ERROR``: ``job`` is what ``GetJob`` would describe (``ErrorCode``, ``ErrorMessage``)."""

    def __init__(self, job: dict[str, Any]) -> None:
        super().__init__(f"job {job['Id']} failed: {job.get('ErrorCode')} {job.get('ErrorMessage')}")
        self.job = job
