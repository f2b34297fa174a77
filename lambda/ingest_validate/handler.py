"""Lambda entry point of the ingest workflow's validate step (a Step Functions task).

The input is the detail of S3's "Object Created" event (``bucket.name``,
``object.key``, ``object.version-id``). It reads the object's metadata (HEAD) and its
first bytes (a ranged GET, only of that version), and answers the verdict of
``validation.judge`` as a dict: it never raises for a bad upload, so the workflow
records every refusal with its reason. Only an AWS failure other than "not there"
raises (Step Functions retries it, then records the failure).
"""

from __future__ import annotations

import logging
import os
from typing import Any

from showrunner_common.container import PerContainer
from showrunner_common.s3 import ABSENT_CODES, error_code

from ingest_validate.validation import SNIFF_BYTES, Limits, Upload, judge

LOGGER = logging.getLogger(__name__)
LOGGER.setLevel(logging.INFO)
for _name in ("botocore", "boto3", "urllib3"):
    logging.getLogger(_name).setLevel(logging.WARNING)


def _build_s3() -> Any:
    import boto3  # deferred: most of a cold start

    return boto3.client("s3")


_s3 = PerContainer(_build_s3)


def read(bucket: str, key: str) -> Upload | None:
    """HEAD and the first bytes of the current version (None if it is not there)."""
    from botocore.exceptions import ClientError

    s3 = _s3.get()
    try:
        head = s3.head_object(Bucket=bucket, Key=key)
        etag = str(head["ETag"])
        first = b""
        if int(head["ContentLength"]) > 0:
            # IfMatch: the bytes judged are those of the object HEAD described.
            body = s3.get_object(Bucket=bucket, Key=key, Range=f"bytes=0-{SNIFF_BYTES - 1}", IfMatch=etag)["Body"]
            first = body.read()
    except ClientError as exc:
        if error_code(exc) in ABSENT_CODES:
            return None
        raise
    return Upload(
        etag=etag,
        size=int(head["ContentLength"]),
        version_id=str(head.get("VersionId") or ""),
        metadata={k.lower(): v for k, v in (head.get("Metadata") or {}).items()},
        first_bytes=first,
    )


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    bucket = str(event["bucket"]["name"])
    key = str(event["object"]["key"])
    version_id = str(event["object"].get("version-id") or "")
    limits = Limits(max_source_bytes=int(os.environ["MAX_SOURCE_BYTES"]))
    verdict = judge(bucket, key, version_id, lambda: read(bucket, key), limits)
    LOGGER.info(
        "upload %s: %s",
        verdict.title_id,
        "accepted" if verdict.ok else f"refused ({verdict.code})",
        extra={"key": key, "versionId": verdict.version_id, "size": verdict.size, "code": verdict.code},
    )
    return verdict.as_dict()


def reset() -> None:
    """Forget the S3 client (tests: a fresh container, new credentials)."""
    _s3.reset()
