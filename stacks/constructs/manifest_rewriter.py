"""The manifest rewriter function and its Function URL, for CloudFront to call through OAC."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from constructs import Construct

from stacks.constructs.props import EnvironmentProps
from stacks.constructs.python_function import PythonFunction

MANIFEST_KEYS = ("vod/*.m3u8", "vod/*.mpd")


class ManifestRewriter(Construct):
    """The rewriter (``lambda/manifest_rewriter``): copies the viewer's token into HLS and DASH manifests.

    * ``function_url`` uses ``AWS_IAM`` auth: only a principal granted
      ``lambda:InvokeFunctionUrl`` may call it. The Edge stack makes
      CloudFront that principal, through origin access control scoped to its
      distribution; nothing else is granted.
    * Least privilege: the function may read (``s3:GetObject``) only HLS and
      DASH manifests under ``vod/``, never media segments or other objects.
      It holds no key and signs nothing.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        env: EnvironmentProps,
        fresh_seconds: int,
        content_bucket: s3.IBucket,
    ) -> None:
        super().__init__(scope, construct_id)
        self.function = PythonFunction(
            self,
            "Function",
            env=env,
            source="manifest_rewriter",
            shared=["cloudfront_token"],
            description=f"Showrunner {env.name}: copies the viewer's CloudFront token into HLS and DASH manifests",
            environment={
                "CONTENT_BUCKET": content_bucket.bucket_name,
                "MANIFEST_FRESH_SECONDS": str(fresh_seconds),
            },
            # A 10-hour playlist is rewritten (and, when it must be, gzipped) within a few tens of ms at 1 GB.
            memory_size=1024,
            timeout=Duration.seconds(10),
        )
        self.function.add_to_role_policy(
            iam.PolicyStatement(
                actions=["s3:GetObject"], resources=[content_bucket.arn_for_objects(key) for key in MANIFEST_KEYS]
            )
        )
        self.function_url = self.function.add_function_url(auth_type=lambda_.FunctionUrlAuthType.AWS_IAM)
