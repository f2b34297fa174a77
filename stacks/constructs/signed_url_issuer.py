"""``GET /playback/{titleId}``: the signed-URL issuer function, its grants and its API route."""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk.aws_apigatewayv2_integrations import HttpLambdaIntegration
from constructs import Construct

from stacks.constructs.props import EnvironmentProps
from stacks.constructs.python_function import PythonFunction


class SignedUrlIssuer(Construct):
    """The issuer (``lambda/signed_url``) behind the HTTP API's JWT authorizer.

    Least privilege: the function may read its one signing-key secret (and
    decrypt it with the secret's key, only through Secrets Manager), and
    ``dynamodb:GetItem`` on the catalog table (decrypting with the catalog's key
    only through DynamoDB); it reads no S3 object at all. ``distribution_domain``
    and ``key_pair_id`` (from the Edge stack) become ``DISTRIBUTION_DOMAIN`` and
    ``KEY_PAIR_ID``; the token lifetime settings and the catalog cache time come
    from ``playback`` and ``catalog`` (docs/api.md).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        env: EnvironmentProps,
        url_ttl_seconds: int,
        token_min_seconds: int,
        token_margin_seconds: int,
        catalog_cache_seconds: int,
        catalog_table: dynamodb.ITableV2,
        catalog_key: kms.IKey,
        signing_key: secretsmanager.ISecret,
        http_api: apigwv2.IHttpApi,
        authorizer: apigwv2.IHttpRouteAuthorizer,
        distribution_domain: str,
        key_pair_id: str,
    ) -> None:
        super().__init__(scope, construct_id)
        self.function = PythonFunction(
            self,
            "Function",
            env=env,
            source="signed_url",
            shared=["cloudfront_token", "entitlement"],
            description=f"Showrunner {env.name}: signed CloudFront URLs and cookies for GET /playback/{{titleId}}",
            environment={
                "DISTRIBUTION_DOMAIN": distribution_domain,
                "KEY_PAIR_ID": key_pair_id,
                "SIGNING_KEY_SECRET_ARN": signing_key.secret_arn,
                "CATALOG_TABLE": catalog_table.table_name,
                "URL_TTL_SECONDS": str(url_ttl_seconds),
                "TOKEN_MIN_SECONDS": str(token_min_seconds),
                "TOKEN_MARGIN_SECONDS": str(token_margin_seconds),
                "CATALOG_CACHE_SECONDS": str(catalog_cache_seconds),
            },
            # CPU scales with memory: the RSA signature and the one-time key load are CPU-bound.
            memory_size=1024,
            timeout=Duration.seconds(5),
        )
        self.function.add_to_role_policy(
            iam.PolicyStatement(actions=["secretsmanager:GetSecretValue"], resources=[signing_key.secret_arn])
        )
        if signing_key.encryption_key is not None:
            self.function.add_to_role_policy(
                iam.PolicyStatement(
                    actions=["kms:Decrypt"],
                    resources=[signing_key.encryption_key.key_arn],
                    # Only when Secrets Manager decrypts this one secret for the function.
                    conditions={
                        "StringEquals": {
                            "kms:ViaService": f"secretsmanager.{Stack.of(self).region}.amazonaws.com",
                            "kms:EncryptionContext:SecretARN": signing_key.secret_arn,
                        }
                    },
                )
            )
        self.function.allow_table_reads(reads={"dynamodb:GetItem": catalog_table.table_arn}, key=catalog_key)
        self.route = apigwv2.HttpRoute(
            self,
            "Route",
            http_api=http_api,
            route_key=apigwv2.HttpRouteKey.with_("/playback/{titleId}", apigwv2.HttpMethod.GET),
            integration=HttpLambdaIntegration("Integration", self.function),
            authorizer=authorizer,
        )
