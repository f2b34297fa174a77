"""Reading one Spark job's output from the data lake: the part files under a prefix, line by line."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from typing import Any

SUCCESS_MARKER = "_SUCCESS"  # Spark writes it last, when every part file is in place


class IncompleteOutputError(Exception):
    """The job's output has no ``_SUCCESS`` marker: the job failed or is still writing. Nothing is loaded."""


def part_keys(s3: Any, bucket: str, prefix: str) -> list[str]:
    """The part files under ``prefix`` (Spark's ``part-*``), in name order, once ``_SUCCESS`` is there."""
    keys: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys += [str(found["Key"]) for found in page.get("Contents", [])]
    if prefix + SUCCESS_MARKER not in keys:
        raise IncompleteOutputError(f"s3://{bucket}/{prefix} has no {SUCCESS_MARKER}: the job did not finish")
    return sorted(key for key in keys if key[len(prefix) :].startswith("part-"))


def lines(s3: Any, bucket: str, key: str) -> Iterator[str]:
    """The text lines of one part file, read as a stream (gzip if its name ends in ``.gz``)."""
    body = s3.get_object(Bucket=bucket, Key=key)["Body"]
    if key.endswith(".gz"):
        with gzip.GzipFile(fileobj=body) as stream:
            for line in stream:
                yield line.decode("utf-8", "replace")
    else:
        for line in body.iter_lines():
            yield line.decode("utf-8", "replace")
