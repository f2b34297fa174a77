"""What an upload to the ingest bucket must be before any transcoding is paid for. Pure standard library.

An upload is ``incoming/<name>.<ext>``: each path segment made of letters, digits,
``.``, ``_`` and ``-`` (no ``.`` or ``..`` segment, none starting with ``.``, no empty
one), an extension of ``mp4``, ``mov``, ``mkv`` or ``mxf`` (any case), more than zero
bytes and at most the configured maximum, and first bytes that are those of the
container its extension names (a text file renamed ``.mp4`` is refused here, by what
it is, not by its name).

The titleId is never read from the key. It is the object metadata ``title-id``
(``x-amz-meta-title-id``) when that matches the titleId rule, or else assigned from
the content's identity: ``t`` and 24 hex digits of SHA-256 over the object's ETag and
size. The same bytes uploaded the same way (same ETag) get the same titleId wherever
they are uploaded, which is what makes a duplicate upload one title.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cloudfront_token.policy import TITLE_ID

PREFIX = "incoming/"
MAX_KEY_LENGTH = 512
MAX_NAME_LENGTH = 200
# The bytes read from the start of an upload to tell what it is.
SNIFF_BYTES = 64

# Extension -> container family, and the families' names for messages.
EXTENSIONS = {"mp4": "isobmff", "mov": "isobmff", "mkv": "matroska", "mxf": "mxf"}
FAMILIES = {"isobmff": "an MP4/QuickTime (ISO BMFF) file", "matroska": "a Matroska file", "mxf": "an MXF file"}

_SEGMENT = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,254}")
# Top-level boxes an ISO BMFF / QuickTime file may start with.
_BMFF_FIRST_BOXES = frozenset({b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide", b"pnot"})
_EBML = b"\x1a\x45\xdf\xa3"
# SMPTE 377M: every MXF file starts with a header partition pack, whose universal label starts so.
_MXF_PARTITION = bytes.fromhex("060e2b34020501010d01020101")
_PRINTABLE_NAME = re.compile(r"[^\x00-\x1f\x7f]{1,200}")


def sniff(first: bytes) -> str | None:
    """The container family ``first`` (the first bytes of a file) belongs to, or None."""
    if len(first) >= 8 and first[4:8] in _BMFF_FIRST_BOXES:
        size = int.from_bytes(first[:4], "big")
        if size in (0, 1) or size >= 8:
            return "isobmff"
    if first.startswith(_EBML):
        return "matroska"
    if first.startswith(_MXF_PARTITION):
        return "mxf"
    return None


def key_problem(key: str) -> str | None:
    """Why ``key`` cannot be ingested as it is named (None if it can)."""
    if not key.startswith(PREFIX):
        return f"the key is not under {PREFIX}"
    if len(key) > MAX_KEY_LENGTH:
        return f"the key is {len(key)} characters long; at most {MAX_KEY_LENGTH}"
    for segment in key[len(PREFIX) :].split("/"):
        if not _SEGMENT.fullmatch(segment):
            return (
                "each part of the key after incoming/ must be letters, digits, '.', '_' or '-', not start with "
                f"'.', and not be empty; '{_shown(segment)}' is not"
            )
    return None


def extension(key: str) -> str:
    name = key.rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def assigned_title_id(etag: str, size: int) -> str:
    """The titleId of content with this ETag and size: ``t`` and 24 hex digits of SHA-256."""
    digest = hashlib.sha256(f"{etag.strip(chr(34))}:{size}".encode()).hexdigest()
    return f"t{digest[:24]}"


def _shown(text: str, limit: int = 60) -> str:
    """``text`` safe to put in a status or an alert: control characters escaped, cut to ``limit``."""
    escaped = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text)
    return escaped if len(escaped) <= limit else escaped[: limit - 3] + "..."


@dataclass(frozen=True)
class Upload:
    """What S3 says about the object (HEAD), and its first bytes."""

    etag: str
    size: int
    version_id: str
    metadata: dict[str, str]
    first_bytes: bytes


# How a title may be protected (docs/operations.md, "Content protection"): the upload's metadata
# ``protection`` chooses, else the environment's ``ingest.protection.default``.
PROTECTIONS = ("none", "aes-128", "speke")


@dataclass(frozen=True)
class Limits:
    max_source_bytes: int


@dataclass
class Verdict:
    """The validate step's answer, every field present whether or not it passed (the workflow reads them)."""

    ok: bool
    title_id: str
    bucket: str
    key: str
    version_id: str
    etag: str = ""
    size: int = 0
    name: str = ""
    container: str = ""
    title_id_source: str = "pipeline"
    protection: str = ""  # the upload's own choice (metadata "protection"); empty: the environment's default
    code: str = ""
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "titleId": self.title_id,
            "titleIdSource": self.title_id_source,
            "name": self.name,
            "bucket": self.bucket,
            "key": self.key,
            "versionId": self.version_id,
            "etag": self.etag,
            "size": self.size,
            "container": self.container,
            "protection": self.protection,
            "code": self.code,
            "reason": self.reason,
            "step": "validate",
        }


def fallback_title_id(bucket: str, key: str, version_id: str) -> str:
    """A titleId for a failed status when the content cannot be read: from the upload's identity, hashed."""
    digest = hashlib.sha256(f"{bucket}/{key}#{version_id}".encode()).hexdigest()
    return f"t{digest[:24]}"


def _name(key: str, metadata: dict[str, str]) -> tuple[str, str | None]:
    """The display name: metadata ``title`` if it is printable text, else the file name without extension."""
    title = metadata.get("title")
    if title is None:
        stem = key.rsplit("/", 1)[-1]
        return (stem.rsplit(".", 1)[0] if "." in stem else stem), None
    title = title.strip()
    if not _PRINTABLE_NAME.fullmatch(title):
        return "", f"the title metadata must be 1-{MAX_NAME_LENGTH} printable characters"
    return title, None


def judge(bucket: str, key: str, event_version: str, read: Callable[[], Upload | None], limits: Limits) -> Verdict:
    """Everything about an upload that can be judged before any transcoding, first problem first.

    ``read`` fetches the object's HEAD and first bytes (None when it is not there: deleted since the
    event); it is called only for a key worth reading. Until the content is known, the titleId of a
    refusal comes from the upload's identity (``fallback_title_id``).
    """
    verdict = Verdict(
        ok=False,
        title_id=fallback_title_id(bucket, key, event_version),
        bucket=bucket,
        key=key,
        version_id=event_version,
    )

    def refuse(code: str, reason: str) -> Verdict:
        verdict.code, verdict.reason = code, reason
        return verdict

    problem = key_problem(key)
    if problem:
        return refuse("bad_key", problem)
    ext = extension(key)
    if ext not in EXTENSIONS:
        shown = f"'.{_shown(ext, 16)}'" if ext else "no extension"
        return refuse("unsupported_extension", f"{shown} is not a supported source; upload .mp4, .mov, .mkv or .mxf")
    upload = read()
    if upload is None:
        return refuse("source_missing", "the upload could not be read (deleted since it was uploaded?)")
    verdict.title_id = assigned_title_id(upload.etag, upload.size)
    verdict.etag, verdict.size = upload.etag.strip('"'), upload.size
    verdict.version_id = upload.version_id or event_version
    if event_version and upload.version_id and upload.version_id != event_version:
        return refuse(
            "superseded", "the object was replaced by a newer upload since this one; the newer one is ingested instead"
        )
    requested = upload.metadata.get("title-id")
    if requested is not None:
        if not TITLE_ID.fullmatch(requested):
            return refuse(
                "invalid_title_id", f"the title-id metadata '{_shown(requested)}' does not match {TITLE_ID.pattern}"
            )
        verdict.title_id, verdict.title_id_source = requested, "metadata"
    protection = upload.metadata.get("protection")
    if protection is not None:
        if protection not in PROTECTIONS:
            return refuse(
                "invalid_protection",
                f"the protection metadata '{_shown(protection)}' is not one of {', '.join(PROTECTIONS)}",
            )
        verdict.protection = protection
    name, name_problem = _name(key, upload.metadata)
    if name_problem:
        return refuse("invalid_metadata", name_problem)
    verdict.name = name
    if upload.size == 0:
        return refuse("empty_file", "the upload is empty (0 bytes)")
    if upload.size > limits.max_source_bytes:
        return refuse(
            "too_large",
            f"the upload is {upload.size / 1024**3:.3g} GiB; the limit is "
            f"{limits.max_source_bytes / 1024**3:.3g} GiB (ingest.max_source_gib)",
        )
    expected = EXTENSIONS[ext]
    found = sniff(upload.first_bytes)
    if found != expected:
        what = f"it looks like {FAMILIES[found]}" if found else f"its first bytes are {upload.first_bytes[:8].hex()}"
        return refuse("not_video", f"a .{ext} upload must be {FAMILIES[expected]}, but {what}")
    verdict.container = expected
    verdict.ok = True
    return verdict
