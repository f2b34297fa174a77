"""A protected title's content key and the encryption its MediaConvert job adds (docs/operations.md).

* ``aes-128``: a fresh content key (16 bytes from ``secrets``) and key ID (16 more, as 32 hex
  digits) per title. The workflow stores the key in the content-keys table before the job
  starts; the job's HLS group encrypts every segment with it (AES-128-CBC, the IV is the
  segment's media sequence number, as HLS defines when the playlist gives none) and names
  ``keys/<keyId>`` as the key URI, relative to the playlists: ``/vod/<titleId>/keys/<keyId>``
  on whatever domain serves the title, which is the key service's behavior.
  The same title also gets a second, separate key and key ID for DASH (never the HLS key in
  another mode): the job's DASH-only CMAF group encrypts with Common Encryption ``cenc``
  (AES-128-CTR, ``CmafGroupSettings.Encryption`` ``STATIC_KEY``/``AES_CTR``), stored with
  ``scheme: cenc``; viewers get it from the key service's Clear Key licence endpoint
  (``keys/clearkey``). MediaConvert's ``StaticKeyProvider`` has no key ID field, so the job
  names the key ID in its ``UserMetadata`` (``dashKeyId``), which the local executor writes
  as the KID; docs/operations.md says how to check the KID a real job wrote.
* ``speke``: the job's CMAF group asks the configured SPEKE v2 provider for the keys, with
  the titleId as the resource ID (MediaConvert's ``SpekeKeyProviderCmaf``); no key passes
  through the workflow.

Nothing here logs a key; ``ContentKey``'s repr leaves it out.
"""

from __future__ import annotations

import base64
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from showrunner_common.content_keys import CLEARKEY, HLS_SCHEME, KEY_BYTES

NONE, AES_128, SPEKE = "none", "aes-128", "speke"
PROTECTIONS = (NONE, AES_128, SPEKE)
KEY_ID = re.compile(r"[0-9a-f]{32}")
CLEARKEY_URI = f"keys/{CLEARKEY}"  # the Clear Key licence endpoint, relative to the title's manifests


@dataclass(frozen=True)
class ContentKey:
    key_id: str
    key: bytes = field(repr=False)

    @classmethod
    def fresh(cls, random_bytes: Callable[[int], bytes] = secrets.token_bytes) -> ContentKey:
        key, key_id = random_bytes(KEY_BYTES), random_bytes(KEY_BYTES)
        if len(key) != KEY_BYTES or len(key_id) != KEY_BYTES:
            raise ValueError("a content key and its ID are 16 bytes each")
        return cls(key_id=key_id.hex(), key=key)

    def key_uri(self) -> str:
        """The key URI the playlists carry, relative to them: the key service inside the title."""
        return f"keys/{self.key_id}"

    def stored(self, scheme: str = HLS_SCHEME) -> dict[str, str]:
        """What the workflow's StoreKey steps write (the key as base64, DynamoDB's binary in JSON)."""
        return {"keyId": self.key_id, "key": base64.b64encode(self.key).decode("ascii"), "scheme": scheme}


def hls_encryption(key: ContentKey) -> dict[str, Any]:
    """``HlsGroupSettings.Encryption``: whole-segment AES-128 with this static key."""
    return {
        "EncryptionMethod": "AES128",
        "Type": "STATIC_KEY",
        "InitializationVectorInManifest": "EXCLUDE",
        "StaticKeyProvider": {
            "KeyFormat": "identity",
            "KeyFormatVersions": "1",
            "StaticKeyValue": key.key.hex(),
            "Url": key.key_uri(),
        },
    }


def cenc_encryption(key: ContentKey) -> dict[str, Any]:
    """``CmafGroupSettings.Encryption`` of the DASH-only group: Common Encryption ``cenc`` (AES-CTR) with this
    static key; ``Url`` is the licence server, relative to the manifest (the key service's Clear Key endpoint)."""
    return {
        "EncryptionMethod": "AES_CTR",
        "Type": "STATIC_KEY",
        "StaticKeyProvider": {"StaticKeyValue": key.key.hex(), "Url": CLEARKEY_URI},
    }


def speke_encryption(speke: dict[str, Any], title_id: str) -> dict[str, Any]:
    """``CmafGroupSettings.Encryption``: SPEKE v2 (cbcs, so one set of segments serves HLS and DASH DRM)."""
    provider: dict[str, Any] = {
        "ResourceId": title_id,
        "Url": speke["url"],
        "EncryptionContractConfiguration": {
            "SpekeVideoPreset": speke["videoPreset"],
            "SpekeAudioPreset": speke["audioPreset"],
        },
    }
    if speke["dashSystemIds"]:
        provider["DashSignaledSystemIds"] = list(speke["dashSystemIds"])
    if speke["hlsSystemIds"]:
        provider["HlsSignaledSystemIds"] = list(speke["hlsSystemIds"])
    return {"EncryptionMethod": "SAMPLE_AES", "Type": "SPEKE", "SpekeKeyProvider": provider}
