"""The ingest settings (``ingest.*``): the default ladder, and every way a ladder can be wrong at synth."""

from __future__ import annotations

from typing import Any

import pytest

from stacks.config import load_config
from tests.stacks.config.test_config import test_bad_values_stop_with_one_message_naming_the_setting as check_bad_input

RUNGS = [
    {"name": "1080p", "width": 1920, "height": 1080, "qvbr_quality": 8, "max_bitrate": 6_000_000},
    {"name": "720p", "width": 1280, "height": 720, "qvbr_quality": 7, "max_bitrate": 3_500_000},
]


def test_default_ladder_is_1080p_down_to_240p_qvbr_basic_tier_without_acceleration():
    for config in load_config().values():
        ingest = config.ingest
        assert [(r.name, r.width, r.height, r.qvbr_quality, r.max_bitrate) for r in ingest.ladder] == [
            ("1080p", 1920, 1080, 8, 6_000_000),
            ("720p", 1280, 720, 7, 3_500_000),
            ("540p", 960, 540, 7, 2_000_000),
            ("360p", 640, 360, 7, 1_000_000),
            ("240p", 426, 240, 6, 400_000),
        ]
        assert (ingest.pricing_tier, ingest.acceleration) == ("basic", "disabled")
        assert (ingest.audio.bitrate, ingest.audio.sample_rate) == (128_000, 48_000)
        assert (ingest.segment_seconds, ingest.gop_seconds) == (6, 2)


def test_limits_differ_by_environment():
    configs = load_config()
    assert configs["dev"].ingest.queue_concurrent_jobs == 2
    assert configs["dev"].ingest.max_source_bytes == 20 * 1024**3
    assert configs["prod"].ingest.queue_concurrent_jobs == 20
    assert configs["prod"].ingest.max_source_minutes == 240


def test_a_ladder_override_replaces_the_whole_ladder():
    ingest = load_config(overrides={"dev": {"ingest": {"ladder": RUNGS}}})["dev"].ingest
    assert [r.name for r in ingest.ladder] == ["1080p", "720p"]


def test_professional_tier_may_accelerate():
    ingest = load_config(overrides={"prod": {"ingest": {"pricing_tier": "professional", "acceleration": "preferred"}}})[
        "prod"
    ].ingest
    assert ingest.acceleration == "preferred"


def _rung(**changes: Any) -> list[dict[str, Any]]:
    return [RUNGS[0], {**RUNGS[1], **changes}]


@pytest.mark.parametrize(
    ("ingest", "message"),
    [
        ({"ladder": _rung(height=1080)}, "strictly decreasing in width, height and max_bitrate, largest first: 720p"),
        ({"ladder": _rung(max_bitrate=6_000_000)}, "720p has max_bitrate 6000000, not below 1080p's 6000000"),
        ({"ladder": _rung(width=1920)}, "720p has width 1920, not below 1080p's 1920"),
        ({"ladder": list(reversed(RUNGS))}, "1080p has width 1920, not below 720p's 1280"),
        (
            {"ladder": [{**RUNGS[0], "name": "4320p", "width": 7680, "height": 4320}]},
            "the top rung 4320p is 7680x4320; at most 3840x2160",
        ),
        ({"ladder": _rung(qvbr_quality=11)}, "qvbr_quality: Input should be less than or equal to 10"),
        ({"ladder": _rung(qvbr_quality=0)}, "qvbr_quality: Input should be greater than or equal to 1"),
        ({"ladder": _rung(width=1279)}, "dev.ingest.ladder.1.width: must be even (4:2:0 video), got 1279"),
        ({"ladder": _rung(name="1080p")}, "rung names must be unique"),
        ({"ladder": _rung(name="720P")}, "must be 1-16 lowercase letters or digits"),
        ({"ladder": []}, "ladder: List should have at least 1 item"),
        ({"ladder": _rung(profile="BASELINE")}, "profile: Input should be 'MAIN' or 'HIGH'"),
        ({"segment_seconds": 5}, "ingest.segment_seconds: is 5, not a whole number of GOPs of 2 s"),
        ({"acceleration": "enabled"}, "ingest.acceleration: is 'enabled': accelerated transcoding bills at the"),
        ({"pricing_tier": "cheap"}, "pricing_tier: Input should be 'basic' or 'professional'"),
        ({"audio": {"bitrate": 100_000}}, "audio.bitrate: Input should be 64000"),
        ({"max_source_gib": 0}, "max_source_gib: Input should be greater than 0"),
        ({"ladder_name": "x"}, "ladder_name: Extra inputs are not permitted"),
    ],
)
def test_bad_ingest_values(ingest: dict[str, Any], message: str):
    check_bad_input("ingest", {"dev": {"ingest": ingest}}, message)


SPEKE = {
    "url": "https://abcdefghij.execute-api.us-east-1.amazonaws.com/prod/copyProtection",
    "api_arn": "arn:aws:execute-api:us-east-1:123456789012:abcdefghij/prod/POST/copyProtection",
}


def test_protection_defaults_off_in_dev_on_with_built_in_keys_in_staging_and_prod():
    config = load_config()
    assert [config[env].ingest.protection.default for env in ("dev", "staging", "prod")] == [
        "none",
        "aes-128",
        "aes-128",
    ]
    assert config["prod"].ingest.protection.speke is None


def test_a_speke_provider_defaults_to_widevine_and_playready_in_dash_and_fairplay_in_hls():
    config = load_config(overrides={"dev": {"ingest": {"protection": {"default": "speke", "speke": SPEKE}}}})
    speke = config["dev"].ingest.protection.speke
    assert speke is not None
    assert speke.dash_system_ids == ["edef8ba9-79d6-4ace-a3c8-27dcd51d21ed", "9a04f079-9840-4286-ab92-e65be0885f95"]
    assert speke.hls_system_ids == ["94ce86fb-07ff-4f43-adb8-93d2fa968ca2"]


@pytest.mark.parametrize(
    ("protection", "message"),
    [
        ({"default": "speke"}, "protection.speke: protection.default is 'speke': set speke.url and speke.api_arn"),
        ({"default": "drm"}, "protection.default: Input should be 'none', 'aes-128' or 'speke'"),
        (
            {"speke": {**SPEKE, "url": "http://keys.example.com/speke"}},
            "dev.ingest.protection.speke.url: must be the provider's https:// URL",
        ),
        ({"speke": {**SPEKE, "api_arn": "arn:aws:iam::123456789012:role/x"}}, "must be the provider's execute-api ARN"),
        (
            {"speke": {**SPEKE, "dash_system_ids": ["00000000-0000-0000-0000-000000000000"]}},
            "is not a DRM system ID this pipeline signals (one of: Widevine edef8ba9",
        ),
        (
            {"speke": {**SPEKE, "dash_system_ids": ["94ce86fb-07ff-4f43-adb8-93d2fa968ca2"]}},
            "FairPlay (94ce86fb-07ff-4f43-adb8-93d2fa968ca2) is signalled in HLS only",
        ),
        ({"speke": {**SPEKE, "dash_system_ids": [], "hls_system_ids": []}}, "must serve at least one DRM system"),
    ],
)
def test_bad_protection_values(protection: dict[str, Any], message: str):
    check_bad_input("ingest", {"dev": {"ingest": {"protection": protection}}}, message)
