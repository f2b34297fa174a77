"""DASH with Common Encryption as the tests play it: an MPD's representations and KIDs, the Clear Key licence
through the edge, and decryption.

The licence is asked for as a browser's EME Clear Key CDM asks (``{"kids": [...], "type": "temporary"}``,
POSTed with the body's SHA-256 in ``x-amz-content-sha256``, which origin access control to a Function URL
requires). Decryption is Shaka Packager's (``--enable_raw_key_decryption``): Debian's ffmpeg 5.1 cannot be
the player here: its DASH demuxer does not hand ``-decryption_key`` to the MP4 demuxer, and its MP4 demuxer
misreads ``senc`` across fragments (audio never decrypts, video only with one fragment per segment). ffmpeg
then decodes the decrypted renditions, every frame, and any decoder error fails the test.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import ssl
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from defusedxml import ElementTree

from tests.e2e.test_playback import fetch
from tools.developer.mediaconvert.transcoder import PACKAGER

MPD = "{urn:mpeg:dash:schema:mpd:2011}"
CENC = "{urn:mpeg:cenc:2013}"
MP4_PROTECTION = "urn:mpeg:dash:mp4protection:2011"
_NUMBER = re.compile(r"\$Number(%0(\d+)d)?\$")


@dataclass(frozen=True)
class Representation:
    id: str
    kind: str  # "video" or "audio"
    init: str  # absolute URLs, as the MPD (with the rewriter's tokens) resolves them
    media: tuple[str, ...]


def _number(template: str, number: int) -> str:
    return _NUMBER.sub(lambda m: f"{number:0{int(m[2] or 1)}d}", template)


def representations(mpd: bytes, mpd_url: str) -> list[Representation]:
    """Every representation of the (single-period, SegmentTemplate + SegmentTimeline) MPD, its segments' URLs."""
    root = ElementTree.fromstring(mpd)
    found = []
    for adaptation in root.iter(f"{MPD}AdaptationSet"):
        for representation in adaptation.iter(f"{MPD}Representation"):
            kind = (adaptation.get("contentType") or representation.get("mimeType") or "").split("/")[0]
            template = representation.find(f"{MPD}SegmentTemplate")
            if template is None:
                template = adaptation.find(f"{MPD}SegmentTemplate")
            assert template is not None, "every representation has a SegmentTemplate"
            count = sum(1 + int(s.get("r", "0")) for s in template.iter(f"{MPD}S"))
            start = int(template.get("startNumber", "1"))
            rid = representation.get("id", "")
            media = template.get("media", "").replace("$RepresentationID$", rid)
            init = template.get("initialization", "").replace("$RepresentationID$", rid)
            found.append(
                Representation(
                    id=rid,
                    kind=kind,
                    init=urllib.parse.urljoin(mpd_url, init),
                    media=tuple(urllib.parse.urljoin(mpd_url, _number(media, n)) for n in range(start, start + count)),
                )
            )
    return found


def default_kids(mpd: bytes) -> list[str]:
    """The ``cenc:default_KID`` of every ``mp4protection`` descriptor, as 32 hex digits, in document order."""
    root = ElementTree.fromstring(mpd)
    return [
        element.get(f"{CENC}default_KID", "").replace("-", "").lower()
        for element in root.iter(f"{MPD}ContentProtection")
        if element.get("schemeIdUri") == MP4_PROTECTION
    ]


def post(url: str, body: bytes, *, signed_payload: bool = True) -> tuple[int, dict[str, str], bytes]:
    """POST ``body`` (JSON) to ``url``; ``signed_payload``: with its SHA-256 in ``x-amz-content-sha256``."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    headers = {"Content-Type": "application/json"}
    if signed_payload:
        headers["x-amz-content-sha256"] = hashlib.sha256(body).hexdigest()
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, context=context, timeout=30) as response:
            return int(response.status), dict(response.headers), bytes(response.read())
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def licence_keys(answer: bytes) -> dict[str, bytes]:
    """KID (32 hex digits) -> key, from a Clear Key licence (a JSON Web Key set of ``oct`` keys)."""
    document = json.loads(answer)
    assert document["type"] == "temporary"
    keys = {}
    for jwk in document["keys"]:
        assert jwk["kty"] == "oct"
        keys[base64.urlsafe_b64decode(jwk["kid"] + "==").hex()] = base64.urlsafe_b64decode(jwk["k"] + "==")
    return keys


def download(representation: Representation, directory: Path) -> Path:
    """The representation's init segment and every media segment, fetched in order, as one fragmented MP4."""
    parts = []
    for url in (representation.init, *representation.media):
        status, data = fetch(url)
        assert status == 200, (url, status)
        parts.append(data)
    path = directory / f"{representation.kind}-{representation.id}.mp4"
    path.write_bytes(b"".join(parts))
    return path


def decrypt(encrypted: Path, kind: str, key_id: str, key: bytes) -> Path:
    """Shaka Packager's raw-key decryption of one track (``kind``: video or audio); the clear file's path."""
    clear = encrypted.with_name(f"clear-{encrypted.name}")
    result = subprocess.run(
        [
            str(PACKAGER), f"in={encrypted},stream={kind},output={clear}",
            "--enable_raw_key_decryption", "--keys", f"label=:key_id={key_id}:key={key.hex()}",
        ],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    return clear
