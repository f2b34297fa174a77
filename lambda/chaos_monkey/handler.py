"""Lambda entry point of the chaos monkey (EventBridge Scheduler, hourly within business hours).

Environment: ``ENVIRONMENT``, ``KILL_SWITCH_PARAMETER``, ``DRY_RUN``, ``BUSINESS_DAYS``,
``BUSINESS_HOURS``, ``TIME_ZONE``, ``TERMINATIONS_PARAMETER``, ``MIN_INTERVAL_MINUTES`` and
``STAND_DOWN_ALARMS`` (see ``chaos_monkey.rules.Settings``).
"""

from __future__ import annotations

import logging
import os
import random
from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING, Any

import boto3

from chaos_monkey.aws import CloudWatchClient
from chaos_monkey.monkey import run
from chaos_monkey.rules import Settings

if TYPE_CHECKING:
    from types_boto3_autoscaling import AutoScalingClient
    from types_boto3_ssm import SSMClient

logging.getLogger("chaos_monkey").setLevel(logging.INFO)


@cache
def _clients() -> tuple[SSMClient, AutoScalingClient, CloudWatchClient]:
    return boto3.client("ssm"), boto3.client("autoscaling"), boto3.client("cloudwatch")


def handler(event: object, context: object) -> dict[str, Any]:
    settings = Settings.from_env(os.environ)  # a bad variable fails the invocation, naming the variable
    ssm, autoscaling, cloudwatch = _clients()
    return run(
        event,
        settings=settings,
        now=datetime.now(UTC),
        ssm=ssm,
        autoscaling=autoscaling,
        cloudwatch=cloudwatch,
        rng=random.SystemRandom(),
    )
