"""GET /me/recommendations and GET /trending: the nightly rows, filtered through the catalog."""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from stacks.constructs.props import EnvironmentProps
from stacks.constructs.python_function import PythonFunction

ROUTES = ("/me/recommendations", "/trending")


class RowsApi(Construct):
    """The ``lambda/rows_api`` function on the shared HTTP API, behind its JWT authorizer.

    It may ``GetItem`` on the rows table and ``BatchGetItem`` on the catalog, each with
    ``kms:Decrypt`` on that table's key only through DynamoDB, and nothing else (tests/iam proves
    each statement is needed).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        env: EnvironmentProps,
        rows_table: dynamodb.ITableV2,
        rows_key: kms.IKey,
        catalog_table: dynamodb.ITableV2,
        catalog_key: kms.IKey,
        http_api: apigwv2.IHttpApi,
        authorizer: apigwv2.IHttpRouteAuthorizer,
    ) -> None:
        super().__init__(scope, construct_id)
        self.function = PythonFunction(
            self,
            "Function",
            env=env,
            source="rows_api",
            description=f"Showrunner {env.name} GET /me/recommendations and /trending: the nightly rows",
            environment={"ROWS_TABLE": rows_table.table_name, "CATALOG_TABLE": catalog_table.table_name},
            memory_size=512,
            timeout=Duration.seconds(5),
            shared=["personal_rows", "entitlement"],
        )
        via_dynamodb = {"StringEquals": {"kms:ViaService": f"dynamodb.{Stack.of(self).region}.amazonaws.com"}}
        for sid, actions, resources in (
            ("ReadTheRows", ["dynamodb:GetItem"], [rows_table.table_arn]),
            ("UseTheRowsKeyThroughDynamoDB", ["kms:Decrypt"], [rows_key.key_arn]),
            ("ReadTheCatalog", ["dynamodb:BatchGetItem"], [catalog_table.table_arn]),
            ("UseTheCatalogKeyThroughDynamoDB", ["kms:Decrypt"], [catalog_key.key_arn]),
        ):
            self.function.add_to_role_policy(
                iam.PolicyStatement(
                    sid=sid,
                    actions=actions,
                    resources=resources,
                    conditions=via_dynamodb if actions == ["kms:Decrypt"] else None,
                )
            )
        integration = integrations.HttpLambdaIntegration("Integration", self.function)
        self.routes = [
            apigwv2.HttpRoute(
                self,
                f"Route{path.replace('/', '-')}",
                http_api=http_api,
                route_key=apigwv2.HttpRouteKey.with_(path, apigwv2.HttpMethod.GET),
                integration=integration,
                authorizer=authorizer,
            )
            for path in ROUTES
        ]
