"""The workflow function's settings: one JSON environment variable, ``INGEST_SETTINGS``, written by the stacks.

The stacks build it from the same configuration as the job templates
(``stacks/constructs/ingest_workflow.py``), so the ladder the plan picks from and the
templates MediaConvert runs are one list.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


class ConfigurationError(ValueError):
    """``INGEST_SETTINGS`` is missing or malformed."""


@dataclass(frozen=True)
class Rung:
    name: str
    width: int
    height: int
    max_bitrate: int


@dataclass(frozen=True)
class Layout:
    """Where MediaConvert writes, relative to ``vod/<titleId>/``, and the published manifest names."""

    package: str  # the CMAF group's destination base: <package>.m3u8, <package>.mpd
    images: str  # the image group's destination base: <images><poster>.NNNNNNN.jpg
    poster: str
    thumbnails: str
    hls: str  # the published HLS master playlist (master.m3u8)
    dash: str  # the published DASH manifest (manifest.mpd)


@dataclass(frozen=True)
class Settings:
    content_bucket: str
    ladder: tuple[Rung, ...]
    templates: tuple[str, ...]  # templates[k] encodes ladder[k:]
    protected_templates: tuple[str, ...]  # the same, with HLS AES-128 and DASH cenc groups (aes-128 titles)
    hls_base: str  # that HLS group's destination base: <hls_base>.m3u8
    dash_base: str  # the protected templates' DASH-only CMAF group's destination base: <dash_base>.mpd
    protection: str  # what a title gets: none, aes-128 or speke (ingest_workflow/protection.py)
    speke: dict[str, Any] | None  # the SPEKE v2 provider: url, dashSystemIds, hlsSystemIds, videoPreset, audioPreset
    layout: Layout
    max_source_seconds: int
    poster_at_seconds: int
    thumbnail_interval_seconds: int
    thumbnail_captures: int

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        try:
            raw: dict[str, Any] = json.loads(env["INGEST_SETTINGS"])
            settings = cls(
                content_bucket=str(raw["contentBucket"]),
                ladder=tuple(
                    Rung(str(r["name"]), int(r["width"]), int(r["height"]), int(r["maxBitrate"])) for r in raw["ladder"]
                ),
                templates=tuple(str(name) for name in raw["templates"]),
                protected_templates=tuple(str(name) for name in raw["protectedTemplates"]),
                hls_base=str(raw["hlsBase"]),
                dash_base=str(raw["dashBase"]),
                protection=str(raw["protection"]),
                speke=dict(raw["speke"]) if raw.get("speke") is not None else None,
                layout=Layout(**{key: str(value) for key, value in raw["layout"].items()}),
                max_source_seconds=int(raw["maxSourceSeconds"]),
                poster_at_seconds=int(raw["posterAtSeconds"]),
                thumbnail_interval_seconds=int(raw["thumbnailIntervalSeconds"]),
                thumbnail_captures=int(raw["thumbnailCaptures"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigurationError(f"INGEST_SETTINGS is missing or malformed: {exc!r}") from None
        if not settings.ladder or not len(settings.templates) == len(settings.protected_templates) == len(
            settings.ladder
        ):
            raise ConfigurationError("INGEST_SETTINGS: one template per rung of the ladder, clear and protected")
        if settings.protection not in ("none", "aes-128", "speke"):
            raise ConfigurationError(f"INGEST_SETTINGS: unknown protection {settings.protection!r}")
        if settings.protection == "speke" and settings.speke is None:
            raise ConfigurationError("INGEST_SETTINGS: protection speke needs the provider")
        return settings
