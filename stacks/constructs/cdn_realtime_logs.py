"""CloudFront real-time logs into a Kinesis stream."""

from __future__ import annotations

from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesis as kinesis
from constructs import Construct

# What an operator needs per request. No query string and no cookies: they carry viewers' tokens.
FIELDS = (
    "timestamp",
    "c-ip",
    "sc-status",
    "sc-bytes",
    "time-taken",
    "time-to-first-byte",
    "cs-method",
    "cs-uri-stem",
    "x-edge-location",
    "x-edge-result-type",
    "x-edge-response-result-type",
    "x-edge-request-id",
    "sc-content-type",
    "cs-user-agent",
)


class CdnRealtimeLogs(Construct):
    """A real-time log configuration that samples ``sampling_percent`` of requests into ``stream``.

    CDK creates the role CloudFront assumes to put records into the stream,
    limited to that stream. CloudFront checks the role's access when the
    configuration is created, so the configuration waits for the role's policy
    (CDK only waits for the role).
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, stream: kinesis.IStream, sampling_percent: int, name: str
    ) -> None:
        super().__init__(scope, construct_id)
        self.config = cloudfront.RealtimeLogConfig(
            self,
            "Config",
            realtime_log_config_name=name,
            end_points=[cloudfront.Endpoint.from_kinesis_stream(stream)],
            fields=list(FIELDS),
            sampling_rate=sampling_percent,
        )
        role = self.config.node.find_child("RealtimeLogKinesisRole")
        policy = role.node.find_child("DefaultPolicy").node.default_child
        resource = self.config.node.default_child
        assert isinstance(policy, iam.CfnPolicy)
        assert isinstance(resource, cloudfront.CfnRealtimeLogConfig)
        resource.add_dependency(policy)
