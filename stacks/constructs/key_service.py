"""The key service function and its Function URL, for CloudFront to call through OAC (``/vod/*/keys/*``)."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from stacks.constructs.props import EnvironmentProps
from stacks.constructs.python_function import PythonFunction


class KeyService(Construct):
    """The key service (``lambda/key_service``): a protected title's 16-byte content key, to an entitled viewer.

    * ``function_url`` uses ``AWS_IAM`` auth; the Edge stack makes CloudFront, through origin
      access control scoped to its distribution, the only principal that may call it, and only
      on ``/vod/*/keys/*``, a behavior that trusts the key group: every request that reaches the
      function carries a signature CloudFront verified.
    * Least privilege: ``dynamodb:GetItem`` on the catalog and on the content-keys table, and
      ``kms:Decrypt`` on each table's own key only through DynamoDB (``kms:ViaService``); no
      other table, key, bucket or secret.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        env: EnvironmentProps,
        catalog_table: dynamodb.ITableV2,
        catalog_key: kms.IKey,
        content_keys_table: dynamodb.ITableV2,
        content_keys_key: kms.IKey,
    ) -> None:
        super().__init__(scope, construct_id)
        self.function = PythonFunction(
            self,
            "Function",
            env=env,
            source="key_service",
            shared=["cloudfront_token", "entitlement"],
            description=f"Showrunner {env.name}: a protected title's content key, to an entitled viewer",
            environment={
                "CATALOG_TABLE": catalog_table.table_name,
                "CONTENT_KEYS_TABLE": content_keys_table.table_name,
            },
            timeout=Duration.seconds(5),
        )
        self.function.allow_table_reads(reads={"dynamodb:GetItem": catalog_table.table_arn}, key=catalog_key)
        self.function.allow_table_reads(reads={"dynamodb:GetItem": content_keys_table.table_arn}, key=content_keys_key)
        self.function_url = self.function.add_function_url(auth_type=lambda_.FunctionUrlAuthType.AWS_IAM)
