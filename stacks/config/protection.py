"""Content protection: how the ingest pipeline encrypts a title's packaging (docs/operations.md, "Content protection").

* ``default``: what a title ingested in this environment gets, recorded in its catalog item's
  ``protection``:

  - ``none``: clear CMAF (HLS and DASH over the same fMP4 segments), signed URLs only;
  - ``aes-128``: built-in keys. The pipeline makes two fresh 16-byte content keys per title,
    stores them in the content-keys table (DynamoDB, encrypted under its own KMS key), packages
    HLS with whole-segment AES-128 under the first, whose key URI is the key service
    (``/vod/<titleId>/keys/<keyId>`` on the distribution's domain), and DASH with Common
    Encryption ``cenc`` under the second (a CMAF group writing the DASH manifest only,
    ``STATIC_KEY`` and ``AES_CTR``). Browsers play that DASH through EME's W3C Clear Key,
    whose licence is the key service's ``POST /vod/<titleId>/keys/clearkey``;
  - ``speke``: a DRM key provider (SPEKE v2) supplies the keys: one CMAF group encrypted
    with ``SpekeKeyProviderCmaf`` for the configured DRM systems (HLS and DASH).

* ``speke``: the provider, required when ``default`` is ``speke`` (and checked whenever set):
  its HTTPS URL (API Gateway fronting the provider), the ``execute-api`` ARN of its key
  method (MediaConvert calls the provider with the job's role, signed with SigV4; the Ingest
  stack grants that role ``execute-api:Invoke`` on this ARN and nothing else), the DRM
  systems signalled in DASH and in HLS (by system ID), and the SPEKE v2
  encryption presets.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from stacks.config.base import FieldError, Model

# The DRM system IDs of DASH-IF's registry that a SPEKE v2 provider may serve.
WIDEVINE = "edef8ba9-79d6-4ace-a3c8-27dcd51d21ed"
PLAYREADY = "9a04f079-9840-4286-ab92-e65be0885f95"
FAIRPLAY = "94ce86fb-07ff-4f43-adb8-93d2fa968ca2"
DRM_SYSTEMS = {WIDEVINE: "Widevine", PLAYREADY: "PlayReady", FAIRPLAY: "FairPlay"}
# FairPlay is signalled in HLS only; Widevine and PlayReady in DASH (and may be in HLS).
DASH_SYSTEMS = frozenset({WIDEVINE, PLAYREADY})

Protection = Literal["none", "aes-128", "speke"]
PROTECTIONS: tuple[str, ...] = ("none", "aes-128", "speke")
_API_ARN = re.compile(r"arn:aws(-[a-z]+)*:execute-api:[a-z0-9-]+:\d{12}:[a-z0-9]{10}/[\w*-]+/(POST|\*)/[\w*/.-]*")
# SpekeKeyProviderCmaf.Url: MediaConvert requires https (its model's pattern ^https:\/\/).
_URL = re.compile(r"https://[a-z0-9.-]+(:\d{1,5})?(/[\w.~%/-]*)?")


class SpekeConfig(Model):
    """A SPEKE v2 key provider (docs/operations.md, "Connecting a DRM key provider")."""

    url: str
    api_arn: str
    dash_system_ids: Annotated[list[str], Field(max_length=3)] = Field(default_factory=lambda: [WIDEVINE, PLAYREADY])
    hls_system_ids: Annotated[list[str], Field(max_length=3)] = Field(default_factory=lambda: [FAIRPLAY])
    video_preset: Literal["SHARED", "PRESET_VIDEO_1", "PRESET_VIDEO_2", "PRESET_VIDEO_3"] = "SHARED"
    audio_preset: Literal["SHARED", "PRESET_AUDIO_1", "UNENCRYPTED"] = "SHARED"

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not _URL.fullmatch(value):
            raise ValueError(f"must be the provider's https:// URL (no query), got {value!r}")
        return value

    @field_validator("api_arn")
    @classmethod
    def _api(cls, value: str) -> str:
        if not _API_ARN.fullmatch(value):
            raise ValueError(
                f"must be the provider's execute-api ARN (arn:aws:execute-api:<region>:<account>:<api-id>/<stage>/POST/"
                f"<path>), got {value!r}"
            )
        return value

    @field_validator("dash_system_ids", "hls_system_ids")
    @classmethod
    def _systems(cls, value: list[str]) -> list[str]:
        for system in value:
            if system not in DRM_SYSTEMS:
                known = ", ".join(f"{name} {sid}" for sid, name in DRM_SYSTEMS.items())
                raise ValueError(f"{system!r} is not a DRM system ID this pipeline signals (one of: {known})")
        if len(set(value)) != len(value):
            raise ValueError(f"system IDs must be distinct, got {value}")
        return value

    @model_validator(mode="after")
    def _some(self) -> SpekeConfig:
        if not self.dash_system_ids and not self.hls_system_ids:
            raise FieldError("dash_system_ids", "a SPEKE provider must serve at least one DRM system")
        if FAIRPLAY in self.dash_system_ids:
            raise FieldError("dash_system_ids", f"FairPlay ({FAIRPLAY}) is signalled in HLS only")
        return self


class ProtectionConfig(Model):
    default: Protection = "none"
    speke: SpekeConfig | None = None

    @model_validator(mode="after")
    def _provider(self) -> ProtectionConfig:
        if self.default == "speke" and self.speke is None:
            raise FieldError("speke", "protection.default is 'speke': set speke.url and speke.api_arn")
        return self
