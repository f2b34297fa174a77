"""ContentReplica: the failover copy of the content bucket, in ``edge.replica_region``."""

from __future__ import annotations

from typing import Any

from aws_cdk import Aws, CfnOutput, Fn
from constructs import Construct

from stacks.base_stack import ShowrunnerStack
from stacks.compliance import Ack
from stacks.constructs.secure_bucket import SecureBucket
from stacks.names import REPLICA_BUCKET_OUTPUT, stack_name


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
            # Named so that it reads as the replica, with the account (S3 names are global); a retained
            # replica must not block the next stack (physical_name).
            bucket_name=self.env_props.physical_name(f"showrunner-{config.name}-replica-{Aws.ACCOUNT_ID}"),
            intelligent_tiering=True,
        )
        self.bucket.allow_cloudfront_read("vod/*")
        CfnOutput(self, REPLICA_BUCKET_OUTPUT, value=self.bucket.bucket_name)


def replica_bucket_name(environment: str, replica_region: str) -> str:
    """The replica bucket's name, read from its stack's output (a weak reference across regions)."""
    return Fn.get_stack_output(stack_name(environment, "ContentReplica"), REPLICA_BUCKET_OUTPUT, replica_region)
