"""The nightly run's load steps: a function that writes one Spark job's output into the rows table."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from stacks.constructs.props import EnvironmentProps
from stacks.constructs.python_function import PythonFunction


class RowsLoader(Construct):
    """The ``lambda/rows_loader`` function, which ``NightlySpark`` invokes once per job after the Spark steps.

    It may list the jobs' prefixes of the data lake (``s3:ListBucket`` with an ``s3:prefix``
    condition), read their objects, decrypt them with the data-lake key through S3, and
    ``BatchWriteItem`` into the rows table with ``kms:Decrypt`` on its key through DynamoDB;
    nothing else (tests/iam proves each statement is needed). It writes items of its own run only:
    the workflow, not the function, switches what viewers are served.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        env: EnvironmentProps,
        data_lake_bucket: s3.IBucket,
        data_lake_key: kms.IKey,
        job_prefixes: Sequence[str],
        rows_table: dynamodb.ITableV2,
        rows_key: kms.IKey,
        retention_days: int,
        candidates: int,
    ) -> None:
        super().__init__(scope, construct_id)
        region = Stack.of(self).region
        self.function = PythonFunction(
            self,
            "Function",
            env=env,
            source="rows_loader",
            description=f"Showrunner {env.name} nightly run: load a Spark job's output into the rows table",
            environment={
                "DATA_LAKE_BUCKET": data_lake_bucket.bucket_name,
                "ROWS_TABLE": rows_table.table_name,
                "RETENTION_DAYS": str(retention_days),
                "ROW_CANDIDATES": str(candidates),
            },
            memory_size=1024,  # CPU for parsing and 8 BatchWriteItem requests in flight
            timeout=Duration.minutes(15),
            shared=["personal_rows"],
        )
        prefixes = [prefix.rstrip("/") for prefix in job_prefixes]
        statements = [
            iam.PolicyStatement(
                sid="ListTheJobOutputs",
                actions=["s3:ListBucket"],
                resources=[data_lake_bucket.bucket_arn],
                conditions={"StringLike": {"s3:prefix": [f"{prefix}/*" for prefix in prefixes]}},
            ),
            iam.PolicyStatement(
                sid="ReadTheJobOutputs",
                actions=["s3:GetObject"],
                resources=[data_lake_bucket.arn_for_objects(f"{prefix}/*") for prefix in prefixes],
            ),
            iam.PolicyStatement(
                sid="UseTheLakeKeyThroughS3",
                actions=["kms:Decrypt"],
                resources=[data_lake_key.key_arn],
                conditions={"StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"}},
            ),
            iam.PolicyStatement(
                sid="WriteTheRows", actions=["dynamodb:BatchWriteItem"], resources=[rows_table.table_arn]
            ),
            iam.PolicyStatement(
                sid="UseTheRowsKeyThroughDynamoDB",
                actions=["kms:Decrypt"],
                resources=[rows_key.key_arn],
                conditions={"StringEquals": {"kms:ViaService": f"dynamodb.{region}.amazonaws.com"}},
            ),
        ]
        for statement in statements:
            self.function.add_to_role_policy(statement)
