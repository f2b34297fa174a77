"""A failed step of the workflow, in words: the ``failure`` of a title's failed status.

Step Functions hands a caught error over as ``{"Error": name, "Cause": text}``. For
the MediaConvert job (``createJob.sync``), the cause of a job that ended in ``ERROR``
carries MediaConvert's error code and message; Step Functions does not document the
shape of that cause, so each shape seen in AWS's documentation is read (the job as
``GetJob`` describes it, bare or under ``Job``, and the job-state event's ``detail``).
"""

from __future__ import annotations

import json
from typing import Any

MAX_REASON = 400

# MediaConvert's error codes (MediaConvert user guide, "Error codes"), for the reason's words.
MEDIACONVERT_ERRORS = {
    1010: "Input Error",
    1020: "Video Error",
    1021: "Audio Error",
    1030: "Unsupported Codec",
    1040: "Settings Error",
    1041: "Acceleration Settings Error",
    1042: "Job Doesn't Require Enough Processing Power for Accelerated Transcoding",
    1050: "Disk Full",
    1056: "File Open Error",
    1060: "Clipping Error",
    1075: "Demuxer Parse Error",
    1076: "Source Read Error",
    1091: "Encryption Error",
    1092: "Decode Audio Initialization Error",
    1401: "Permissions Issue",
    1404: "File Open Error",
    1432: "IAM Role Error",
    1433: "IAM Role Error",
    1434: "IAM Role Error",
    1515: "IAM Role Error",
    1550: "Acceleration Fault",
    1999: "Unknown Error",
}


def clean(text: str, limit: int = MAX_REASON) -> str:
    """``text`` fit for a status and an alert: one line, printable, at most ``limit`` characters."""
    flat = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def _job(cause: str) -> dict[str, Any] | None:
    try:
        parsed = json.loads(cause)
    except (TypeError, ValueError):
        return None
    if not isinstance(parsed, dict):
        return None
    for candidate in (parsed.get("Job"), parsed.get("detail"), parsed):
        if isinstance(candidate, dict) and any(
            key in candidate for key in ("ErrorCode", "errorCode", "Status", "status")
        ):
            return candidate
    return None


def _message(cause: str) -> str:
    try:
        parsed = json.loads(cause)
    except (TypeError, ValueError):
        return cause
    if isinstance(parsed, dict):
        for key in ("errorMessage", "ErrorMessage", "message", "Message"):
            if isinstance(parsed.get(key), str):
                return str(parsed[key])
    return cause


def explain(step: str, error: dict[str, Any]) -> dict[str, str]:
    """``{code, reason, step, errorCode}`` for the error a step of the workflow raised."""
    name = str(error.get("Error", ""))
    cause = str(error.get("Cause", ""))

    def failure(code: str, reason: str, error_code: str = "") -> dict[str, str]:
        return {"code": code, "reason": clean(reason), "step": step, "errorCode": error_code}

    if name == "States.Timeout":
        return failure("timed_out", f"the {step} step did not finish in time (the job, if any, was cancelled)")
    if step == "transcode":
        job = _job(cause)
        if job is not None:
            status = str(job.get("Status") or job.get("status") or "")
            if status == "CANCELED":
                return failure("canceled", "the MediaConvert job was cancelled")
            raw = job.get("ErrorCode", job.get("errorCode"))
            message = str(job.get("ErrorMessage") or job.get("errorMessage") or "no message")
            code = int(raw) if isinstance(raw, int | str) and str(raw).isdigit() else None
            if code is not None:
                label = MEDIACONVERT_ERRORS.get(code, "error")
                return failure("transcode_failed", f"MediaConvert {label} ({code}): {message}", str(code))
        if name.startswith("MediaConvert."):
            return failure("transcode_refused", f"MediaConvert refused the job ({name}): {_message(cause)}")
        return failure("transcode_failed", f"the MediaConvert job failed ({name}): {_message(cause)}")
    if step == "probe":
        return failure("unreadable", f"MediaConvert could not probe the upload ({name}): {_message(cause)}")
    return failure("internal", f"the {step} step failed ({name}): {_message(cause)}")
