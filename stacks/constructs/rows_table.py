"""The personal rows: the nightly run's trending lists and recommendations, served by the rows API."""

from __future__ import annotations

from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct

from stacks.constructs.encrypted_table import encrypted_table
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
        self.key, self.table = encrypted_table(
            self,
            env,
            description=f"Showrunner {env.name}: encrypts the personal rows (recommendations, trending)",
            partition_key=dynamodb.Attribute(name=PARTITION_KEY, type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name=SORT_KEY, type=dynamodb.AttributeType.STRING),
            time_to_live_attribute=TTL_ATTRIBUTE,
        )
