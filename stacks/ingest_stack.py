"""Ingest: upload a source video, get a published HLS + DASH title (docs/architecture.md, "Ingest")."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from constructs import Construct

from stacks.base_stack import ShowrunnerStack
from stacks.compliance import Ack
from stacks.config.mediaconvert import (
    DASH_BASE,
    HLS_BASE,
    IMAGES_BASE,
    PACKAGE_BASE,
    PUBLISHED_MANIFESTS,
    acceleration_mode,
    input_settings,
    job_template_settings,
    template_variants,
    workflow_settings,
)
from stacks.config.mediaconvert_model import check
from stacks.constructs.catalog_table import CatalogTable
from stacks.constructs.content_key_store import ContentKeyStore
from stacks.constructs.ingest_workflow import INGEST_PREFIX, IngestWorkflow, IngestWorkflowProps
from stacks.constructs.secure_bucket import SecureBucket
from stacks.constructs.transcoding import JobTemplateProps, Transcoding, TranscodingProps
from stacks.names import INGEST_BUCKET_OUTPUT, INGEST_STATE_MACHINE_OUTPUT

_CONTENT = "{ref:Storage/ContentBucket.Arn}"
_SOURCES = "{ref:Ingest/IngestBucket.Arn}/incoming/*"
_READ_SOURCES = (
    "Sources are whatever operators upload under incoming/, one object per title, named only at upload time: the "
    "wildcard is the upload's name under that prefix of the ingest bucket, nothing else in it."
)
_PACKAGES = (
    "MediaConvert writes a title's package and images under vod/<titleId>/ (cmaf* for CMAF, hls* and dash* for an "
    "aes-128 title's HLS and DASH, images/*), the titleId known only when the workflow runs: the role may write "
    "those four patterns and nothing else, not even the published manifests master.m3u8 and manifest.mpd."
)
_PUBLISH = (
    "Once a job succeeded, the workflow copies that title's vod/<titleId>/cmaf.m3u8 and cmaf.mpd (hls.m3u8 and "
    "dash.mpd for an aes-128 title) to master.m3u8 "
    "and manifest.mpd (and deletes those two on a failed publish); the wildcard is the titleId, which exists only "
    "at run time."
)
_SFN_TASKS = "aws-cdk-lib's Step Functions tasks"


class IngestStack(ShowrunnerStack):
    """The ingest bucket, MediaConvert's queue, job templates and role, and the workflow that drives them.

    * ``ingest_bucket``: private, SSE-S3, TLS-only, versioned, access-logged, its events sent to
      EventBridge; sources are kept (Intelligent-Tiering from day 0). Upload to ``incoming/``.
    * ``transcoding``: an on-demand queue, one job template per tail of the ladder (``ingest.ladder``),
      and the role jobs run with (read ``incoming/``, write the package under ``vod/``).
    * ``workflow``: EventBridge -> Step Functions -> MediaConvert -> the catalog table (Storage stack);
      failures to the alerts topic (Alerts stack).
    """

    acknowledgments = (
        Ack("Transcoding/Role/DefaultPolicy/Resource", f"AwsSolutions-IAM5[Resource::{_SOURCES}]", _READ_SOURCES),
        *(
            Ack("Transcoding/Role/DefaultPolicy/Resource", f"AwsSolutions-IAM5[Resource::{_CONTENT}/{key}]", _PACKAGES)
            for key in ("vod/*/cmaf*", "vod/*/hls*", "vod/*/dash*", "vod/*/images/*")
        ),
        Ack(
            "Workflow/ValidateFunctionRole/DefaultPolicy/Resource",
            f"AwsSolutions-IAM5[Resource::{_SOURCES}]",
            "The validate step reads the HEAD and first 64 bytes of the upload that started its run; " + _READ_SOURCES,
        ),
        Ack(
            "Workflow/StateMachine/Role/DefaultPolicy/Resource",
            f"AwsSolutions-IAM5[Resource::{_SOURCES}]",
            "MediaConvert's Probe reads the source with the caller's (the state machine's) credentials; "
            + _READ_SOURCES,
        ),
        *(
            Ack(
                "Workflow/StateMachine/Role/DefaultPolicy/Resource",
                f"AwsSolutions-IAM5[Resource::{_CONTENT}/{key}]",
                _PUBLISH,
            )
            for key in (
                "vod/*/cmaf.m3u8",
                "vod/*/cmaf.mpd",
                "vod/*/hls.m3u8",
                "vod/*/dash.mpd",
                "vod/*/master.m3u8",
                "vod/*/manifest.mpd",
            )
        ),
        Ack(
            "Workflow/StateMachine/Role/DefaultPolicy/Resource",
            "AwsSolutions-IAM5[Resource::*]",
            "mediaconvert:Probe acts on no MediaConvert resource, and a job's ID exists only once CreateJob made "
            f"it, so CreateJob, GetJob and CancelJob (the .sync integration) name no ARN ({_SFN_TASKS}); passing "
            "the role is limited to the one MediaConvert role, and to MediaConvert.",
        ),
        *(
            Ack(
                "Workflow/StateMachine/Role/DefaultPolicy/Resource",
                f"AwsSolutions-IAM5[Resource::{{ref:Ingest/Workflow/{function}.Arn}}:*]",
                f"lambda:InvokeFunction on the workflow's own function and its versions ({_SFN_TASKS}' grant).",
            )
            for function in ("ValidateFunction", "WorkflowFunction")
        ),
        Ack(
            "Workflow/StartFailures/Resource",
            "AwsSolutions-SQS3",
            "This queue is itself the dead-letter queue of the EventBridge rule's Step Functions target (an upload "
            "whose run could not start); cdk-nag recognises only SQS redrive. Its alarm notifies the alerts topic.",
        ),
    )

    checkov_skips = (
        *(
            Ack(
                f"Workflow/{function}/Resource",
                check,
                f"The ingest workflow's {function}, invoked synchronously by the ingest state machine: {reason}",
            )
            for function in ("ValidateFunction", "WorkflowFunction")
            for check, reason in (
                (
                    "CKV_AWS_115",
                    "a few invocations per upload, and uploads are operators' actions; the expensive part, "
                    "MediaConvert, is bounded by its queue (ingest.queue_concurrent_jobs). Reserving concurrency "
                    "would fail in new accounts whose limit leaves no unreserved pool.",
                ),
                (
                    "CKV_AWS_116",
                    "Step Functions receives its error, retries and records the failure, so a dead-letter queue "
                    "for asynchronous invocations would never receive anything.",
                ),
                (
                    "CKV_AWS_117",
                    "it calls S3 (validate) or nothing (plan, record, explain) and holds no data; inside the VPC "
                    "it would need NAT or an endpoint to reach S3.",
                ),
                (
                    "CKV_AWS_173",
                    "its environment variables hold limits, a bucket name and the ladder, never secrets, and "
                    "Lambda encrypts them at rest with its service key.",
                ),
            )
        ),
        Ack(
            "Workflow/StateMachine/Role/DefaultPolicy/Resource",
            "CKV_AWS_111",
            "MediaConvert's CreateJob (and GetJob/CancelJob of the .sync integration) cannot name a job that does not "
            "exist yet, and log delivery and X-Ray actions take no resource; every write to S3 and DynamoDB names "
            "its keys or table (the cdk-nag IAM5 acknowledgments above give each wildcard's reason).",
        ),
        Ack(
            "Workflow/StartFailures/Resource",
            "CKV_AWS_27",
            "The dead-letter queue is encrypted with SQS-managed keys (SSE-SQS): EventBridge cannot send to a queue "
            "under the AWS managed aws/sqs KMS key, and its messages are S3 event notifications (bucket, key, "
            "size), no content.",
        ),
    )

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        content_bucket: s3.IBucket,
        logs_bucket: s3.IBucket,
        catalog: CatalogTable,
        content_keys: ContentKeyStore,
        alerts_topic: sns.ITopic,
        alerts_key: kms.IKey,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, description="ingest bucket, MediaConvert, ingest workflow", **kwargs)
        config = self.config
        ingest = config.ingest
        self.ingest_bucket = SecureBucket(
            self,
            "IngestBucket",
            env=self.env_props,
            access_logs_bucket=logs_bucket,
            intelligent_tiering=True,
            event_bridge=True,
        )
        images = IMAGES_BASE.split("/", 1)[0]
        templates = [
            JobTemplateProps(
                name=variant.name,
                description=(
                    f"Showrunner {config.name}: CMAF (HLS + DASH) from {variant.rungs[0].name} down"
                    if variant.protection == "none"
                    else f"Showrunner {config.name}: HLS for AES-128 (the job adds the key) from "
                    f"{variant.rungs[0].name} down"
                ),
                settings=job_template_settings(ingest, list(variant.rungs), variant.protection),
            )
            for variant in template_variants(config.name, ingest)
        ]
        for template in templates:
            # What CreateJobTemplate will receive (the queue's ARN is known only at deploy): refused at synth
            # if MediaConvert would refuse it.
            request = {
                "Name": template.name,
                "Queue": f"arn:aws:mediaconvert:{config.region}:123456789012:queues/showrunner-{config.name}-ingest",
                "AccelerationSettings": {"Mode": acceleration_mode(ingest)},
                "StatusUpdateInterval": "SECONDS_60",
                "Settings": dict(template.settings),
            }
            check("CreateJobTemplate", request, f"job template {template.name}")
        self.transcoding = Transcoding(
            self,
            "Transcoding",
            env=self.env_props,
            props=TranscodingProps(
                templates=templates,
                acceleration_mode=acceleration_mode(ingest),
                concurrent_jobs=ingest.queue_concurrent_jobs,
                read_prefix=INGEST_PREFIX,
                write_patterns=(
                    f"vod/*/{PACKAGE_BASE}*",
                    f"vod/*/{HLS_BASE}*",
                    f"vod/*/{DASH_BASE}*",
                    f"vod/*/{images}/*",
                ),
                speke_api_arn=ingest.protection.speke.api_arn if ingest.protection.speke else None,
            ),
            ingest_bucket=self.ingest_bucket,
            content_bucket=content_bucket,
        )
        self.workflow = IngestWorkflow(
            self,
            "Workflow",
            env=self.env_props,
            props=IngestWorkflowProps(
                max_source_bytes=ingest.max_source_bytes,
                max_source_seconds=ingest.max_source_minutes * 60,
                workflow_settings=workflow_settings(config.name, ingest, content_bucket.bucket_name),
                acceleration_mode=acceleration_mode(ingest),
                input_settings=input_settings(),
                package_manifests=(
                    *(f"vod/*/{package}" for package, _ in PUBLISHED_MANIFESTS.values()),
                    f"vod/*/{HLS_BASE}.m3u8",
                    f"vod/*/{DASH_BASE}.mpd",
                ),
                published_manifests=tuple(f"vod/*/{published}" for _, published in PUBLISHED_MANIFESTS.values()),
            ),
            ingest_bucket=self.ingest_bucket,
            content_bucket=content_bucket,
            catalog=catalog.table,
            catalog_key=catalog.key,
            content_keys=content_keys.table,
            content_keys_key=content_keys.key,
            transcoding=self.transcoding,
            alerts_topic=alerts_topic,
            alerts_key=alerts_key,
        )
        CfnOutput(self, INGEST_BUCKET_OUTPUT, value=self.ingest_bucket.bucket_name)
        CfnOutput(self, INGEST_STATE_MACHINE_OUTPUT, value=self.workflow.state_machine.state_machine_arn)
