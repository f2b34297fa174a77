"""Storage: the content, logs and data-lake buckets of one environment."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Duration, RemovalPolicy
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from stacks.base_stack import ShowrunnerStack
from stacks.compliance import Ack
from stacks.constructs.catalog_table import CatalogTable
from stacks.constructs.content_key_store import ContentKeyStore
from stacks.constructs.secure_bucket import SecureBucket
from stacks.content_replica_stack import replica_bucket_name
from stacks.names import CATALOG_TABLE_OUTPUT, CONTENT_KEYS_TABLE_OUTPUT, REPLICA_BUCKET_OUTPUT

_REPLICATION = (
    "S3 replication copies every object version of the content bucket to its replica, so the "
    "replication role's object-level actions (read versions on the source, replicate on the "
    "destination) name all objects of exactly those two buckets; s3.amazonaws.com alone may assume it."
)


class StorageStack(ShowrunnerStack):
    """Buckets every other stack writes to or serves from.

    * ``logs_bucket``: S3 server access logs, VPC flow logs, ALB and
      CloudFront standard logs. Object ownership is *BucketOwnerPreferred*
      because CloudFront standard logging delivers with an ACL grant.
      Objects expire after ``retention.access_logs_days``.
    * ``content_bucket``: the video library under ``vod/<titleId>/``,
      moved to S3 Intelligent-Tiering straight away. CloudFront reads
      ``vod/*`` through origin access control. With ``edge.replica_region``
      set, every object is replicated to the ContentReplica stack's bucket
      (the distribution's failover origin).
    * ``data_lake_bucket``: viewing events, CDN logs and Spark output,
      encrypted with a customer managed KMS key (rotated yearly) so that
      access can be granted and audited per principal.
    * ``catalog``: the title catalog (DynamoDB, its own KMS key), which the ingest
      workflow writes and the issuer reads (docs/api.md, "The catalog").
    * ``content_keys``: protected titles' content keys (DynamoDB, a KMS key of its own),
      which the ingest workflow writes and the key service reads (docs/api.md, "Key service").
    """

    acknowledgments = (
        Ack(
            "ContentBucket/ReplicationRole/DefaultPolicy/Resource",
            "AwsSolutions-IAM5[Resource::{ref:Storage/ContentBucket.Arn}/*]",
            _REPLICATION,
        ),
        Ack(
            "ContentBucket/ReplicationRole/DefaultPolicy/Resource",
            'AwsSolutions-IAM5[Resource::arn:aws:s3:::{"Fn::GetStackOutput":{"StackName":"{env}-ContentReplica",'
            f'"Region":"{{replica_region}}","OutputName":"{REPLICA_BUCKET_OUTPUT}"}}}}/*]',
            _REPLICATION,
        ),
    )
    checkov_skips = (
        Ack(
            "LogsBucket/Resource",
            "CKV_AWS_18",
            "The logs bucket is the target of every other bucket's server access logs; logging its own "
            "access would write a log record about every log record.",
        ),
    )

    def __init__(self, scope: Construct, construct_id: str, **kwargs: Any) -> None:
        super().__init__(
            scope, construct_id, description="content, logs and data-lake buckets, title catalog", **kwargs
        )
        config = self.config

        self.logs_bucket = SecureBucket(
            self,
            "LogsBucket",
            env=self.env_props,
            access_logs_bucket=None,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
            lifecycle_rules=[
                s3.LifecycleRule(id="expire-logs", expiration=Duration.days(config.retention.access_logs_days)),
            ],
        )

        replica_region = config.edge.replica_region
        replication = (
            [
                s3.ReplicationRule(
                    destination=s3.Bucket.from_bucket_attributes(
                        self,
                        "ContentReplica",
                        bucket_name=replica_bucket_name(config.name, replica_region),
                        region=replica_region,
                    ),
                    id="content-to-replica",
                    priority=0,
                    delete_marker_replication=True,
                    filter=s3.Filter(prefix="vod/"),
                )
            ]
            if replica_region
            else None
        )
        self.content_bucket = SecureBucket(
            self,
            "ContentBucket",
            env=self.env_props,
            access_logs_bucket=self.logs_bucket,
            replication_rules=replication,
            intelligent_tiering=True,
        )

        self.content_bucket.allow_cloudfront_read("vod/*")

        self.data_lake_key = kms.Key(
            self,
            "DataLakeKey",
            description=f"Showrunner {config.name} data lake (viewing events, CDN logs, recommendations)",
            enable_key_rotation=True,
            pending_window=Duration.days(30 if config.retain_data else 7),
            removal_policy=RemovalPolicy.RETAIN if config.retain_data else RemovalPolicy.DESTROY,
        )
        self.data_lake_bucket = SecureBucket(
            self,
            "DataLakeBucket",
            env=self.env_props,
            access_logs_bucket=self.logs_bucket,
            encryption_key=self.data_lake_key,
            intelligent_tiering=True,
        )
        self.catalog = CatalogTable(self, "Catalog", env=self.env_props)
        CfnOutput(self, CATALOG_TABLE_OUTPUT, value=self.catalog.table.table_name)
        self.content_keys = ContentKeyStore(self, "ContentKeys", env=self.env_props)
        CfnOutput(self, CONTENT_KEYS_TABLE_OUTPUT, value=self.content_keys.table.table_name)
