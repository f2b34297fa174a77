"""An S3 bucket with the settings every Showrunner bucket shares."""

from __future__ import annotations

from typing import Any

from aws_cdk import Aws, Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct

from stacks.constructs.props import EnvironmentProps

_INTELLIGENT_TIERING = s3.LifecycleRule(
    id="intelligent-tiering",
    transitions=[s3.Transition(storage_class=s3.StorageClass.INTELLIGENT_TIERING, transition_after=Duration.days(0))],
)


class SecureBucket(s3.Bucket):
    """Encrypted, versioned, private, TLS-only, and access-logged.

    * Encryption: SSE-S3 unless ``encryption_key`` is given (then SSE-KMS with an S3 Bucket Key).
    * Block Public Access: all four settings on.
    * A bucket policy denies any request that is not over TLS.
    * Server access logs go to ``access_logs_bucket`` under ``s3-access/<id>/``.
    * Noncurrent versions expire after the environment's retention, and
      incomplete multipart uploads are aborted after 7 days.
    * ``intelligent_tiering``: objects move to S3 Intelligent-Tiering from day 0.
    * ``event_bridge``: every object event goes to EventBridge's default bus (who reacts is up to rules).
    * Removal: ``retain`` environments keep the bucket and its data;
      ``destroy`` environments delete the bucket and empty it first. The bucket
      policy is never deleted on its own (``Retain``): a retained bucket keeps its
      TLS-only policy, and a deleted bucket takes its policy with it. That matters
      at teardown: before emptying, CDK's auto-delete handler adds a statement that
      denies every ``s3:PutObject``, and that deny must stay until the bucket is
      gone, or a late log delivery could refill the bucket between emptying and
      deletion (docs/operations.md, "Teardown").
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        env: EnvironmentProps,
        access_logs_bucket: s3.IBucket | None,
        lifecycle_rules: list[s3.LifecycleRule] | None = None,
        intelligent_tiering: bool = False,
        event_bridge: bool = False,
        **kwargs: Any,
    ) -> None:
        retain = env.retain_data
        encryption = s3.BucketEncryption.KMS if kwargs.get("encryption_key") else s3.BucketEncryption.S3_MANAGED
        super().__init__(
            scope,
            construct_id,
            encryption=encryption,
            bucket_key_enabled=encryption is s3.BucketEncryption.KMS or None,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            versioned=True,
            server_access_logs_bucket=access_logs_bucket,
            server_access_logs_prefix=f"s3-access/{construct_id.lower()}/" if access_logs_bucket else None,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="expire-noncurrent-and-abort-uploads",
                    noncurrent_version_expiration=Duration.days(env.noncurrent_versions_days),
                    abort_incomplete_multipart_upload_after=Duration.days(7),
                ),
                *(lifecycle_rules or []),
                *([_INTELLIGENT_TIERING] if intelligent_tiering else []),
            ],
            removal_policy=env.removal_policy,
            auto_delete_objects=not retain,
            **kwargs,
        )
        if event_bridge:
            # S3 sends its events to EventBridge: the bucket's own property, not CDK's notifications custom resource.
            cfn = self.node.default_child
            assert isinstance(cfn, s3.CfnBucket)
            cfn.add_property_override("NotificationConfiguration.EventBridgeConfiguration.EventBridgeEnabled", True)
        assert self.policy is not None  # enforce_ssl always creates one
        # Deleted with the bucket: CloudFormation must not remove the policy (and its deny) first.
        self.policy.apply_removal_policy(RemovalPolicy.RETAIN)

    def allow_cloudfront_read(self, key_pattern: str) -> None:
        """Let CloudFront distributions of this account read ``key_pattern`` through origin access control.

        The condition names the account's distributions (``distribution/*``),
        not one distribution: the distribution lives in a later stack, and
        naming its ID here would make the two stacks depend on each other
        (aws-cdk issue 31462). CDK takes the same approach for OAC key policies.
        """
        self.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCloudFrontOriginAccessControlRead",
                principals=[iam.ServicePrincipal("cloudfront.amazonaws.com")],
                actions=["s3:GetObject"],
                resources=[self.arn_for_objects(key_pattern)],
                conditions={
                    "StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID},
                    "ArnLike": {"aws:SourceArn": f"arn:{Aws.PARTITION}:cloudfront::{Aws.ACCOUNT_ID}:distribution/*"},
                },
            )
        )
