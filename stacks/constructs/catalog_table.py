"""The title catalog: one DynamoDB item per title (schema: docs/api.md, "The catalog")."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from constructs import Construct

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
        self.key = kms.Key(
            self,
            "Key",
            description=f"Showrunner {env.name}: encrypts the title catalog",
            enable_key_rotation=True,
            pending_window=Duration.days(30 if env.retain_data else 7),
            removal_policy=env.removal_policy,
        )
        self.table = dynamodb.TableV2(
            self,
            "Table",
            partition_key=dynamodb.Attribute(name=TITLE_KEY, type=dynamodb.AttributeType.STRING),
            billing=dynamodb.Billing.on_demand(),
            encryption=dynamodb.TableEncryptionV2.customer_managed_key(self.key),
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            global_secondary_indexes=[
                dynamodb.GlobalSecondaryIndexPropsV2(
                    index_name=PUBLISHED_INDEX,
                    partition_key=dynamodb.Attribute(name="status", type=dynamodb.AttributeType.STRING),
                    sort_key=dynamodb.Attribute(name="name", type=dynamodb.AttributeType.STRING),
                    projection_type=dynamodb.ProjectionType.ALL,
                )
            ],
            deletion_protection=env.retain_data,
            removal_policy=env.removal_policy,
        )
