"""One run of the chaos monkey: gate, choose, act, and log the decision."""

from __future__ import annotations

import logging
import random
from datetime import datetime
from typing import TYPE_CHECKING, Any

from chaos_monkey.aws import AutoScaling, CloudWatchClient, alarm_states, read_parameter, write_parameter
from chaos_monkey.rules import (
    Decision,
    Settings,
    choose,
    dry_run_requested,
    gate,
    parse_terminations,
    record_termination,
    stand_down,
)

if TYPE_CHECKING:
    from types_boto3_autoscaling import AutoScalingClient
    from types_boto3_ssm import SSMClient

LOGGER = logging.getLogger("chaos_monkey")


def run(
    event: object,
    *,
    settings: Settings,
    now: datetime,
    ssm: SSMClient,
    autoscaling: AutoScalingClient,
    cloudwatch: CloudWatchClient,
    rng: random.Random,
) -> dict[str, Any]:
    """Make one decision, act on it, log it as one structured record, and return that record.

    The event may ask for a dry run (``{"dryRun": true}``); it can never turn one off, and any
    other value of ``dryRun`` is refused (``invalid-event``), before any AWS call.
    The termination is recorded (SSM) before it is made, so a record that cannot be written
    stops the run. An AWS error is logged as an ``error`` record and raised, so the invocation
    fails (and the function's error alarm sees it).
    """
    requested = dry_run_requested(event, settings)
    if isinstance(requested, Decision):
        return _log(requested, settings, dry_run=True, at=now)
    dry_run = requested
    try:
        decision = _decide(settings, now, ssm, autoscaling, cloudwatch, rng, dry_run=dry_run)
    except Exception as error:
        failed = Decision("skip", "error", f"{type(error).__name__}: {error}"[:500])
        LOGGER.exception(
            "chaos-monkey decision",
            extra={"decision": failed.to_log(environment=settings.environment, dry_run=dry_run, at=now)},
        )
        raise
    return _log(decision, settings, dry_run=dry_run, at=now)


def _decide(
    settings: Settings,
    now: datetime,
    ssm: SSMClient,
    autoscaling: AutoScalingClient,
    cloudwatch: CloudWatchClient,
    rng: random.Random,
    *,
    dry_run: bool,
) -> Decision:
    blocked = gate(settings, now=now, kill_switch=read_parameter(ssm, settings.kill_switch_parameter))
    if blocked is None:
        blocked = stand_down(alarm_states(cloudwatch, settings.stand_down_alarms))
    if blocked is not None:
        return blocked
    terminations = parse_terminations(read_parameter(ssm, settings.terminations_parameter))
    if terminations is None:
        return Decision(
            "skip",
            "terminations-unreadable",
            f"{settings.terminations_parameter} is missing or not a JSON object of ISO 8601 times",
        )
    fleet = AutoScaling(autoscaling)
    decision = choose(
        settings, fleet.opted_in_groups(settings.environment), rng, dry_run=dry_run, now=now, terminations=terminations
    )
    if decision.action == "terminate" and decision.instance is not None and decision.group is not None:
        write_parameter(ssm, settings.terminations_parameter, record_termination(terminations, decision.group, now))
        fleet.terminate(decision.instance)
    return decision


def _log(decision: Decision, settings: Settings, *, dry_run: bool, at: datetime) -> dict[str, Any]:
    record = decision.to_log(environment=settings.environment, dry_run=dry_run, at=at)
    LOGGER.info("chaos-monkey decision", extra={"decision": record})
    return record
