"""The validate step's handler against moto's S3: what it reads of an upload, and what it answers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import ingest_validate.handler
import pytest
from moto import mock_aws

INGEST = "showrunner-ingest-test"
MP4 = b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41" + bytes(4000)


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("MAX_SOURCE_BYTES", str(1024 * 1024))
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=INGEST)
        client.put_bucket_versioning(Bucket=INGEST, VersioningConfiguration={"Status": "Enabled"})
        ingest_validate.handler.reset()
        yield client
        ingest_validate.handler.reset()


def detail(key: str, version: str) -> dict[str, Any]:
    """What the state machine hands the function: the detail of S3's "Object Created" event."""
    return {"bucket": {"name": INGEST}, "object": {"key": key, "size": 1, "version-id": version}}


def test_an_upload_is_read_and_accepted(s3: Any):
    version = s3.put_object(Bucket=INGEST, Key="incoming/film.mp4", Body=MP4, Metadata={"title": "Film"})["VersionId"]
    answer = ingest_validate.handler.handler(detail("incoming/film.mp4", version), None)
    assert (answer["ok"], answer["container"], answer["name"]) == (True, "isobmff", "Film")
    assert answer["versionId"] == version
    assert answer["size"] == len(MP4)
    assert answer["titleId"].startswith("t")


def test_a_replaced_upload_is_superseded_and_a_deleted_one_missing(s3: Any):
    first = s3.put_object(Bucket=INGEST, Key="incoming/film.mp4", Body=MP4)["VersionId"]
    s3.put_object(Bucket=INGEST, Key="incoming/film.mp4", Body=MP4 + b"more")
    assert ingest_validate.handler.handler(detail("incoming/film.mp4", first), None)["code"] == "superseded"
    s3.delete_object(Bucket=INGEST, Key="incoming/film.mp4")
    answer = ingest_validate.handler.handler(detail("incoming/film.mp4", first), None)
    assert (answer["ok"], answer["code"]) == (False, "source_missing")


def test_an_empty_upload_is_refused_without_reading_its_bytes(s3: Any):
    version = s3.put_object(Bucket=INGEST, Key="incoming/empty.mov", Body=b"")["VersionId"]
    answer = ingest_validate.handler.handler(detail("incoming/empty.mov", version), None)
    assert (answer["ok"], answer["code"], answer["size"]) == (False, "empty_file", 0)
