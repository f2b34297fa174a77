"""The transcoding estimate: MediaConvert's per-minute rates applied to a job template, by hand-computed figures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from stacks.config import load_config
from stacks.config.mediaconvert import job_template_settings
from tests.tools.developer.review.helpers import resource, write_assembly
from tools.developer.review.cost import PriceTable
from tools.developer.review.intrinsics import AssemblyIndex
from tools.developer.review.transcoding import estimate

INGEST = load_config()["dev"].ingest
PRICES = PriceTable.load()


def _template(name: str, rungs: int, *, tier: str = "basic", acceleration: str = "DISABLED") -> dict[str, Any]:
    ingest = INGEST.model_copy(update={"pricing_tier": tier})
    return resource(
        "AWS::MediaConvert::JobTemplate",
        Name=name,
        SettingsJson=job_template_settings(ingest, list(INGEST.ladder[-rungs:])),
        AccelerationSettings={"Mode": acceleration},
    )


def _estimate(tmp_path: Path, *templates: dict[str, Any]) -> Any:
    stacks = write_assembly(tmp_path, {"dev-Ingest": {"Resources": {f"T{i}": t for i, t in enumerate(templates)}}})
    return estimate(AssemblyIndex(stacks), ["dev-Ingest"], PRICES)


def test_the_default_ladder_per_minute_and_for_a_two_hour_film(tmp_path: Path):
    result = _estimate(tmp_path, _template("small", 2), _template("full", 5))
    assert result.template == "full"  # the largest template: what a 1080p source gets
    assert result.tier == "basic"
    assert [(line.name, line.kind, line.price_key) for line in result.lines] == [
        ("_1080p", "video", "mediaconvert_basic_hd_minute"),
        ("_720p", "video", "mediaconvert_basic_hd_minute"),
        ("_540p", "video", "mediaconvert_basic_sd_minute"),
        ("_360p", "video", "mediaconvert_basic_sd_minute"),
        ("_240p", "video", "mediaconvert_basic_sd_minute"),
        ("_audio", "audio", "mediaconvert_basic_sd_minute"),
        ("_poster", "images", "mediaconvert_basic_sd_minute"),
        ("_thumb", "images", "mediaconvert_basic_sd_minute"),
    ]
    # 2 HD rungs x $0.015 + 3 SD rungs x $0.0075; audio and two image outputs at most $0.0075 each.
    assert result.video_per_minute == pytest.approx(0.0525)
    assert result.per_minute == pytest.approx(0.075)
    assert result.film() == pytest.approx((6.30, 9.00))
    assert result.complete


def test_multi_pass_is_the_professional_tier_and_acceleration_is_not_priced(tmp_path: Path):
    professional = _estimate(tmp_path / "p", _template("pro", 5, tier="professional"))
    assert professional.tier == "professional"
    assert professional.video_per_minute == pytest.approx(2 * 0.042 + 3 * 0.021)
    accelerated = _estimate(tmp_path / "a", _template("fast", 5, tier="professional", acceleration="PREFERRED"))
    assert accelerated.accelerated
    assert not accelerated.complete


def test_no_template_no_estimate(tmp_path: Path):
    stacks = write_assembly(tmp_path, {"dev-Storage": {"Resources": {"B": resource("AWS::S3::Bucket")}}})
    assert estimate(AssemblyIndex(stacks), ["dev-Storage"], PRICES) is None
