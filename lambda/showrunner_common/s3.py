"""Reading S3 error codes."""

from __future__ import annotations

from typing import Any

# Without s3:ListBucket (least privilege), S3 answers a GET or HEAD on a missing key with 403, not 404.
ABSENT_CODES = frozenset({"404", "NoSuchKey", "NotFound", "403", "AccessDenied", "Forbidden"})


def error_code(exc: Any) -> str:
    """The ``Error.Code`` of a botocore ``ClientError`` ("" if it has none)."""
    return str(exc.response.get("Error", {}).get("Code", ""))
