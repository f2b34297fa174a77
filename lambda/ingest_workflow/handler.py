"""Lambda entry point of the ingest workflow's decisions (a Step Functions task; no AWS calls).

``{"op": "plan", "source": <validate's answer>, "probe": <Probe's answer>}`` -> the job, or a refusal;
``{"op": "record", "plan": ..., "job": <createJob.sync's answer>}`` -> the catalog item's attributes;
``{"op": "explain", "step": ..., "error": {"Error", "Cause"}}`` -> the failure, in words.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from ingest_workflow.explain import explain
from ingest_workflow.plan import RefusedError, plan, refusal
from ingest_workflow.record import record
from ingest_workflow.settings import Settings

LOGGER = logging.getLogger(__name__)
LOGGER.setLevel(logging.INFO)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    op = event.get("op")
    if op == "explain":
        failure = explain(str(event.get("step", "")), dict(event.get("error") or {}))
        LOGGER.info("failure explained", extra=failure)
        return failure
    settings = Settings.from_env(os.environ)
    if op == "plan":
        try:
            result = plan(settings, dict(event["source"]), dict(event["probe"]))
        except RefusedError as refused:
            LOGGER.info("source refused: %s", refused.code)
            return refusal(refused)
        LOGGER.info("planned %s with %s", result["titleId"], result["jobTemplate"])
        return result
    if op == "record":
        return record(dict(event["plan"]), dict(event["job"]))
    raise ValueError(f"unknown op {op!r}")
