"""``GET /catalog`` and ``GET /catalog/{titleId}``: the catalog API function, its grants and its routes."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from aws_cdk.aws_apigatewayv2_integrations import HttpLambdaIntegration
from constructs import Construct

from stacks.constructs.catalog_table import PUBLISHED_INDEX
from stacks.constructs.props import EnvironmentProps
from stacks.constructs.python_function import PythonFunction

ROUTES = ("/catalog", "/catalog/{titleId}")


class CatalogApi(Construct):
    """The catalog API (``lambda/catalog_api``) behind the HTTP API's JWT authorizer.

    Least privilege: ``dynamodb:Query`` on the ``published-by-name`` index and
    ``dynamodb:GetItem`` on the table, decrypting with the catalog's key only
    through DynamoDB; nothing else. The viewer's country is the
    ``CloudFront-Viewer-Country`` header CloudFront adds on the API behaviors
    (Edge stack).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        env: EnvironmentProps,
        catalog_table: dynamodb.ITableV2,
        catalog_key: kms.IKey,
        cache_seconds: int,
        page_size: int,
        http_api: apigwv2.IHttpApi,
        authorizer: apigwv2.IHttpRouteAuthorizer,
    ) -> None:
        super().__init__(scope, construct_id)
        self.function = PythonFunction(
            self,
            "Function",
            env=env,
            source="catalog_api",
            shared=["cloudfront_token", "entitlement"],
            description=f"Showrunner {env.name}: GET /catalog and GET /catalog/{{titleId}}",
            environment={
                "CATALOG_TABLE": catalog_table.table_name,
                "CATALOG_INDEX": PUBLISHED_INDEX,
                "CATALOG_CACHE_SECONDS": str(cache_seconds),
                "CATALOG_PAGE_SIZE": str(page_size),
            },
            memory_size=512,
            timeout=Duration.seconds(5),
        )
        self.function.allow_table_reads(
            reads={
                "dynamodb:Query": f"{catalog_table.table_arn}/index/{PUBLISHED_INDEX}",
                "dynamodb:GetItem": catalog_table.table_arn,
            },
            key=catalog_key,
        )
        integration = HttpLambdaIntegration("Integration", self.function)
        self.routes = [
            apigwv2.HttpRoute(
                self,
                f"Route{index}",
                http_api=http_api,
                route_key=apigwv2.HttpRouteKey.with_(path, apigwv2.HttpMethod.GET),
                integration=integration,
                authorizer=authorizer,
            )
            for index, path in enumerate(ROUTES)
        ]
