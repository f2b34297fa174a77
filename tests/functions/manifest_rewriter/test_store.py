"""The rewriter's manifest store against moto S3: the freshness window, revalidation, the byte budget."""

from __future__ import annotations

from typing import Any

import pytest
from manifest_rewriter.service import ManifestNotFoundError
from manifest_rewriter.store import S3Manifests

from tests.functions.conftest import BUCKET

KEY = "vod/t1/master.m3u8"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def requests(s3: Any) -> list[dict[str, Any]]:
    """Every GetObject the store sends, with its parameters."""
    sent: list[dict[str, Any]] = []
    s3.meta.events.register("provide-client-params.s3.GetObject", lambda params, **_: sent.append(dict(params)))
    return sent


def test_a_fresh_manifest_is_answered_from_memory_and_revalidated_after_the_window(
    s3: Any, requests: list[dict[str, Any]]
):
    clock = Clock()
    store = S3Manifests(s3, BUCKET, fresh_seconds=5, clock=clock)
    s3.put_object(Bucket=BUCKET, Key=KEY, Body=b"one")
    assert store(KEY) == b"one"
    assert [r.get("IfNoneMatch") for r in requests] == [None]

    s3.put_object(Bucket=BUCKET, Key=KEY, Body=b"two")
    clock.now += 4.999
    assert store(KEY) == b"one"  # inside the window: no request at all
    assert len(requests) == 1

    clock.now += 0.001  # the window has passed: a conditional GET, which finds the new object
    assert store(KEY) == b"two"
    assert len(requests) == 2
    assert requests[1]["IfNoneMatch"]


def test_a_304_starts_a_new_window(s3: Any, requests: list[dict[str, Any]]):
    clock = Clock()
    store = S3Manifests(s3, BUCKET, fresh_seconds=5, clock=clock)
    s3.put_object(Bucket=BUCKET, Key=KEY, Body=b"one")
    store(KEY)
    clock.now += 10
    assert store(KEY) == b"one"  # revalidated: 304
    clock.now += 4
    assert store(KEY) == b"one"
    assert len(requests) == 2


def test_a_deleted_manifest_is_forgotten_when_the_window_ends(s3: Any):
    clock = Clock()
    store = S3Manifests(s3, BUCKET, fresh_seconds=5, clock=clock)
    s3.put_object(Bucket=BUCKET, Key=KEY, Body=b"one")
    store(KEY)
    s3.delete_object(Bucket=BUCKET, Key=KEY)
    assert store(KEY) == b"one"
    clock.now += 5
    with pytest.raises(ManifestNotFoundError):
        store(KEY)
    s3.put_object(Bucket=BUCKET, Key=KEY, Body=b"back")
    assert store(KEY) == b"back"


def test_without_a_window_every_request_asks_s3(s3: Any, requests: list[dict[str, Any]]):
    store = S3Manifests(s3, BUCKET, clock=Clock())
    s3.put_object(Bucket=BUCKET, Key=KEY, Body=b"one")
    assert [store(KEY) for _ in range(3)] == [b"one"] * 3
    assert [bool(r.get("IfNoneMatch")) for r in requests] == [False, True, True]


def test_the_cache_keeps_to_its_byte_budget(s3: Any, requests: list[dict[str, Any]]):
    clock = Clock()
    store = S3Manifests(s3, BUCKET, fresh_seconds=60, cache_bytes=10, clock=clock)
    for name in ("a", "b"):
        s3.put_object(Bucket=BUCKET, Key=f"vod/t1/{name}.m3u8", Body=b"123456")
    store("vod/t1/a.m3u8")
    store("vod/t1/b.m3u8")  # 12 bytes do not fit in 10: a is evicted
    store("vod/t1/b.m3u8")
    store("vod/t1/a.m3u8")
    assert [r["Key"] for r in requests] == ["vod/t1/a.m3u8", "vod/t1/b.m3u8", "vod/t1/a.m3u8"]
