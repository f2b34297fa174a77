"""Find Lambda environment variables that name a resource which does not exist."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

_ARN = re.compile(r"^arn:aws:(?P<service>[a-z0-9-]+):(?P<region>[a-z0-9-]*):(?P<account>\d*):(?P<resource>.+)$")


def _exists(client: Callable[..., Any], value: str, buckets: set[str]) -> bool | None:
    """True/False when ``value`` names a resource we can look up; None when it names none."""
    if value in buckets:
        return True
    match = _ARN.match(value)
    if not match:
        return None
    service, region, resource = match["service"], match["region"] or "us-east-1", match["resource"]
    if service == "s3":
        return resource.split("/", 1)[0] in buckets
    try:
        if service == "sns":
            client("sns", region).get_topic_attributes(TopicArn=value)
        elif service == "secretsmanager":
            client("secretsmanager", region).describe_secret(SecretId=value)
        elif service == "kinesis":
            client("kinesis", region).describe_stream_summary(StreamARN=value)
        elif service == "kms":
            client("kms", region).describe_key(KeyId=value)
        elif service == "lambda":
            client("lambda", region).get_function(FunctionName=value)
        else:
            return None
    except Exception:
        return False
    return True


def dangling_references(client: Callable[..., Any], region: str = "us-east-1") -> list[str]:
    """``FUNCTION.VARIABLE=value`` for every environment value naming a missing bucket or ARN."""
    buckets = {b["Name"] for b in client("s3", region).list_buckets()["Buckets"]}
    bucket_like = re.compile(r"^[a-z0-9][a-z0-9.-]{2,62}$")
    dangling = []
    for function in client("lambda", region).list_functions()["Functions"]:
        variables = function.get("Environment", {}).get("Variables", {})
        for name, value in variables.items():
            exists = _exists(client, value, buckets)
            if exists is None and name.endswith("_BUCKET") and bucket_like.match(value):
                exists = False
            if exists is False:
                dangling.append(f"{function['FunctionName']}.{name}={value}")
    return dangling
