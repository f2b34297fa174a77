"""Lambda entry point of POST /events; the work is in ``ingest`` and ``schema``.

Environment: ``STREAM_ARN``, the player-events Kinesis stream.
"""

from __future__ import annotations

import os
from functools import cache
from typing import TYPE_CHECKING, Any

import boto3

from event_ingest.ingest import handle

if TYPE_CHECKING:
    from types_boto3_kinesis import KinesisClient


@cache
def _kinesis() -> KinesisClient:
    return boto3.client("kinesis")


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    return handle(event, kinesis=_kinesis(), stream_arn=os.environ["STREAM_ARN"])
