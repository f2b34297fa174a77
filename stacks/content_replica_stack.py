"""ContentReplica: the failover copy of the content bucket, in ``edge.replica_region``."""

from __future__ import annotations

from typing import Any

from aws_cdk import Aws
from constructs import Construct

from stacks.base_stack import ShowrunnerStack
from stacks.compliance import Ack
from stacks.config import EnvironmentConfig
from stacks.constructs.secure_bucket import SecureBucket


def replica_bucket_name(config: EnvironmentConfig) -> str:
    """Deterministic, so the source bucket's replication rule and the distribution's
    failover origin can name it without a cross-region reference."""
    assert config.edge.replica_region is not None
    return f"showrunner-{config.name}-content-replica-{Aws.ACCOUNT_ID}-{config.edge.replica_region}"


class ContentReplicaStack(ShowrunnerStack):
    """A replica of the content bucket in a second region, kept current by S3 replication.

    CloudFront fails over to it (origin group) when the primary bucket answers
    403, 404 or 5xx. It has its own logs bucket, because S3 server access logs
    must stay in the bucket's region. Same settings as every SecureBucket:
    encrypted, versioned, private, TLS-only; retained in production.
    """

    checkov_skips = (
        Ack(
            "ReplicaLogsBucket/Resource",
            "CKV_AWS_18",
            "The replica region's logs bucket receives the replica bucket's server access logs; logging its "
            "own access would write a log record about every log record.",
        ),
    )

    def __init__(self, scope: Construct, construct_id: str, **kwargs: Any) -> None:
        config = kwargs["config"]
        assert config.edge.replica_region is not None
        super().__init__(
            scope,
            construct_id,
            description=f"content replica ({config.edge.replica_region})",
            region=config.edge.replica_region,
            **kwargs,
        )
        self.logs_bucket = SecureBucket(self, "ReplicaLogsBucket", env=self.env_props, access_logs_bucket=None)
        self.bucket = SecureBucket(
            self,
            "ContentReplicaBucket",
            env=self.env_props,
            access_logs_bucket=self.logs_bucket,
            bucket_name=replica_bucket_name(config),
            intelligent_tiering=True,
        )
        self.bucket.allow_cloudfront_read("vod/*")
