"""The title catalog: one DynamoDB item per title (schema: docs/api.md, "The catalog")."""

from __future__ import annotations

from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct

from stacks.constructs.encrypted_table import encrypted_table
from stacks.constructs.props import EnvironmentProps

# The partition key; an item's status is one of these (the ingest workflow writes the first three).
TITLE_KEY = "titleId"
STATUSES = ("processing", "published", "failed", "withdrawn")
# GET /catalog reads published titles in name order from this index (lambda/catalog_api): partition
# key ``status``, sort key ``name``, every attribute projected.
PUBLISHED_INDEX = "published-by-name"


class CatalogTable(Construct):
    """On-demand, point-in-time recovery, encrypted with its own KMS key (rotated yearly).

    The ingest workflow writes it (``processing``, ``published``, ``failed``), the catalog operator
    command sets ``withdrawn`` and the availability fields; the issuer reads items by key and the
    catalog API also pages through the ``published-by-name`` index. With its own key, reading the
    catalog takes both a DynamoDB grant and ``kms:Decrypt`` on the key through DynamoDB, and
    CloudTrail names each reader.
    Production keeps the table, with deletion protection, and its key when the stack goes.
    """

    def __init__(self, scope: Construct, construct_id: str, *, env: EnvironmentProps) -> None:
        super().__init__(scope, construct_id)
        self.key, self.table = encrypted_table(
            self,
            env,
            description=f"Showrunner {env.name}: encrypts the title catalog",
            partition_key=dynamodb.Attribute(name=TITLE_KEY, type=dynamodb.AttributeType.STRING),
            global_secondary_indexes=[
                dynamodb.GlobalSecondaryIndexPropsV2(
                    index_name=PUBLISHED_INDEX,
                    partition_key=dynamodb.Attribute(name="status", type=dynamodb.AttributeType.STRING),
                    sort_key=dynamodb.Attribute(name="name", type=dynamodb.AttributeType.STRING),
                    projection_type=dynamodb.ProjectionType.ALL,
                )
            ],
        )
