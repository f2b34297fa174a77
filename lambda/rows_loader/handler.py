"""Lambda entry point of the nightly run's load steps: one Spark job's output into the rows table.

A Step Functions task, after the Spark steps succeeded. The input names the job and the run::

    {"job": "trending" | "recommendations", "runId": "<execution name>", "runDate": "YYYY-MM-DD",
     "startedAt": "<the execution's start time, ISO 8601>"}

It reads ``s3://$DATA_LAKE_BUCKET/<job>/date=<runDate>/`` (only once Spark's ``_SUCCESS`` is there),
writes the items of that run (keys carry ``runId``, so nothing the readers serve is touched), and
answers what it did. It raises when anything is unreadable or unwritten: the execution then fails
before the run pointer is switched, yesterday's rows keep serving, and the nightly-run alarm fires.

Environment: ``DATA_LAKE_BUCKET``, ``ROWS_TABLE``, ``RETENTION_DAYS`` (rows expire that long after
their run started), ``ROW_CANDIDATES`` (titles kept per row).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from personal_rows.schema import DATE, RUN_ID
from showrunner_common.container import PerContainer

from rows_loader.lake import lines, part_keys
from rows_loader.rows import Counts, Run, recommendation_items, trending_items
from rows_loader.writer import BatchWriter

LOGGER = logging.getLogger(__name__)
LOGGER.setLevel(logging.INFO)
for _name in ("botocore", "boto3", "urllib3"):
    logging.getLogger(_name).setLevel(logging.WARNING)

JOBS = ("trending", "recommendations")


class InvalidInputError(ValueError):
    """The task's input is not what the workflow sends."""


def _clients() -> tuple[Any, Any]:
    import boto3  # deferred: most of a cold start

    return boto3.client("s3"), boto3.client("dynamodb")


_aws = PerContainer(_clients)


def run_of(event: dict[str, Any], environment: dict[str, str]) -> tuple[str, Run]:
    job, run_id, run_date, started = (event.get(k) for k in ("job", "runId", "runDate", "startedAt"))
    if job not in JOBS:
        raise InvalidInputError(f"job must be one of {', '.join(JOBS)}")
    if not (isinstance(run_id, str) and RUN_ID.fullmatch(run_id)):
        raise InvalidInputError("runId must be a Step Functions execution name")
    if not (isinstance(run_date, str) and DATE.fullmatch(run_date)):
        raise InvalidInputError("runDate must be YYYY-MM-DD")
    try:
        started_at = datetime.fromisoformat(str(started))
    except ValueError:
        raise InvalidInputError("startedAt must be an ISO 8601 time") from None
    retention = int(environment["RETENTION_DAYS"]) * 86_400
    expires_at = int(started_at.timestamp()) + retention
    return str(job), Run(run_id, run_date, expires_at, int(environment["ROW_CANDIDATES"]))


def load(event: dict[str, Any], *, s3: Any, dynamodb: Any, environment: dict[str, str]) -> dict[str, Any]:
    job, run = run_of(event, environment)
    bucket, table = environment["DATA_LAKE_BUCKET"], environment["ROWS_TABLE"]
    prefix = f"{job}/date={run.run_date}/"
    keys = part_keys(s3, bucket, prefix)
    counts = Counts()

    def texts() -> Iterator[str]:
        for key in keys:
            yield from lines(s3, bucket, key)

    items = trending_items(texts(), run, counts) if job == "trending" else recommendation_items(texts(), run, counts)
    written = BatchWriter(dynamodb, table).write(items)
    summary = {
        "job": job,
        "runId": run.run_id,
        "objects": len(keys),
        "lines": counts.lines,
        "malformed": counts.malformed,
        "items": written,
    }
    if job == "trending":
        summary["countries"] = len(counts.countries)
    LOGGER.info("loaded %s", summary)
    return summary


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    s3, dynamodb = _aws.get()
    return load(event, s3=s3, dynamodb=dynamodb, environment=dict(os.environ))


def reset() -> None:
    """Forget the clients (tests: a fresh container)."""
    _aws.reset()
