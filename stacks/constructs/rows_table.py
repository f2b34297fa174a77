"""The personal rows: the nightly run's trending lists and recommendations, served by the rows API."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from constructs import Construct

from stacks.constructs.props import EnvironmentProps

# The key and TTL attributes (lambda/personal_rows/schema.py names the same; a test compares them).
PARTITION_KEY = "pk"
SORT_KEY = "run"
TTL_ATTRIBUTE = "expiresAt"


class RowsTable(Construct):
    """On-demand, point-in-time recovery, encrypted with its own KMS key (rotated yearly), TTL on ``expiresAt``.

    Items are keyed by run (``pk``, ``run``; docs/api.md, "Rows"): the loader writes a night's rows
    beside the ones being served, the workflow switches the run pointer, and old runs expire.
    Its own key, as the catalog's: reading the rows (per-viewer data derived from viewing history)
    takes a DynamoDB grant and ``kms:Decrypt`` through DynamoDB, and CloudTrail names each reader.
    Production keeps the table, with deletion protection, and its key when the stack goes.
    """

    def __init__(self, scope: Construct, construct_id: str, *, env: EnvironmentProps) -> None:
        super().__init__(scope, construct_id)
        self.key = kms.Key(
            self,
            "Key",
            description=f"Showrunner {env.name}: encrypts the personal rows (recommendations, trending)",
            enable_key_rotation=True,
            pending_window=Duration.days(30 if env.retain_data else 7),
            removal_policy=env.removal_policy,
        )
        self.table = dynamodb.TableV2(
            self,
            "Table",
            partition_key=dynamodb.Attribute(name=PARTITION_KEY, type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name=SORT_KEY, type=dynamodb.AttributeType.STRING),
            billing=dynamodb.Billing.on_demand(),
            encryption=dynamodb.TableEncryptionV2.customer_managed_key(self.key),
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            time_to_live_attribute=TTL_ATTRIBUTE,
            deletion_protection=env.retain_data,
            removal_policy=env.removal_policy,
        )
