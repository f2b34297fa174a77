"""The content-keys table: one item per protected title's content key (docs/operations.md, "Content protection")."""

from __future__ import annotations

from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct

from stacks.constructs.encrypted_table import encrypted_table
from stacks.constructs.props import EnvironmentProps

# Partition key titleId, sort key keyId (32 hex digits); the attribute ``key`` holds the 16 bytes.
TITLE_KEY = "titleId"
KEY_ID = "keyId"


class ContentKeyStore(Construct):
    """On-demand, point-in-time recovery, encrypted with a KMS key of its own (rotated yearly).

    The ingest workflow writes a title's key (PutItem, never overwriting); the key service reads
    it (GetItem). DynamoDB encrypts every item under this key, so reading a content key takes
    both a DynamoDB grant and ``kms:Decrypt`` on this key through DynamoDB (``kms:ViaService``),
    and CloudTrail names each reader. No other table, bucket or secret uses the key.
    Production keeps the table, with deletion protection, and its key when the stack goes: a
    title encrypted with a lost key could never be played again.
    """

    def __init__(self, scope: Construct, construct_id: str, *, env: EnvironmentProps) -> None:
        super().__init__(scope, construct_id)
        self.key, self.table = encrypted_table(
            self,
            env,
            description=f"Showrunner {env.name}: encrypts the content keys of protected titles",
            partition_key=dynamodb.Attribute(name=TITLE_KEY, type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name=KEY_ID, type=dynamodb.AttributeType.STRING),
        )
