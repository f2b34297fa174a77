"""The MediaConvert documents built from the ladder, and the offline check against botocore's service model.

The check must catch what botocore's own validator catches (unknown keys, types,
minimums) and what it does not (enum values, maximums), and the service rules the
model does not state; each is shown failing on a broken copy of a real document.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from stacks.config import load_config
from stacks.config.mediaconvert import (
    AUDIO_GROUP,
    DASH_GROUP,
    job_template_settings,
    template_name,
    template_variants,
    thumbnail_captures,
)
from stacks.config.mediaconvert_model import MediaConvertSettingsError, check, problems

INGEST = load_config()["dev"].ingest
QUEUE = "arn:aws:mediaconvert:us-east-1:123456789012:queues/showrunner-dev-ingest"


def request(settings: dict[str, Any]) -> dict[str, Any]:
    return {"Name": "showrunner-dev-ingest-test", "Queue": QUEUE, "Settings": settings}


def full() -> dict[str, Any]:
    return job_template_settings(INGEST, list(INGEST.ladder))


def h264(settings: dict[str, Any], output: int = 0) -> dict[str, Any]:
    found: dict[str, Any] = settings["OutputGroups"][0]["Outputs"][output]["VideoDescription"]["CodecSettings"][
        "H264Settings"
    ]
    return found


@pytest.mark.parametrize("environment", ["dev", "staging", "prod"])
def test_every_template_of_every_environment_is_valid(environment: str):
    ingest = load_config()[environment].ingest
    variants = template_variants(environment, ingest)
    assert [v.name for v in variants] == [
        f"showrunner-{environment}-ingest-{r.name}{suffix}" for suffix in ("", "-aes128") for r in ingest.ladder
    ]
    for variant in variants:
        settings = job_template_settings(ingest, list(variant.rungs), variant.protection)
        assert problems("CreateJobTemplate", request(settings)) == []
        kinds = [group["OutputGroupSettings"]["Type"] for group in settings["OutputGroups"]]
        if variant.name.endswith("-aes128"):
            # HLS AES-128, the images, then a DASH-only CMAF group (cenc, added by the job).
            assert kinds == ["HLS_GROUP_SETTINGS", "FILE_GROUP_SETTINGS", "CMAF_GROUP_SETTINGS"]
            dash = settings["OutputGroups"][DASH_GROUP]["OutputGroupSettings"]["CmafGroupSettings"]
            assert (dash["WriteHlsManifest"], dash["WriteDashManifest"]) == ("DISABLED", "ENABLED")
            outputs = settings["OutputGroups"][DASH_GROUP]["Outputs"]
            assert [o["NameModifier"] for o in outputs] == [f"_{r.name}" for r in variant.rungs] + ["_audio"]
            assert all(o["ContainerSettings"] == {"Container": "CMFC"} for o in outputs)
        else:
            assert kinds == ["CMAF_GROUP_SETTINGS", "FILE_GROUP_SETTINGS"]
        # No template holds a key: the job adds a protected title's encryption.
        assert "Encryption" not in json.dumps(settings)


def test_templates_are_the_tails_of_the_ladder():
    variants = [v for v in template_variants("dev", INGEST) if v.protection == "none"]
    assert [[r.name for r in v.rungs] for v in variants] == [
        ["1080p", "720p", "540p", "360p", "240p"],
        ["720p", "540p", "360p", "240p"],
        ["540p", "360p", "240p"],
        ["360p", "240p"],
        ["240p"],
    ]
    assert template_name("prod", INGEST.ladder[0]) == "showrunner-prod-ingest-1080p"


def test_one_cmaf_group_every_video_rung_fitted_never_upscaled_with_an_iframe_playlist():
    settings = full()
    cmaf, images = settings["OutputGroups"]
    assert cmaf["OutputGroupSettings"]["Type"] == "CMAF_GROUP_SETTINGS"
    group = cmaf["OutputGroupSettings"]["CmafGroupSettings"]
    assert (group["WriteHlsManifest"], group["WriteDashManifest"]) == ("ENABLED", "ENABLED")
    assert (group["SegmentLength"], group["FragmentLength"]) == (6, 2)
    assert "Destination" not in group  # each job gives its title's
    videos = cmaf["Outputs"][:-1]
    assert [(o["VideoDescription"]["Width"], o["VideoDescription"]["Height"]) for o in videos] == [
        (r.width, r.height) for r in INGEST.ladder
    ]
    for output, rung in zip(videos, INGEST.ladder, strict=True):
        assert output["NameModifier"] == f"_{rung.name}"
        assert output["VideoDescription"]["ScalingBehavior"] == "FIT_NO_UPSCALE"
        assert output["ContainerSettings"]["CmfcSettings"] == {
            "IFrameOnlyManifest": "INCLUDE",
            "AudioRenditionSets": AUDIO_GROUP,
        }
        codec = output["VideoDescription"]["CodecSettings"]["H264Settings"]
        assert (codec["RateControlMode"], codec["QvbrSettings"], codec["MaxBitrate"]) == (
            "QVBR",
            {"QvbrQualityLevel": rung.qvbr_quality},
            rung.max_bitrate,
        )
        assert (codec["GopSize"], codec["GopSizeUnits"], codec["GopClosedCadence"]) == (2, "SECONDS", 1)
        assert codec["QualityTuningLevel"] == "SINGLE_PASS_HQ"  # the basic tier
    audio = cmaf["Outputs"][-1]
    assert audio["AudioDescriptions"][0]["CodecSettings"]["AacSettings"]["Bitrate"] == 128_000
    assert images["OutputGroupSettings"] == {"Type": "FILE_GROUP_SETTINGS", "FileGroupSettings": {}}
    poster, thumbs = (o["VideoDescription"]["CodecSettings"]["FrameCaptureSettings"] for o in images["Outputs"])
    assert poster == {"FramerateNumerator": 1, "FramerateDenominator": 10, "MaxCaptures": 2, "Quality": 90}
    assert thumbs["FramerateDenominator"] == 10
    assert thumbs["MaxCaptures"] == thumbnail_captures(INGEST) == 180 * 60 // 10 + 1


def test_the_professional_tier_is_multi_pass():
    ingest = load_config(overrides={"dev": {"ingest": {"pricing_tier": "professional"}}})["dev"].ingest
    assert h264(job_template_settings(ingest, list(ingest.ladder)))["QualityTuningLevel"] == "MULTI_PASS_HQ"


def test_a_mistyped_field_fails_the_check():
    settings = full()
    group = settings["OutputGroups"][0]["OutputGroupSettings"]
    group["CmafGroupSetings"] = group.pop("CmafGroupSettings")
    assert problems("CreateJobTemplate", request(settings)) == [
        'Unknown parameter in Settings.OutputGroups[0].OutputGroupSettings: "CmafGroupSetings", must be one of: '
        "CmafGroupSettings, DashIsoGroupSettings, FileGroupSettings, HlsGroupSettings, MsSmoothGroupSettings, "
        "PerFrameMetrics, Type"
    ]
    with pytest.raises(MediaConvertSettingsError, match="the test template: MediaConvert would refuse"):
        check("CreateJobTemplate", request(settings), "the test template")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        # botocore's own validator
        (lambda s: h264(s).update(MaxBitrate="6M"), "Invalid type for parameter"),
        (lambda s: h264(s)["QvbrSettings"].update(QvbrQualityLevel=0), "valid min value: 1"),
        (lambda s: s.update(outputGroups=[]), 'Unknown parameter in Settings: "outputGroups"'),
        (lambda s: s["Inputs"][0].update(FileInput="s3://x/y.mp4"), 'Unknown parameter in Settings.Inputs[0]: "File'),
        # enums and maximums, which botocore does not check
        (lambda s: h264(s).update(RateControlMode="qvbr"), "RateControlMode: 'qvbr' is not one of ['VBR', 'CBR'"),
        (lambda s: h264(s)["QvbrSettings"].update(QvbrQualityLevel=11), "QvbrQualityLevel: 11 is above the maximum"),
        (
            lambda s: s["OutputGroups"][0]["Outputs"][0]["VideoDescription"].update(ScalingBehavior="NO_UPSCALE"),
            "ScalingBehavior: 'NO_UPSCALE' is not one of",
        ),
        (lambda s: h264(s).update(MaxBitrate=2_000_000_000), "MaxBitrate: 2000000000 is above the maximum"),
        # service rules the model does not state
        (lambda s: h264(s).pop("MaxBitrate"), "QVBR without MaxBitrate"),
        (
            lambda s: s["OutputGroups"][0]["Outputs"][0]["ContainerSettings"].update(Container="MP4"),
            "a CMAF group's outputs must use the CMFC container",
        ),
        (
            lambda s: s["OutputGroups"][0]["Outputs"][0].update(AudioDescriptions=[{"AudioSourceName": "x"}]),
            "a CMAF output carries exactly one video or one audio stream, not 2",
        ),
        (
            lambda s: s["OutputGroups"][0]["Outputs"][0]["VideoDescription"].update(Width=1281),
            "VideoDescription.Width: 1281 is odd",
        ),
        (
            lambda s: s["OutputGroups"][0]["Outputs"][0]["ContainerSettings"]["CmfcSettings"].update(
                AudioRenditionSets="audio_ac3"
            ),
            "audio rendition set 'audio_ac3' has no audio output",
        ),
        (
            lambda s: s["OutputGroups"][0]["OutputGroupSettings"]["CmafGroupSettings"].update(SegmentLength=5),
            "SegmentLength 5 s is not a whole number of 2 s GOPs",
        ),
        (
            lambda s: s["OutputGroups"][1]["Outputs"][0]["ContainerSettings"].update(Container="CMFC"),
            "frame capture needs the RAW container in a file group",
        ),
        (lambda s: s["OutputGroups"][0].update(Name="${Token[TOKEN.123]}"), "an unresolved CDK token"),
    ],
)
def test_each_kind_of_mistake_is_caught(change: Any, expected: str):
    settings = copy.deepcopy(full())
    change(settings)
    found = problems("CreateJobTemplate", request(settings))
    assert any(expected in problem for problem in found), found


def test_a_job_with_only_its_input_and_destinations_is_a_valid_create_job_request():
    job: dict[str, Any] = {
        "Role": "arn:aws:iam::123456789012:role/mediaconvert",
        "JobTemplate": "showrunner-dev-ingest-1080p",
        "Queue": QUEUE,
        "AccelerationSettings": {"Mode": "DISABLED"},
        "Settings": {
            "Inputs": [{"FileInput": "s3://ingest/incoming/film.mp4", "TimecodeSource": "ZEROBASED"}],
            "OutputGroups": [
                {"OutputGroupSettings": {"CmafGroupSettings": {"Destination": "s3://content/vod/t1/cmaf"}}},
                {"OutputGroupSettings": {"FileGroupSettings": {"Destination": "s3://content/vod/t1/images/frame"}}},
            ],
        },
    }
    assert problems("CreateJob", job) == []
    job["Settings"]["OutputGroups"][0]["OutputGroupSettings"]["CmafGroupSettings"]["Destinaton"] = "s3://x"
    (problem,) = problems("CreateJob", job)
    assert problem.startswith(
        'Unknown parameter in Settings.OutputGroups[0].OutputGroupSettings.CmafGroupSettings: "Destinaton", '
        "must be one of: "
    )
