"""MediaConvert as CloudFormation declares it: an on-demand queue, the job templates and the role jobs run with."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aws_cdk import Aws
from aws_cdk import aws_iam as iam
from aws_cdk import aws_mediaconvert as mediaconvert
from aws_cdk import aws_s3 as s3
from constructs import Construct

from stacks.constructs.props import EnvironmentProps


@dataclass(frozen=True, kw_only=True)
class JobTemplateProps:
    name: str  # unique per account and region
    description: str
    settings: Mapping[str, Any]  # JobTemplateSettings (stacks/config/mediaconvert.py)


@dataclass(frozen=True, kw_only=True)
class TranscodingProps:
    templates: Sequence[JobTemplateProps]
    acceleration_mode: str  # DISABLED, PREFERRED or ENABLED
    concurrent_jobs: int  # at most this many jobs run at once in the queue
    read_prefix: str  # MediaConvert reads sources here, in the ingest bucket ("incoming/")
    write_patterns: Sequence[str]  # and writes only these keys of the content bucket
    speke_api_arn: str | None = None  # a SPEKE v2 provider's key method, which jobs of speke titles call


class Transcoding(Construct):
    """One on-demand queue, the job templates (checked against botocore's model at synth), and MediaConvert's role.

    * Queue ``showrunner-<env>-ingest``: on-demand (the only plan CloudFormation creates),
      at most ``concurrent_jobs`` at a time; jobs bill with its tags (``BillingTagsSource: QUEUE``).
    * Job templates, one per tail of the ladder, submitting to that queue with acceleration as configured
      (the stack checks their settings against botocore's model before it hands them over).
    * The role jobs run with may only read the ingest bucket's ``read_prefix`` and write the
      ``write_patterns`` of the content bucket: the package and images MediaConvert makes, never the
      published manifests (``master.m3u8``, ``manifest.mpd``), which only the workflow writes once the
      job succeeded. Both buckets are SSE-S3, so it needs no KMS key. Only MediaConvert, for jobs in this
      queue of this account, may assume it.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        env: EnvironmentProps,
        props: TranscodingProps,
        ingest_bucket: s3.IBucket,
        content_bucket: s3.IBucket,
    ) -> None:
        super().__init__(scope, construct_id)
        self.queue = mediaconvert.CfnQueue(
            self,
            "Queue",
            name=f"showrunner-{env.name}-ingest",
            description=f"Showrunner {env.name}: ingest jobs, on demand",
            pricing_plan="ON_DEMAND",
            status="ACTIVE",
            concurrent_jobs=props.concurrent_jobs,
        )
        self.templates: dict[str, mediaconvert.CfnJobTemplate] = {}
        for index, template in enumerate(props.templates):
            self.templates[template.name] = mediaconvert.CfnJobTemplate(
                self,
                f"Template{index}",
                name=template.name,
                description=template.description,
                category="showrunner-ingest",
                queue=self.queue.attr_arn,
                acceleration_settings=mediaconvert.CfnJobTemplate.AccelerationSettingsProperty(
                    mode=props.acceleration_mode
                ),
                status_update_interval="SECONDS_60",
                settings_json=dict(template.settings),
            )
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal(
                "mediaconvert.amazonaws.com",
                conditions={
                    "StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID},
                    # MediaConvert names the queue of the job (MediaConvert user guide, "Cross-service confused
                    # deputy prevention"): only jobs in this queue run with this role.
                    "ArnEquals": {"aws:SourceArn": self.queue.attr_arn},
                },
            ),
            description=f"Showrunner {env.name}: MediaConvert ingest jobs (read sources, write packages)",
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="ReadSources",
                actions=["s3:GetObject"],
                resources=[ingest_bucket.arn_for_objects(f"{props.read_prefix}*")],
            )
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="WritePackages",
                actions=["s3:PutObject"],
                resources=[content_bucket.arn_for_objects(pattern) for pattern in props.write_patterns],
            )
        )
        if props.speke_api_arn is not None:
            # MediaConvert calls the DRM key provider's API Gateway with the job's role (SigV4).
            self.role.add_to_policy(
                iam.PolicyStatement(
                    sid="CallTheKeyProvider", actions=["execute-api:Invoke"], resources=[props.speke_api_arn]
                )
            )
