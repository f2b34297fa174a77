"""The validate step's judgement of an upload (``lambda/ingest_validate/validation.py``): every refusal,
first problem first."""

from __future__ import annotations

from typing import Any

import pytest
from ingest_validate.validation import (
    Limits,
    Upload,
    assigned_title_id,
    fallback_title_id,
    judge,
    key_problem,
    sniff,
)

LIMITS = Limits(max_source_bytes=1024**3)
MP4 = b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41" + bytes(32)
MOV = b"\x00\x00\x00\x14ftypqt  \x00\x00\x02\x00qt  " + bytes(44)
MKV = b"\x1a\x45\xdf\xa3\xa3\x42\x86\x81\x01" + bytes(55)
MXF = bytes.fromhex("060e2b34020501010d0102010102000083") + bytes(47)
ETAG = '"0123456789abcdef0123456789abcdef"'


def upload(
    first: bytes = MP4, size: int = 10_000, version: str = "v1", metadata: dict[str, str] | None = None
) -> Upload:
    return Upload(etag=ETAG, size=size, version_id=version, metadata=metadata or {}, first_bytes=first)


def verdict(key: str = "incoming/film.mp4", found: Upload | None = None, event_version: str = "v1") -> Any:
    reads = []

    def read() -> Upload | None:
        reads.append(key)
        return found if found is not None else None

    result = judge("ingest-bucket", key, event_version, read, LIMITS)
    return result, reads


@pytest.mark.parametrize(
    ("first", "family"),
    [(MP4, "isobmff"), (MOV, "isobmff"), (MKV, "matroska"), (MXF, "mxf"), (b"hello world, this is text", None)],
)
def test_sniff(first: bytes, family: str | None):
    assert sniff(first) == family


def test_a_valid_upload_gets_a_title_id_from_its_content():
    result, _ = verdict(found=upload())
    assert result.ok
    assert result.as_dict() == {
        "ok": True,
        "titleId": assigned_title_id(ETAG, 10_000),
        "titleIdSource": "pipeline",
        "name": "film",
        "bucket": "ingest-bucket",
        "key": "incoming/film.mp4",
        "versionId": "v1",
        "etag": ETAG.strip('"'),
        "size": 10_000,
        "container": "isobmff",
        "protection": "",
        "code": "",
        "reason": "",
        "step": "validate",
    }
    assert result.title_id.startswith("t")
    assert len(result.title_id) == 25


def test_the_same_content_anywhere_is_the_same_title_and_the_key_text_never_matters():
    a, _ = verdict("incoming/a.mp4", upload())
    b, _ = verdict("incoming/sub/Other_Name.MP4", upload(version="v9"), event_version="v9")
    assert a.title_id == b.title_id
    other, _ = verdict(found=Upload('"ffff"', 10_000, "v1", {}, MP4))
    assert other.title_id != a.title_id


def test_metadata_protection_is_the_titles_choice_when_valid():
    chosen, _ = verdict(found=upload(metadata={"protection": "aes-128"}))
    assert (chosen.ok, chosen.as_dict()["protection"]) == (True, "aes-128")
    default, _ = verdict(found=upload())
    assert default.as_dict()["protection"] == ""  # the environment's default applies


def test_metadata_title_id_and_title_are_used_when_valid():
    result, _ = verdict(found=upload(metadata={"title-id": "my-film_2026", "title": "My Film (2026)"}))
    assert result.ok
    assert (result.title_id, result.title_id_source, result.name) == ("my-film_2026", "metadata", "My Film (2026)")


@pytest.mark.parametrize(
    ("key", "found", "code", "reason"),
    [
        ("incoming/film.mp4", upload(size=0), "empty_file", "the upload is empty (0 bytes)"),
        ("incoming/film.mp4", upload(first=b"hello, I am a text file" + bytes(40)), "not_video", "a .mp4 upload must "
         "be an MP4/QuickTime (ISO BMFF) file, but its first bytes are 68656c6c6f2c2049"),
        ("incoming/film.mkv", upload(first=MP4), "not_video", "a .mkv upload must be a Matroska file, but it looks "
         "like an MP4/QuickTime (ISO BMFF) file"),
        ("incoming/film.mp4", upload(size=2 * 1024**3), "too_large", "the upload is 2 GiB; the limit is 1 GiB"),
        ("incoming/film.avi", upload(), "unsupported_extension", "'.avi' is not a supported source"),
        ("incoming/film", upload(), "unsupported_extension", "no extension is not a supported source"),
        ("incoming/../vod/x/master.mp4", upload(), "bad_key", "'..' is not"),
        ("incoming/./film.mp4", upload(), "bad_key", "'.' is not"),
        ("incoming//film.mp4", upload(), "bad_key", "'' is not"),
        ("incoming/.hidden.mp4", upload(), "bad_key", "'.hidden.mp4' is not"),
        ("incoming/my film.mp4", upload(), "bad_key", "'my film.mp4' is not"),
        ("incoming/a$fn$.mp4", upload(), "bad_key", "'a$fn$.mp4' is not"),
        ("incoming/film\x00.mp4", upload(), "bad_key", "'film\\x00.mp4' is not"),
        ("incoming/" + "a" * 600 + ".mp4", upload(), "bad_key", "characters long; at most 512"),
        ("incoming/film.mp4", upload(metadata={"title-id": "../../vod/other"}), "invalid_title_id",
         "the title-id metadata '../../vod/other' does not match"),
        ("incoming/film.mp4", upload(metadata={"title-id": "*"}), "invalid_title_id", "does not match"),
        ("incoming/film.mp4", upload(metadata={"title": "bad\x07bell"}), "invalid_metadata", "the title metadata"),
        ("incoming/film.mp4", upload(metadata={"protection": "drm"}), "invalid_protection",
         "the protection metadata 'drm' is not one of none, aes-128, speke"),
        ("incoming/film.mp4", upload(version="v2"), "superseded", "replaced by a newer upload"),
    ],
)  # fmt: skip
def test_every_bad_upload_is_refused_with_a_clear_reason(key: str, found: Upload, code: str, reason: str):
    result, _ = verdict(key, found)
    assert not result.ok
    assert result.code == code
    assert reason in result.reason
    assert result.as_dict()["step"] == "validate"
    assert result.title_id  # a refusal is recorded under a titleId too


def test_a_bad_key_is_refused_without_reading_the_object():
    result, reads = verdict("incoming/../x.mp4", upload())
    assert (result.code, reads) == ("bad_key", [])
    assert result.title_id == fallback_title_id("ingest-bucket", "incoming/../x.mp4", "v1")
    result, reads = verdict("incoming/notes.txt", upload())
    assert (result.code, reads) == ("unsupported_extension", [])


def test_an_upload_gone_before_validation():
    result, reads = verdict(found=None)
    assert (result.code, reads) == ("source_missing", ["incoming/film.mp4"])


def test_keys():
    assert key_problem("incoming/film.mp4") is None
    assert key_problem("incoming/season-1/episode_01.v2.MOV") is None
    assert key_problem("vod/film.mp4") == "the key is not under incoming/"
