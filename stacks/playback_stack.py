"""Playback: the signing key, the signed-URL issuer and the manifest rewriter of one environment."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, RemovalPolicy
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from stacks.api_stack import ApiStack
from stacks.base_stack import ShowrunnerStack
from stacks.constructs.manifest_rewriter import ManifestRewriter
from stacks.constructs.signed_url_issuer import SignedUrlIssuer


class PlaybackStack(ShowrunnerStack):
    """The two playback Lambdas and the key the issuer signs with.

    * ``signing_key_secret``: Secrets Manager secret whose value is the PEM RSA
      private key of the CloudFront key pair. CloudFormation creates it with a
      random placeholder; the private key never appears in a template. The
      operator stores the PEM with ``stacks/tools/signing_key.py``, one version
      per key, labelled with its CloudFront public key ID (docs/operations.md).
    * ``issuer``: ``GET /playback/{titleId}`` on the Api stack's HTTP API,
      behind its JWT authorizer.
    * ``rewriter`` with ``rewriter_function_url`` (AWS_IAM auth), for the Edge
      stack to put behind CloudFront with origin access control.

    ``distribution_domain`` and ``key_pair_id`` are what the issuer signs for.
    Without them the stack takes ``playback.distribution_domain`` (else
    ``domain_name``) and ``playback.key_pair_id`` from the configuration; while
    either is unknown, the issuer answers 503 ``not_configured``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        content_bucket: s3.IBucket,
        api: ApiStack,
        distribution_domain: str | None = None,
        key_pair_id: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, description="signed-URL issuer, manifest rewriter, signing key", **kwargs)
        config = self.config
        playback = config.playback

        self.signing_key_secret = secretsmanager.Secret(
            self,
            "SigningKey",
            description=(
                f"Showrunner {config.name}: PEM RSA private key of the CloudFront key pair the issuer signs with; "
                "one version per key, labelled with its public key ID (stacks/tools/signing_key.py)"
            ),
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=32, exclude_punctuation=True, include_space=False
            ),
            removal_policy=RemovalPolicy.RETAIN if config.retain_data else RemovalPolicy.DESTROY,
        )
        self.distribution_domain = distribution_domain or playback.distribution_domain or config.domain_name or ""
        self.key_pair_id = key_pair_id or playback.key_pair_id or ""

        self.issuer = SignedUrlIssuer(
            self,
            "Issuer",
            config=config,
            content_bucket=content_bucket,
            signing_key=self.signing_key_secret,
            http_api=api.http_api,
            authorizer=api.route_authorizer,
            distribution_domain=self.distribution_domain,
            key_pair_id=self.key_pair_id,
        )
        self.rewriter = ManifestRewriter(self, "Rewriter", config=config, content_bucket=content_bucket)
        self.rewriter_function = self.rewriter.function
        self.rewriter_function_url = self.rewriter.function_url

        CfnOutput(self, "SigningKeySecretArn", value=self.signing_key_secret.secret_arn)
        CfnOutput(self, "RewriterFunctionUrl", value=self.rewriter_function_url.url)
