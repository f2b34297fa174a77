"""Playback: the signing key and the signed-URL issuer of one environment."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Duration, RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from stacks.api_stack import ApiStack
from stacks.base_stack import ShowrunnerStack
from stacks.compliance import Ack, synchronous_function_skips
from stacks.constructs.catalog_api import CatalogApi
from stacks.constructs.signed_url_issuer import SignedUrlIssuer
from stacks.names import SIGNING_KEY_SECRET_OUTPUT


class PlaybackStack(ShowrunnerStack):
    """The signed-URL issuer, the key it signs with, and the catalog API. It comes after the Edge stack.

    * ``signing_key_secret``: Secrets Manager secret whose value is the PEM RSA
      private key of the CloudFront key pair, encrypted with its own customer
      managed KMS key, so reading it takes both ``secretsmanager:GetSecretValue``
      and ``kms:Decrypt`` on that key (only the issuer has both).
      CloudFormation creates it with a random placeholder; the private key
      never appears in a template. The operator stores the PEM with
      ``tools/operator/signing_key.py``, one version per key, labelled with its
      CloudFront public key ID (docs/operations.md).
    * ``issuer``: ``GET /playback/{titleId}`` on the Api stack's HTTP API,
      behind its JWT authorizer. It signs for ``distribution_domain`` with
      ``key_pair_id``, both from the Edge stack, after checking entitlement against
      the catalog table (Storage stack).
    * ``catalog``: ``GET /catalog`` and ``GET /catalog/{titleId}`` on the same API and
      authorizer, reading the same table.
    """

    acknowledgments = (
        Ack(
            "SigningKey/Resource",
            "AwsSolutions-SMG4",
            "The CloudFront signing key is rotated by a staged procedure instead of a rotation Lambda: CloudFront "
            "must trust a new public key (Edge key group) before the issuer signs with its private key, and the "
            "issuer reads the secret version labelled with its KEY_PAIR_ID, so key and ID switch in one deploy. "
            "tools/operator/signing_key.py adds and labels versions (docs/operations.md, Rotating the signing key).",
        ),
    )
    checkov_skips = (
        *synchronous_function_skips("Issuer/Function/Resource"),
        *synchronous_function_skips("Catalog/Function/Resource"),
    )

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        catalog_table: dynamodb.ITableV2,
        catalog_key: kms.IKey,
        api: ApiStack,
        distribution_domain: str,
        key_pair_id: str,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            scope, construct_id, description="signed-URL issuer and its signing key, catalog API", **kwargs
        )
        config = self.config
        removal = RemovalPolicy.RETAIN if config.retain_data else RemovalPolicy.DESTROY

        self.signing_key_encryption = kms.Key(
            self,
            "SigningKeyEncryption",
            description=f"Showrunner {config.name}: encrypts the CloudFront signing key's secret",
            enable_key_rotation=True,
            pending_window=Duration.days(30 if config.retain_data else 7),
            removal_policy=removal,
        )
        self.signing_key_secret = secretsmanager.Secret(
            self,
            "SigningKey",
            description=(
                f"Showrunner {config.name}: PEM RSA private key of the CloudFront key pair the issuer signs with; "
                "one version per key, labelled with its public key ID (tools/operator/signing_key.py)"
            ),
            encryption_key=self.signing_key_encryption,
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=32, exclude_punctuation=True, include_space=False
            ),
            removal_policy=removal,
        )
        self.issuer = SignedUrlIssuer(
            self,
            "Issuer",
            env=self.env_props,
            url_ttl_seconds=config.playback.url_ttl_seconds,
            token_min_seconds=config.playback.token_min_seconds,
            token_margin_seconds=config.playback.token_margin_seconds,
            catalog_cache_seconds=config.catalog.cache_seconds,
            catalog_table=catalog_table,
            catalog_key=catalog_key,
            signing_key=self.signing_key_secret,
            http_api=api.http_api,
            authorizer=api.route_authorizer,
            distribution_domain=distribution_domain,
            key_pair_id=key_pair_id,
        )
        self.catalog = CatalogApi(
            self,
            "Catalog",
            env=self.env_props,
            catalog_table=catalog_table,
            catalog_key=catalog_key,
            cache_seconds=config.catalog.cache_seconds,
            page_size=config.catalog.page_size,
            http_api=api.http_api,
            authorizer=api.route_authorizer,
        )
        CfnOutput(self, SIGNING_KEY_SECRET_OUTPUT, value=self.signing_key_secret.secret_arn)
