"""What ingest costs per minute of source: MediaConvert's on-demand rates applied to the synthesized job template.

MediaConvert bills each output per minute of output: a video output at the rate of its
resolution class (SD below 720 lines, HD to 1080, UHD above) and pricing tier (basic:
AVC with single-pass encoding; professional: multi-pass HQ, and anything accelerated),
at frame rates up to 30 per second (above that, twice the rate). The rates are in
``prices.json``. Audio-only and frame-capture outputs are priced here at the tier's SD
video rate, as a ceiling (MediaConvert's exact rate for them was not confirmed).

The estimate reads the largest job template of the environment (the whole ladder, what a
source at or above the top rung gets); smaller sources get fewer rungs and cost less.
Accelerated transcoding adds a surcharge this table does not hold: it is reported as
unpriced rather than guessed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tools.developer.review.cost import Price, PriceTable
from tools.developer.review.intrinsics import AssemblyIndex

FILM_MINUTES = 120
TEMPLATE_TYPE = "AWS::MediaConvert::JobTemplate"


@dataclass(frozen=True)
class OutputLine:
    name: str  # the output's NameModifier, or what it is
    kind: str  # "video", "audio", "images"
    size: str  # "1920x1080" for video
    price_key: str
    price: Price | None
    ceiling: bool  # priced at a rate that is an upper bound

    @property
    def per_minute(self) -> float | None:
        return None if self.price is None else self.price.usd


@dataclass
class TranscodingEstimate:
    template: str  # the job template's name
    tier: str  # "basic" or "professional"
    accelerated: bool
    lines: list[OutputLine] = field(default_factory=list)

    def _sum(self, kinds: tuple[str, ...]) -> float:
        return sum(line.per_minute or 0.0 for line in self.lines if line.kind in kinds)

    @property
    def video_per_minute(self) -> float:
        return self._sum(("video",))

    @property
    def per_minute(self) -> float:
        """Every output, the ceilings included."""
        return self._sum(("video", "audio", "images"))

    @property
    def complete(self) -> bool:
        return not self.accelerated and all(line.price is not None for line in self.lines)

    def film(self, minutes: int = FILM_MINUTES) -> tuple[float, float]:
        """(video renditions only, every output) for a source of ``minutes``."""
        return self.video_per_minute * minutes, self.per_minute * minutes


def _resolution_class(height: int) -> str:
    return "sd" if height < 720 else "hd" if height <= 1080 else "uhd"


def _h264(output: dict[str, Any]) -> dict[str, Any]:
    settings: dict[str, Any] = output.get("VideoDescription", {}).get("CodecSettings", {}).get("H264Settings", {})
    return settings


def _outputs(settings: dict[str, Any]) -> list[dict[str, Any]]:
    return [output for group in settings.get("OutputGroups", []) for output in group.get("Outputs", [])]


def _video_count(template: dict[str, Any]) -> int:
    settings = template.get("Properties", {}).get("SettingsJson", {})
    return sum(1 for output in _outputs(settings) if _h264(output))


def estimate(index: AssemblyIndex, stacks: list[str], table: PriceTable) -> TranscodingEstimate | None:
    """The per-minute cost of the environment's largest job template, or None if it has none."""
    templates = [
        (stack, resource)
        for stack in stacks
        for resource in index.stacks[stack].resources.values()
        if resource.get("Type") == TEMPLATE_TYPE
    ]
    if not templates:
        return None
    stack, template = max(templates, key=lambda item: _video_count(item[1]))
    properties = template.get("Properties", {})
    settings = properties.get("SettingsJson", {})
    prices = table.regions.get(index.stacks[stack].region, {})
    outputs = _outputs(settings)
    multi_pass = any(_h264(o).get("QualityTuningLevel") == "MULTI_PASS_HQ" for o in outputs)
    accelerated = properties.get("AccelerationSettings", {}).get("Mode", "DISABLED") != "DISABLED"
    tier = "professional" if multi_pass or accelerated else "basic"
    result = TranscodingEstimate(template=str(properties.get("Name", "")), tier=tier, accelerated=accelerated)
    sd_key = f"mediaconvert_{tier}_sd_minute"
    for output in outputs:
        description = output.get("VideoDescription", {})
        codec = description.get("CodecSettings", {}).get("Codec")
        modifier = str(output.get("NameModifier", ""))
        if codec == "H_264":
            height = int(description.get("Height", 0))
            key = f"mediaconvert_{tier}_{_resolution_class(height)}_minute"
            size = f"{description.get('Width')}x{height}"
            result.lines.append(OutputLine(modifier, "video", size, key, prices.get(key), ceiling=False))
        elif codec == "FRAME_CAPTURE":
            result.lines.append(OutputLine(modifier, "images", "", sd_key, prices.get(sd_key), ceiling=True))
        elif output.get("AudioDescriptions"):
            result.lines.append(OutputLine(modifier, "audio", "", sd_key, prices.get(sd_key), ceiling=True))
        else:
            result.lines.append(OutputLine(modifier, "unknown", "", "", None, ceiling=False))
    return result
