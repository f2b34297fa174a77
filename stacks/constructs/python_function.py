"""A Python Lambda function from ``lambda/<source>/``, the way every Showrunner function is built."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aws_cdk import Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from stacks.bundling import RUNTIME, python_code
from stacks.constructs.props import SETTINGS_METADATA, EnvironmentProps, FromSetting
from stacks.log_groups import log_group

COMMON_PACKAGE = "showrunner_common"


class PythonFunction(lambda_.Function):
    """arm64, the newest Python runtime aws-cdk-lib knows, code bundled without Docker.

    * The package ``lambda/<source>/``, ``lambda/showrunner_common/`` (what every
      function shares) and the ``shared`` packages are bundled as packages
      (``stacks/bundling.py``) and the handler is ``<source>.handler.handler``, so its
      imports are the same as in the tests.
    * Its own role, which may write only to its own log group (no
      ``AWSLambdaBasicExecutionRole`` managed policy); callers grant the rest.
    * Its own log group, with the environment's retention, and JSON logs.
    * Reserved concurrency only from configuration (``reserved_concurrency``), named in the
      template's metadata: reserving any fails in accounts with a small concurrency quota.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        env: EnvironmentProps,
        source: str,
        description: str,
        environment: dict[str, str] | None = None,
        memory_size: int = 256,
        timeout: Duration | None = None,
        shared: Sequence[str] = (),
        reserved_concurrency: FromSetting | None = None,
        **kwargs: Any,
    ) -> None:
        if "reserved_concurrent_executions" in kwargs:
            raise TypeError("reserve concurrency through reserved_concurrency, from a configuration setting")
        logs = log_group(scope, f"{construct_id}Logs", env)
        role = iam.Role(
            scope,
            f"{construct_id}Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Showrunner {env.name} {source} function",
        )
        logs.grant_write(role)
        super().__init__(
            scope,
            construct_id,
            runtime=RUNTIME,
            architecture=lambda_.Architecture.ARM_64,
            handler=f"{source}.handler.handler",
            code=python_code(source, [COMMON_PACKAGE, *shared]),
            description=description,
            environment=environment,
            memory_size=memory_size,
            timeout=timeout or Duration.seconds(10),
            role=role,
            log_group=logs,
            logging_format=lambda_.LoggingFormat.JSON,
            reserved_concurrent_executions=reserved_concurrency.value if reserved_concurrency else None,
            **kwargs,
        )
        if reserved_concurrency is not None:
            resource = self.node.default_child
            assert isinstance(resource, lambda_.CfnFunction)
            resource.add_metadata(SETTINGS_METADATA, {"ReservedConcurrentExecutions": reserved_concurrency.setting})

    def allow_table_reads(self, *, reads: dict[str, str], key: kms.IKey) -> None:
        """One statement per DynamoDB action on a table (``reads``: action -> resource ARN), and ``kms:Decrypt``
        on the table's ``key`` only through DynamoDB."""
        for action, resource in reads.items():
            self.add_to_role_policy(iam.PolicyStatement(actions=[action], resources=[resource]))
        self.add_to_role_policy(
            iam.PolicyStatement(
                actions=["kms:Decrypt"],
                resources=[key.key_arn],
                conditions={"StringEquals": {"kms:ViaService": f"dynamodb.{Stack.of(self).region}.amazonaws.com"}},
            )
        )
