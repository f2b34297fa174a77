"""``GET /playback/{titleId}``: the signed-URL issuer function, its grants and its API route."""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk.aws_apigatewayv2_integrations import HttpLambdaIntegration
from constructs import Construct

from stacks.constructs.props import EnvironmentProps
from stacks.constructs.python_function import PythonFunction

# The manifests whose existence tells the issuer a title exists (lambda/signed_url/issuer.py MANIFESTS).
MANIFEST_KEYS = ("vod/*/master.m3u8", "vod/*/manifest.mpd")


class SignedUrlIssuer(Construct):
    """The issuer (``lambda/signed_url``) behind the HTTP API's JWT authorizer.

    Least privilege: the function may read its one signing-key secret (and
    decrypt it with the secret's key, only through Secrets Manager), and HEAD
    (``s3:GetObject``) only the two manifest keys of each title; it cannot
    read media or any other object. ``distribution_domain`` and
    ``key_pair_id`` (from the Edge stack) become ``DISTRIBUTION_DOMAIN`` and
    ``KEY_PAIR_ID``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        env: EnvironmentProps,
        url_ttl_seconds: int,
        content_bucket: s3.IBucket,
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
            shared=["cloudfront_token"],
            description=f"Showrunner {env.name}: signed CloudFront URLs and cookies for GET /playback/{{titleId}}",
            environment={
                "DISTRIBUTION_DOMAIN": distribution_domain,
                "KEY_PAIR_ID": key_pair_id,
                "SIGNING_KEY_SECRET_ARN": signing_key.secret_arn,
                "CONTENT_BUCKET": content_bucket.bucket_name,
                "URL_TTL_SECONDS": str(url_ttl_seconds),
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
        self.function.add_to_role_policy(
            iam.PolicyStatement(
                actions=["s3:GetObject"], resources=[content_bucket.arn_for_objects(key) for key in MANIFEST_KEYS]
            )
        )
        self.route = apigwv2.HttpRoute(
            self,
            "Route",
            http_api=http_api,
            route_key=apigwv2.HttpRouteKey.with_("/playback/{titleId}", apigwv2.HttpMethod.GET),
            integration=HttpLambdaIntegration("Integration", self.function),
            authorizer=authorizer,
        )
