"""The MediaConvert settings of the ingest pipeline, built from the typed ladder (``stacks/config/ingest.py``).

One source of truth, two executors: the job templates the stacks synthesize
(``AWS::MediaConvert::JobTemplate.SettingsJson``) are these documents, and the
local transcoder (``tools/developer/mediaconvert/``) runs ffmpeg from the same
documents as synthesized, so the tests encode exactly what MediaConvert is asked to.

Every key is the MediaConvert API's own (PascalCase, ``JobTemplateSettings``),
which is what CloudFormation's ``SettingsJson`` and the Step Functions
``createJob`` integration take; ``stacks/config/mediaconvert_model.py`` checks them
against botocore's bundled model.

Layout of a title's outputs in the content bucket (``vod/<titleId>/``):

* ``cmaf.m3u8``, ``cmaf.mpd``: the manifests MediaConvert writes (one CMAF group:
  fMP4 segments shared by HLS and DASH, both manifests named after the group's
  destination). The workflow publishes them as ``master.m3u8`` and
  ``manifest.mpd`` (docs/api.md) only after the job succeeded: a failed job
  leaves nothing the issuer signs.
* ``cmaf_<rung>.m3u8`` per video rendition, with an I-frame-only playlist each,
  ``cmaf_audio.m3u8``, and their init and media segments.
* ``images/frame_poster.<n>.jpg`` (the frame at 0 s and at ``poster_at_seconds``)
  and ``images/frame_thumb.<n>.jpg`` (one every ``thumbnail_interval_seconds``).

No template names a destination: the workflow gives each job its title's.

Protected titles (``stacks/config/protection.py``):

* ``aes-128`` titles use the ``-aes128`` templates: an Apple HLS group (``hls.m3u8``,
  ``hls_<rung>.m3u8``, MPEG-TS segments) in place of the CMAF group, and the job adds
  whole-segment AES-128 with a static key (``HlsGroupSettings.Encryption``: the title's
  HLS content key and the key URI ``keys/<keyId>``, relative to the playlists, so on the
  distribution's domain inside the title). A third group, CMAF writing the DASH manifest
  only (``dash.mpd``, ``dash_<rung>_init.mp4`` and segments), which the job encrypts with
  Common Encryption (``CmafGroupSettings.Encryption``: ``STATIC_KEY``, ``AES_CTR``, i.e.
  ``cenc``) under the title's separate DASH content key; viewers get that key from the
  key service's Clear Key licence endpoint. No template holds a key: only the job does.
* ``speke`` titles use the clear templates and the job adds ``CmafGroupSettings.Encryption``
  with the provider (``SpekeKeyProviderCmaf``).

``lambda/ingest_workflow/protection.py`` builds those job settings; the tests check them
against botocore's model like the templates.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from stacks.config.ingest import IngestConfig, Rung

# The output group destinations, relative to vod/<titleId>/, and what MediaConvert makes of them.
PACKAGE_BASE = "cmaf"
HLS_BASE = "hls"  # the HLS group's destination base (aes-128 titles)
DASH_BASE = "dash"  # the encrypted DASH-only CMAF group's destination base (aes-128 titles)
IMAGES_BASE = "images/frame"
POSTER_MODIFIER = "_poster"
THUMBNAIL_MODIFIER = "_thumb"
AUDIO_MODIFIER = "_audio"
AUDIO_GROUP = "audio_aac"
# The manifests the playback contract names (docs/api.md), published from the package's own.
PUBLISHED_MANIFESTS = {"hls": ("cmaf.m3u8", "master.m3u8"), "dash": ("cmaf.mpd", "manifest.mpd")}
PROTECTED_TEMPLATE_SUFFIX = "-aes128"
# Output group order: a job's overrides line up with the template's groups by position.
CMAF_GROUP, IMAGES_GROUP = 0, 1
DASH_GROUP = 2  # aes-128 templates only: after the images, so the first two positions mean the same everywhere
POSTER_CAPTURES = 2  # the first frame, and the one at poster_at_seconds
AUDIO_SELECTOR = "Audio Selector 1"

_QUALITY_TUNING = {"basic": "SINGLE_PASS_HQ", "professional": "MULTI_PASS_HQ"}


def input_settings() -> dict[str, Any]:
    """The input selectors, the same in every template and every job (jobs add ``FileInput``)."""
    return {
        "TimecodeSource": "ZEROBASED",
        "VideoSelector": {"Rotate": "AUTO"},
        "AudioSelectors": {AUDIO_SELECTOR: {"DefaultSelection": "DEFAULT"}},
    }


def acceleration_mode(ingest: IngestConfig) -> str:
    return ingest.acceleration.upper()


def _video_output(rung: Rung, ingest: IngestConfig) -> dict[str, Any]:
    """One CMAF video rendition (a CMAF output carries one elementary stream)."""
    return {
        "NameModifier": f"_{rung.name}",
        "ContainerSettings": {
            "Container": "CMFC",
            # An HLS I-frame-only playlist for this rendition (trick play), and the audio group it plays with.
            "CmfcSettings": {"IFrameOnlyManifest": "INCLUDE", "AudioRenditionSets": AUDIO_GROUP},
        },
        "VideoDescription": {
            "Width": rung.width,
            "Height": rung.height,
            # Fit inside the box keeping the aspect ratio, never larger than the source, no padding.
            "ScalingBehavior": "FIT_NO_UPSCALE",
            "Sharpness": 50,
            "AntiAlias": "ENABLED",
            "TimecodeInsertion": "DISABLED",
            "ColorMetadata": "INSERT",
            "RespondToAfd": "NONE",
            "AfdSignaling": "NONE",
            "CodecSettings": {
                "Codec": "H_264",
                "H264Settings": {
                    "RateControlMode": "QVBR",
                    "QvbrSettings": {"QvbrQualityLevel": rung.qvbr_quality},
                    "MaxBitrate": rung.max_bitrate,
                    "QualityTuningLevel": _QUALITY_TUNING[ingest.pricing_tier],
                    "CodecProfile": rung.profile,
                    "CodecLevel": "AUTO",
                    # Closed GOPs of a fixed length: every segment and fragment starts with an IDR frame.
                    "GopSize": ingest.gop_seconds,
                    "GopSizeUnits": "SECONDS",
                    "GopClosedCadence": 1,
                    "SceneChangeDetect": "TRANSITION_DETECTION",
                    "InterlaceMode": "PROGRESSIVE",
                    "FramerateControl": "INITIALIZE_FROM_SOURCE",
                    "ParControl": "INITIALIZE_FROM_SOURCE",
                    "AdaptiveQuantization": "AUTO",
                },
            },
        },
    }


def _hls_video_output(rung: Rung, ingest: IngestConfig) -> dict[str, Any]:
    """One HLS (MPEG-TS) video rendition, the same picture and codec as the CMAF one."""
    cmaf = _video_output(rung, ingest)
    return {
        "NameModifier": cmaf["NameModifier"],
        "ContainerSettings": {"Container": "M3U8"},
        "OutputSettings": {"HlsSettings": {"AudioRenditionSets": AUDIO_GROUP, "IFrameOnlyManifest": "EXCLUDE"}},
        "VideoDescription": cmaf["VideoDescription"],
    }


def _hls_audio_output(ingest: IngestConfig) -> dict[str, Any]:
    cmaf = _audio_output(ingest)
    return {
        "NameModifier": cmaf["NameModifier"],
        "ContainerSettings": {"Container": "M3U8"},
        "OutputSettings": {
            "HlsSettings": {"AudioGroupId": AUDIO_GROUP, "AudioTrackType": "ALTERNATE_AUDIO_AUTO_SELECT_DEFAULT"}
        },
        "AudioDescriptions": cmaf["AudioDescriptions"],
    }


def _audio_output(ingest: IngestConfig) -> dict[str, Any]:
    return {
        "NameModifier": AUDIO_MODIFIER,
        "ContainerSettings": {
            "Container": "CMFC",
            "CmfcSettings": {"AudioGroupId": AUDIO_GROUP, "AudioTrackType": "ALTERNATE_AUDIO_AUTO_SELECT_DEFAULT"},
        },
        "AudioDescriptions": [
            {
                "AudioSourceName": AUDIO_SELECTOR,
                "LanguageCodeControl": "FOLLOW_INPUT",
                "CodecSettings": {
                    "Codec": "AAC",
                    "AacSettings": {
                        "CodecProfile": "LC",
                        "CodingMode": "CODING_MODE_2_0",
                        "RateControlMode": "CBR",
                        "Bitrate": ingest.audio.bitrate,
                        "SampleRate": ingest.audio.sample_rate,
                    },
                },
            }
        ],
    }


def _frame_capture(modifier: str, width: int, every_seconds: int, captures: int, quality: int) -> dict[str, Any]:
    """JPEG frames: the first, then one every ``every_seconds`` (MediaConvert FRAME_CAPTURE), at most ``captures``."""
    height = 2 * round(width * 9 / 16 / 2)
    return {
        "NameModifier": modifier,
        "ContainerSettings": {"Container": "RAW"},
        "VideoDescription": {
            "Width": width,
            "Height": height,
            "ScalingBehavior": "FIT_NO_UPSCALE",
            "CodecSettings": {
                "Codec": "FRAME_CAPTURE",
                "FrameCaptureSettings": {
                    "FramerateNumerator": 1,
                    "FramerateDenominator": every_seconds,
                    "MaxCaptures": captures,
                    "Quality": quality,
                },
            },
        },
    }


def thumbnail_captures(ingest: IngestConfig) -> int:
    """Enough thumbnails for the longest source allowed (the first frame, then one per interval)."""
    return math.ceil(ingest.max_source_minutes * 60 / ingest.thumbnail_interval_seconds) + 1


def _hls_group(ingest: IngestConfig, rungs: list[Rung]) -> dict[str, Any]:
    """An Apple HLS group (MPEG-TS segments), which the job encrypts with AES-128 (``aes-128`` titles)."""
    hls = {
        "SegmentControl": "SEGMENTED_FILES",
        "SegmentLength": ingest.segment_seconds,
        "SegmentLengthControl": "GOP_MULTIPLE",
        "MinSegmentLength": 0,
        "ManifestDurationFormat": "FLOATING_POINT",
        "ManifestCompression": "NONE",
        "ClientCache": "ENABLED",
        "CodecSpecification": "RFC_6381",
        "StreamInfResolution": "INCLUDE",
        "OutputSelection": "MANIFESTS_AND_SEGMENTS",
        "DirectoryStructure": "SINGLE_DIRECTORY",
        "ProgramDateTime": "EXCLUDE",
    }
    return {
        "Name": "Apple HLS",
        "CustomName": "abr-hls",
        "OutputGroupSettings": {"Type": "HLS_GROUP_SETTINGS", "HlsGroupSettings": hls},
        "Outputs": [*(_hls_video_output(rung, ingest) for rung in rungs), _hls_audio_output(ingest)],
    }


def _cmaf_settings(ingest: IngestConfig, *, hls: bool) -> dict[str, Any]:
    return {
        "WriteHlsManifest": "ENABLED" if hls else "DISABLED",
        "WriteDashManifest": "ENABLED",
        "SegmentControl": "SEGMENTED_FILES",
        "SegmentLength": ingest.segment_seconds,
        "SegmentLengthControl": "GOP_MULTIPLE",
        "FragmentLength": ingest.gop_seconds,
        "ManifestDurationFormat": "FLOATING_POINT",
        "ManifestCompression": "NONE",
        "ClientCache": "ENABLED",
        "CodecSpecification": "RFC_6381",
        "StreamInfResolution": "INCLUDE",
        "MpdProfile": "MAIN_PROFILE",
        "WriteSegmentTimelineInRepresentation": "ENABLED",
    }


def _dash_output(output: dict[str, Any]) -> dict[str, Any]:
    """A CMAF output for the DASH-only group: the same stream, without the HLS signalling (no HLS is written)."""
    return {**output, "ContainerSettings": {"Container": "CMFC"}}


def _dash_group(ingest: IngestConfig, rungs: list[Rung]) -> dict[str, Any]:
    """A CMAF group writing the DASH manifest only, which the job encrypts with ``cenc`` (``aes-128`` titles)."""
    return {
        "Name": "CMAF",
        "CustomName": "abr-dash",
        "OutputGroupSettings": {"Type": "CMAF_GROUP_SETTINGS", "CmafGroupSettings": _cmaf_settings(ingest, hls=False)},
        "Outputs": [
            *(_dash_output(_video_output(rung, ingest)) for rung in rungs),
            _dash_output(_audio_output(ingest)),
        ],
    }


def job_template_settings(ingest: IngestConfig, rungs: list[Rung], protection: str = "none") -> dict[str, Any]:
    """``JobTemplateSettings`` for ``rungs`` (a tail of the ladder): one CMAF group and one image group;
    for ``aes-128`` titles, an HLS group in the CMAF group's place and a DASH-only CMAF group after the images
    (the job adds both groups' encryption)."""
    package = (
        _hls_group(ingest, rungs)
        if protection == "aes-128"
        else {
            "Name": "CMAF",
            "CustomName": "abr",
            "OutputGroupSettings": {
                "Type": "CMAF_GROUP_SETTINGS",
                "CmafGroupSettings": _cmaf_settings(ingest, hls=True),
            },
            "Outputs": [*(_video_output(rung, ingest) for rung in rungs), _audio_output(ingest)],
        }
    )
    images = {
        "Name": "File Group",
        "CustomName": "images",
        "OutputGroupSettings": {"Type": "FILE_GROUP_SETTINGS", "FileGroupSettings": {}},
        "Outputs": [
            _frame_capture(POSTER_MODIFIER, ingest.poster_width, ingest.poster_at_seconds, POSTER_CAPTURES, 90),
            _frame_capture(
                THUMBNAIL_MODIFIER,
                ingest.thumbnail_width,
                ingest.thumbnail_interval_seconds,
                thumbnail_captures(ingest),
                80,
            ),
        ],
    }
    groups = [package, images]
    if protection == "aes-128":
        groups.append(_dash_group(ingest, rungs))
    return {"TimecodeConfig": {"Source": "ZEROBASED"}, "Inputs": [input_settings()], "OutputGroups": groups}


@dataclass(frozen=True)
class TemplateVariant:
    """One job template: the ladder from ``rungs[0]`` down, for sources that fit no larger rung's output."""

    name: str
    rungs: tuple[Rung, ...]
    protection: str = "none"  # "none" (CMAF; speke jobs add their encryption) or "aes-128" (HLS and DASH groups)


def template_name(environment: str, top: Rung) -> str:
    """Unique per account and region (MediaConvert's rule): the environment, and the top rung."""
    return f"showrunner-{environment}-ingest-{top.name}"


def template_variants(environment: str, ingest: IngestConfig) -> list[TemplateVariant]:
    """One template per tail of the ladder, largest first.

    A rung the source fits inside without scaling gives the source's own size, as does every
    larger rung, so the workflow drops those above the smallest such rung: what remains is
    always a tail of the ladder (``lambda/ingest_workflow/plan.py``).
    """
    ladder = ingest.ladder
    clear = [TemplateVariant(template_name(environment, ladder[k]), tuple(ladder[k:])) for k in range(len(ladder))]
    protected = [
        TemplateVariant(variant.name + PROTECTED_TEMPLATE_SUFFIX, variant.rungs, "aes-128") for variant in clear
    ]
    return clear + protected


def output_layout() -> dict[str, str]:
    """The names the workflow's functions need (passed to them as ``OUTPUT_LAYOUT``)."""
    return {
        "package": PACKAGE_BASE,
        "images": IMAGES_BASE,
        "poster": POSTER_MODIFIER,
        "thumbnails": THUMBNAIL_MODIFIER,
    }


def workflow_settings(environment: str, ingest: IngestConfig, content_bucket: str) -> str:
    """``INGEST_SETTINGS`` of the workflow function (``lambda/ingest_workflow/settings.py``): the same ladder and
    templates the stacks synthesize, and the layout above."""
    return json.dumps(
        {
            "contentBucket": content_bucket,
            "ladder": [
                {"name": r.name, "width": r.width, "height": r.height, "maxBitrate": r.max_bitrate}
                for r in ingest.ladder
            ],
            "templates": [v.name for v in template_variants(environment, ingest) if v.protection == "none"],
            "protectedTemplates": [v.name for v in template_variants(environment, ingest) if v.protection == "aes-128"],
            "hlsBase": HLS_BASE,
            "dashBase": DASH_BASE,
            "protection": ingest.protection.default,
            "speke": None
            if ingest.protection.speke is None
            else {
                "url": ingest.protection.speke.url,
                "dashSystemIds": ingest.protection.speke.dash_system_ids,
                "hlsSystemIds": ingest.protection.speke.hls_system_ids,
                "videoPreset": ingest.protection.speke.video_preset,
                "audioPreset": ingest.protection.speke.audio_preset,
            },
            "layout": {**output_layout(), "hls": PUBLISHED_MANIFESTS["hls"][1], "dash": PUBLISHED_MANIFESTS["dash"][1]},
            "maxSourceSeconds": ingest.max_source_minutes * 60,
            "posterAtSeconds": ingest.poster_at_seconds,
            "thumbnailIntervalSeconds": ingest.thumbnail_interval_seconds,
            "thumbnailCaptures": thumbnail_captures(ingest),
        },
        separators=(",", ":"),
    )
