"""Content ingest: the ABR ladder, packaging, MediaConvert pricing choices and the limits on a source."""

from __future__ import annotations

import itertools
import re
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from stacks.config.base import FieldError, Model
from stacks.config.protection import ProtectionConfig

# The largest rung the ladder may have (UHD): MediaConvert bills above 1080 lines at its 4K rate.
MAX_RUNG_WIDTH = 3840
MAX_RUNG_HEIGHT = 2160
# AAC bitrates MediaConvert accepts for stereo AAC-LC (a subset of its fixed list, AacSettings.Bitrate).
AAC_STEREO_BITRATES = (64_000, 96_000, 128_000, 160_000, 192_000, 256_000)
_RUNG_NAME = re.compile(r"[a-z0-9]{1,16}")


class Rung(Model):
    """One rendition of the ABR ladder: the box the picture is fitted into, never upscaled.

    * ``width`` x ``height``: the largest picture of this rendition; a source is scaled down
      to fit inside it keeping its aspect ratio (MediaConvert ``FIT_NO_UPSCALE``), never up.
    * ``qvbr_quality``: MediaConvert's QVBR quality level, 1 (lowest) to 10; AWS suggests 7
      for 720p and 8-9 for 1080p and above.
    * ``max_bitrate``: the QVBR peak, bits per second (MediaConvert: 1,000 to 1,152,000,000).
    * ``profile``: H.264 profile; ``MAIN`` for the small rungs old devices play.
    """

    name: str
    width: Annotated[int, Field(ge=32, le=8192)]
    height: Annotated[int, Field(ge=32, le=8192)]
    qvbr_quality: Annotated[int, Field(ge=1, le=10)]
    max_bitrate: Annotated[int, Field(ge=1_000, le=1_152_000_000)]
    profile: Literal["MAIN", "HIGH"] = "HIGH"

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _RUNG_NAME.fullmatch(value):
            raise ValueError(f"must be 1-16 lowercase letters or digits such as '720p', got {value!r}")
        return value

    @field_validator("width", "height")
    @classmethod
    def _even(cls, value: int) -> int:
        if value % 2:
            raise ValueError(f"must be even (4:2:0 video), got {value}")
        return value


class AudioSettings(Model):
    """The one audio rendition: AAC-LC stereo (``bitrate`` in bits per second, ``sample_rate`` in Hz)."""

    bitrate: Literal[64_000, 96_000, 128_000, 160_000, 192_000, 256_000] = 128_000
    sample_rate: Literal[44_100, 48_000] = 48_000


class IngestConfig(Model):
    """The ingest pipeline (docs/architecture.md, "Ingest"; docs/cost.md, "Ingest").

    * ``ladder``: the video renditions, largest first: strictly decreasing in width, height
      and bitrate, the top at most 3840x2160. Rungs larger than a source are dropped, so a
      720p source gets the rungs from 720p down, and nothing is upscaled.
    * ``segment_seconds``, ``gop_seconds``: CMAF segment length and the keyframe interval
      (closed GOPs); a segment holds whole GOPs. Each GOP is one fragment, and the HLS
      I-frame playlists point at the first frame of each.
    * ``pricing_tier``: ``basic`` (AVC, single-pass HQ) or ``professional`` (multi-pass HQ,
      about 2.8 times the price). ``acceleration`` (``disabled``, ``preferred`` or
      ``enabled``) also bills at the professional rate, so it needs ``pricing_tier:
      professional`` as an explicit acceptance of the price.
    * ``max_source_gib``, ``max_source_minutes``: larger or longer sources are refused
      before any job is submitted (docs/cost.md has the cost of the longest allowed).
    * ``queue_concurrent_jobs``: at most this many jobs run at once in the environment's
      on-demand queue; the others wait in it.
    * ``protection``: how a title is encrypted (``stacks/config/protection.py``): ``none``,
      ``aes-128`` (built-in keys, the key service) or ``speke`` (a DRM key provider).
    * ``poster_at_seconds``: the poster is the frame at this time (the first frame when the
      title is shorter); ``thumbnail_interval_seconds`` and ``thumbnail_width``: one
      thumbnail image every so many seconds, this wide.
    """

    ladder: Annotated[list[Rung], Field(min_length=1, max_length=10)] = Field(
        default_factory=lambda: [
            Rung(name="1080p", width=1920, height=1080, qvbr_quality=8, max_bitrate=6_000_000),
            Rung(name="720p", width=1280, height=720, qvbr_quality=7, max_bitrate=3_500_000),
            Rung(name="540p", width=960, height=540, qvbr_quality=7, max_bitrate=2_000_000),
            Rung(name="360p", width=640, height=360, qvbr_quality=7, max_bitrate=1_000_000, profile="MAIN"),
            Rung(name="240p", width=426, height=240, qvbr_quality=6, max_bitrate=400_000, profile="MAIN"),
        ]
    )
    audio: AudioSettings = Field(default_factory=AudioSettings)
    segment_seconds: Annotated[int, Field(ge=1, le=30)] = 6
    gop_seconds: Annotated[int, Field(ge=1, le=10)] = 2
    pricing_tier: Literal["basic", "professional"] = "basic"
    acceleration: Literal["disabled", "preferred", "enabled"] = "disabled"
    max_source_gib: Annotated[float, Field(gt=0, le=5_000)] = 50
    max_source_minutes: Annotated[int, Field(ge=1, le=1_440)] = 240
    queue_concurrent_jobs: Annotated[int, Field(ge=1, le=100)] = 5
    poster_at_seconds: Annotated[int, Field(ge=1, le=3_600)] = 10
    thumbnail_interval_seconds: Annotated[int, Field(ge=1, le=600)] = 10
    thumbnail_width: Annotated[int, Field(ge=32, le=1920)] = 320
    poster_width: Annotated[int, Field(ge=32, le=3840)] = 1280
    protection: ProtectionConfig = Field(default_factory=ProtectionConfig)

    @field_validator("ladder")
    @classmethod
    def _ladder(cls, ladder: list[Rung]) -> list[Rung]:
        names = [rung.name for rung in ladder]
        if len(set(names)) != len(names):
            raise ValueError(f"rung names must be unique, got {names}")
        top = ladder[0]
        if top.width > MAX_RUNG_WIDTH or top.height > MAX_RUNG_HEIGHT:
            raise ValueError(
                f"the top rung {top.name} is {top.width}x{top.height}; at most {MAX_RUNG_WIDTH}x{MAX_RUNG_HEIGHT}"
            )
        for larger, smaller in itertools.pairwise(ladder):
            for field in ("width", "height", "max_bitrate"):
                if getattr(smaller, field) >= getattr(larger, field):
                    raise ValueError(
                        f"rungs must be strictly decreasing in width, height and max_bitrate, largest first: "
                        f"{smaller.name} has {field} {getattr(smaller, field)}, not below {larger.name}'s "
                        f"{getattr(larger, field)}"
                    )
        return ladder

    @model_validator(mode="after")
    def _consistent(self) -> IngestConfig:
        if self.segment_seconds % self.gop_seconds:
            raise FieldError(
                "segment_seconds",
                f"is {self.segment_seconds}, not a whole number of GOPs of {self.gop_seconds} s "
                "(each segment must start with a keyframe)",
            )
        if self.acceleration != "disabled" and self.pricing_tier != "professional":
            raise FieldError(
                "acceleration",
                f"is {self.acceleration!r}: accelerated transcoding bills at the professional tier; "
                "set pricing_tier to 'professional' to accept that price, or acceleration to 'disabled'",
            )
        return self

    @property
    def max_source_bytes(self) -> int:
        return int(self.max_source_gib * 1024**3)
