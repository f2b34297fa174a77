"""A DynamoDB table on a KMS key of its own: what the catalog, the personal rows and the content keys share."""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from constructs import Construct

from stacks.constructs.props import EnvironmentProps


def encrypted_table(
    scope: Construct, env: EnvironmentProps, *, description: str, **table: Any
) -> tuple[kms.Key, dynamodb.TableV2]:
    """``Key`` and ``Table`` in ``scope``: on-demand, point-in-time recovery, encrypted with the key (rotated
    yearly), deletion protection and retention (table and key) in production. ``table``: the keys, indexes, TTL."""
    key = kms.Key(
        scope,
        "Key",
        description=description,
        enable_key_rotation=True,
        pending_window=Duration.days(30 if env.retain_data else 7),
        removal_policy=env.removal_policy,
    )
    return key, dynamodb.TableV2(
        scope,
        "Table",
        billing=dynamodb.Billing.on_demand(),
        encryption=dynamodb.TableEncryptionV2.customer_managed_key(key),
        point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
            point_in_time_recovery_enabled=True
        ),
        deletion_protection=env.retain_data,
        removal_policy=env.removal_policy,
        **table,
    )
