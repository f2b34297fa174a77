"""One run of the chaos monkey: gate, choose, act, and log the decision."""

from __future__ import annotations

import logging
import random
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from chaos_monkey.aws import AutoScaling, read_kill_switch
from chaos_monkey.rules import Decision, Settings, choose, gate

if TYPE_CHECKING:
    from types_boto3_autoscaling import AutoScalingClient
    from types_boto3_ssm import SSMClient

LOGGER = logging.getLogger("chaos_monkey")


def run(
    event: Mapping[str, Any],
    *,
    settings: Settings,
    now: datetime,
    ssm: SSMClient,
    autoscaling: AutoScalingClient,
    rng: random.Random,
) -> dict[str, Any]:
    """Make one decision, act on it, log it as one structured record, and return that record.

    The event may ask for a dry run (``{"dryRun": true}``); it can never turn one off.
    An AWS error is logged as an ``error`` record and raised, so the invocation fails
    (and the function's error alarm sees it).
    """
    dry_run = settings.dry_run or event.get("dryRun") is True
    try:
        decision = gate(settings, now=now, kill_switch=read_kill_switch(ssm, settings.kill_switch_parameter))
        if decision is None:
            fleet = AutoScaling(autoscaling)
            decision = choose(settings, fleet.opted_in_groups(settings.environment), rng, dry_run=dry_run)
            if decision.action == "terminate" and decision.instance is not None:
                fleet.terminate(decision.instance)
    except Exception as error:
        failed = Decision("skip", "error", f"{type(error).__name__}: {error}"[:500])
        LOGGER.exception(
            "chaos-monkey decision",
            extra={"decision": failed.to_log(environment=settings.environment, dry_run=dry_run, at=now)},
        )
        raise
    record = decision.to_log(environment=settings.environment, dry_run=dry_run, at=now)
    LOGGER.info("chaos-monkey decision", extra={"decision": record})
    return record
