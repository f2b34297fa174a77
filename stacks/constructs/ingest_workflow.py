"""The ingest workflow: an upload to ``incoming/`` -> Step Functions -> MediaConvert -> a published catalog item.

An EventBridge rule on the ingest bucket's "Object Created" events under ``incoming/``
starts one execution per upload (a dead-letter queue keeps any event that could not
start one). The state machine, with native integrations wherever they exist:

1. ``Validate`` (function ``ingest_validate``): key, extension, size, title-id metadata,
   first bytes. A refusal is recorded, never raised.
2. ``Claim`` (DynamoDB PutItem): the title is ``processing`` under this execution, unless it
   already exists and has not failed: a duplicate upload of the same content changes nothing.
3. ``Probe`` (MediaConvert ``Probe``, the SDK integration): the source's tracks, size, duration.
4. ``Plan`` (function ``ingest_workflow``): the rungs worth encoding (never upscaled), so the job
   template, and the title's destinations; or a refusal (too long, no video or audio track...).
   An ``aes-128`` title also gets its fresh content keys, HLS and DASH, which ``StoreKey`` and
   ``StoreDashKey`` (DynamoDB PutItem each, never overwriting) write to the content-keys table
   before the job that uses them starts.
5. ``Transcode`` (``mediaconvert:createJob.sync``): waits for the job, within a timeout from the
   source's duration (a stuck job is cancelled).
6. ``Record`` (function): the job's renditions and duration as the item's attributes.
7. ``PublishHls``, ``PublishDash`` (S3 CopyObject; DASH only for titles that have it): the
   package's manifests become ``master.m3u8`` and ``manifest.mpd``, the names the issuer signs
   for; ``Publish`` (DynamoDB UpdateItem): the item is ``published``, if this execution still holds it.

Any failure: ``Explain`` (function) turns the error into a code and a reason (MediaConvert's
error code included), ``RecordFailure`` marks the title ``failed`` (never a title another run
holds or has published), ``Alert`` publishes to the alerts topic, and the execution fails with
that code. A failure after the manifests were published removes them first (``Unpublish``).
Sources are never deleted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aws_cdk import Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from stacks.constructs.props import EnvironmentProps
from stacks.constructs.python_function import PythonFunction
from stacks.constructs.transcoding import Transcoding
from stacks.log_groups import log_group

S = tasks.DynamoAttributeValue
DISCARD = sfn.JsonPath.DISCARD
INGEST_PREFIX = "incoming/"


@dataclass(frozen=True, kw_only=True)
class IngestWorkflowProps:
    max_source_bytes: int
    max_source_seconds: int
    workflow_settings: str  # INGEST_SETTINGS of the workflow function (stacks/config/mediaconvert.py)
    acceleration_mode: str
    input_settings: Mapping[str, Any]  # the job's input selectors, as in its template
    package_manifests: Sequence[str]  # what MediaConvert writes and the workflow copies, e.g. "vod/*/cmaf.m3u8"
    published_manifests: Sequence[str]  # what the workflow writes: "vod/*/master.m3u8", "vod/*/manifest.mpd"


def _s(path: str) -> S:
    return S.from_string(sfn.JsonPath.string_at(path))


class IngestWorkflow(Construct):
    """The state machine, its two functions, and the rule that starts it (module docstring)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        env: EnvironmentProps,
        props: IngestWorkflowProps,
        ingest_bucket: s3.IBucket,
        content_bucket: s3.IBucket,
        catalog: dynamodb.ITableV2,
        catalog_key: kms.IKey,
        content_keys: dynamodb.ITableV2,
        content_keys_key: kms.IKey,
        transcoding: Transcoding,
        alerts_topic: sns.ITopic,
        alerts_key: kms.IKey,
    ) -> None:
        super().__init__(scope, construct_id)
        region = Stack.of(self).region
        self.validate_function = PythonFunction(
            self,
            "ValidateFunction",
            env=env,
            source="ingest_validate",
            shared=["cloudfront_token"],
            description=f"Showrunner {env.name}: ingest step 1, is the upload worth transcoding?",
            environment={"MAX_SOURCE_BYTES": str(props.max_source_bytes)},
            timeout=Duration.seconds(30),
        )
        # HEAD and a ranged GET, of uploads only (HEAD is s3:GetObject).
        self.validate_function.add_to_role_policy(
            iam.PolicyStatement(
                actions=["s3:GetObject"], resources=[ingest_bucket.arn_for_objects(f"{INGEST_PREFIX}*")]
            )
        )
        self.workflow_function = PythonFunction(
            self,
            "WorkflowFunction",
            env=env,
            source="ingest_workflow",
            shared=["cloudfront_token"],
            description=f"Showrunner {env.name}: ingest decisions (plan, record, explain); calls no AWS API",
            environment={"INGEST_SETTINGS": props.workflow_settings},
        )

        chain = self._definition(
            env, props, ingest_bucket, content_bucket, catalog, content_keys, transcoding, alerts_topic
        )
        self.state_machine = sfn.StateMachine(
            self,
            "StateMachine",
            state_machine_name=f"showrunner-{env.name}-ingest",
            definition_body=sfn.DefinitionBody.from_chainable(chain),
            # The longest job the plan allows (its own timeout), and an hour for everything else.
            timeout=Duration.seconds(2 * 3600 + 3 * props.max_source_seconds),
            tracing_enabled=True,
            logs=sfn.LogOptions(destination=log_group(self, "StateMachineLogs", env), level=sfn.LogLevel.ALL),
        )
        role = self.state_machine.role
        # DynamoDB decrypts the catalog's table key with the caller's permission (via DynamoDB only).
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="UseTheCatalogKeyThroughDynamoDB",
                actions=["kms:Decrypt"],
                resources=[catalog_key.key_arn],
                conditions={"StringEquals": {"kms:ViaService": f"dynamodb.{region}.amazonaws.com"}},
            )
        )
        # Storing a content key: DynamoDB uses the content-keys table's key for the workflow (via DynamoDB only).
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="UseTheContentKeysKeyThroughDynamoDB",
                actions=["kms:Decrypt"],
                resources=[content_keys_key.key_arn],
                conditions={"StringEquals": {"kms:ViaService": f"dynamodb.{region}.amazonaws.com"}},
            )
        )
        # Publishing to the encrypted alerts topic: SNS encrypts the message with its key for the publisher.
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="EncryptAlertsThroughSns",
                actions=["kms:GenerateDataKey", "kms:Decrypt"],
                resources=[alerts_key.key_arn],
                conditions={"StringEquals": {"kms:ViaService": f"sns.{region}.amazonaws.com"}},
            )
        )

        self.dead_letters = sqs.Queue(
            self,
            "StartFailures",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(14),
        )
        self.rule = events.Rule(
            self,
            "OnUpload",
            description=f"Showrunner {env.name}: every upload under {INGEST_PREFIX} starts one ingest run",
            event_pattern=events.EventPattern(
                source=["aws.s3"],
                detail_type=["Object Created"],
                detail={
                    "bucket": {"name": [ingest_bucket.bucket_name]},
                    "object": {"key": events.Match.prefix(INGEST_PREFIX)},
                },
            ),
            targets=[
                targets.SfnStateMachine(
                    self.state_machine,
                    dead_letter_queue=self.dead_letters,
                    retry_attempts=8,
                    max_event_age=Duration.hours(24),
                )
            ],
        )
        # An upload whose run could not even start is in the dead-letter queue: say so.
        self.start_failures_alarm = cloudwatch.Alarm(
            self,
            "StartFailuresAlarm",
            alarm_name=f"showrunner-{env.name}-ingest-start-failures",
            alarm_description="An upload to the ingest bucket could not start its ingest run; its event is in the "
            "dead-letter queue (docs/operations.md, Ingest)",
            metric=self.dead_letters.metric_approximate_number_of_messages_visible(period=Duration.minutes(5)),
            threshold=0,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=1,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        self.start_failures_alarm.add_alarm_action(cloudwatch_actions.SnsAction(alerts_topic))

    def _definition(
        self,
        env: EnvironmentProps,
        props: IngestWorkflowProps,
        ingest_bucket: s3.IBucket,
        content_bucket: s3.IBucket,
        catalog: dynamodb.ITableV2,
        content_keys: dynamodb.ITableV2,
        transcoding: Transcoding,
        alerts_topic: sns.ITopic,
    ) -> sfn.IChainable:
        source_url = sfn.JsonPath.format(
            "s3://{}/{}", sfn.JsonPath.string_at("$.source.bucket"), sfn.JsonPath.string_at("$.source.key")
        )

        # --- failures ---------------------------------------------------------------------------------
        failed = sfn.Fail(self, "Failed", error_path="$.failure.code", cause_path="$.failure.reason")
        alert = tasks.SnsPublish(
            self,
            "Alert",
            topic=alerts_topic,
            subject=f"Showrunner {env.name}: an ingest run failed",
            message=sfn.TaskInput.from_object(
                {
                    "event": "showrunner.ingest.failed",
                    "environment": env.name,
                    "titleId": sfn.JsonPath.string_at("$.source.titleId"),
                    "upload": sfn.JsonPath.string_at("$.detail.object.key"),
                    "failure": sfn.JsonPath.object_at("$.failure"),
                    "execution": sfn.JsonPath.execution_id,
                }
            ),
            result_path=DISCARD,
        )
        alert.add_retry(errors=["States.ALL"], interval=Duration.seconds(2), max_attempts=3, backoff_rate=2)
        alert.next(failed)
        record_failure = tasks.DynamoUpdateItem(
            self,
            "RecordFailure",
            table=catalog,
            key={"titleId": _s("$.source.titleId")},
            update_expression=(
                "SET #status = :failed, failure = :failure, #source = :source, executionArn = :execution, "
                "updatedAt = :now"
            ),
            condition_expression=(
                "attribute_not_exists(titleId) OR #status = :failed "
                "OR (#status = :processing AND executionArn = :execution)"
            ),
            expression_attribute_names={"#status": "status", "#source": "source"},
            expression_attribute_values={
                ":failed": S.from_string("failed"),
                ":processing": S.from_string("processing"),
                ":failure": S.from_map(
                    {
                        "code": _s("$.failure.code"),
                        "reason": _s("$.failure.reason"),
                        "step": _s("$.failure.step"),
                        "errorCode": _s("$.failure.errorCode"),
                    }
                ),
                ":source": S.from_map(
                    {"bucket": _s("$.source.bucket"), "key": _s("$.source.key"), "versionId": _s("$.source.versionId")}
                ),
                ":execution": S.from_string(sfn.JsonPath.execution_id),
                ":now": S.from_string(sfn.JsonPath.state_entered_time),
            },
            result_path=DISCARD,
        )
        # A title another run holds or has published keeps its status; the alert still goes out.
        record_failure.add_catch(alert, errors=["States.ALL"], result_path="$.recordError")
        record_failure.next(alert)
        titled = (
            sfn.Choice(self, "Titled?")
            .when(sfn.Condition.string_equals("$.source.titleId", ""), alert)
            .otherwise(record_failure)
        )
        explained_failure = sfn.Pass(
            self,
            "ExplainFailed",
            parameters={
                "code": "internal",
                "reason": "the failure could not be described",
                "step": "explain",
                "errorCode": "",
            },
            result_path="$.failure",
        ).next(titled)
        explain = tasks.LambdaInvoke(
            self,
            "Explain",
            lambda_function=self.workflow_function,
            payload=sfn.TaskInput.from_object(
                {
                    "op": "explain",
                    "step": sfn.JsonPath.string_at("$.failedStep"),
                    "error": sfn.JsonPath.object_at("$.error"),
                }
            ),
            payload_response_only=True,
            result_path="$.failure",
        )
        explain.add_catch(explained_failure, errors=["States.ALL"], result_path="$.explainError")
        explain.next(titled)

        def failed_at(step: str, then: sfn.IChainable = explain) -> sfn.Chain:
            return sfn.Pass(
                self, f"{step.capitalize()}Failed", result=sfn.Result.from_string(step), result_path="$.failedStep"
            ).next(then)

        def catch(task: sfn.TaskStateBase, step: str, then: sfn.IChainable | None = None) -> None:
            task.add_catch(failed_at(step, then or explain), errors=["States.ALL"], result_path="$.error")

        def refusal(state_id: str, verdict: str) -> sfn.Chain:
            return sfn.Pass(
                self,
                state_id,
                parameters={
                    "code": sfn.JsonPath.string_at(f"{verdict}.code"),
                    "reason": sfn.JsonPath.string_at(f"{verdict}.reason"),
                    "step": sfn.JsonPath.string_at(f"{verdict}.step"),
                    "errorCode": "",
                },
                result_path="$.failure",
            ).next(titled)

        # --- the happy path -------------------------------------------------------------------------------
        validate = tasks.LambdaInvoke(
            self,
            "Validate",
            lambda_function=self.validate_function,
            input_path="$.detail",
            payload_response_only=True,
            result_path="$.source",
        )
        # A validate step that could not run at all has no verdict, so no titleId: the run is only alerted.
        unvalidated = sfn.Pass(
            self,
            "Unvalidated",
            parameters={"titleId": "", "key": sfn.JsonPath.string_at("$.detail.object.key")},
            result_path="$.source",
        ).next(failed_at("validate"))
        validate.add_catch(unvalidated, errors=["States.ALL"], result_path="$.error")

        claim = tasks.DynamoPutItem(
            self,
            "Claim",
            table=catalog,
            item={
                "titleId": _s("$.source.titleId"),
                "status": S.from_string("processing"),
                "name": _s("$.source.name"),
                "source": S.from_map(
                    {
                        "bucket": _s("$.source.bucket"),
                        "key": _s("$.source.key"),
                        "versionId": _s("$.source.versionId"),
                        "etag": _s("$.source.etag"),
                    }
                ),
                "executionArn": S.from_string(sfn.JsonPath.execution_id),
                "createdAt": S.from_string(sfn.JsonPath.state_entered_time),
                "updatedAt": S.from_string(sfn.JsonPath.state_entered_time),
            },
            condition_expression="attribute_not_exists(titleId) OR #status = :failed",
            expression_attribute_names={"#status": "status"},
            expression_attribute_values={":failed": S.from_string("failed")},
            result_path=DISCARD,
        )
        duplicate = sfn.Pass(
            self,
            "Duplicate",
            parameters={
                "code": "duplicate",
                "reason": sfn.JsonPath.format(
                    "title {} already exists (the same content, or its title-id metadata); this upload changed nothing",
                    sfn.JsonPath.string_at("$.source.titleId"),
                ),
                "step": "claim",
                "errorCode": "",
            },
            result_path="$.failure",
        ).next(alert)
        claim.add_catch(duplicate, errors=["DynamoDB.ConditionalCheckFailedException"], result_path="$.error")
        catch(claim, "claim")

        probe = tasks.CallAwsService(
            self,
            "Probe",
            service="mediaconvert",
            action="probe",
            parameters={"InputFiles": [{"FileUrl": source_url}]},
            iam_action="mediaconvert:Probe",
            iam_resources=["*"],  # Probe acts on no MediaConvert resource
            # Probe reads the source with the caller's credentials.
            additional_iam_statements=[
                iam.PolicyStatement(
                    actions=["s3:GetObject"], resources=[ingest_bucket.arn_for_objects(f"{INGEST_PREFIX}*")]
                )
            ],
            result_path="$.probe",
        )
        probe.add_retry(errors=["MediaConvert.TooManyRequestsException", "MediaConvert.InternalServerErrorException"])
        catch(probe, "probe")

        plan = tasks.LambdaInvoke(
            self,
            "Plan",
            lambda_function=self.workflow_function,
            payload=sfn.TaskInput.from_object(
                {"op": "plan", "source": sfn.JsonPath.object_at("$.source"), "probe": sfn.JsonPath.object_at("$.probe")}
            ),
            payload_response_only=True,
            result_path="$.plan",
        )
        catch(plan, "plan")

        transcode = tasks.MediaConvertCreateJob(
            self,
            "Transcode",
            integration_pattern=sfn.IntegrationPattern.RUN_JOB,
            create_job_request={
                "Role": transcoding.role.role_arn,
                "Queue": transcoding.queue.attr_arn,
                "JobTemplate.$": "$.plan.jobTemplate",
                "AccelerationSettings": {"Mode": props.acceleration_mode},
                "StatusUpdateInterval": "SECONDS_60",
                "BillingTagsSource": "QUEUE",
                # dashKeyId: the KID of an aes-128 title's DASH key ("" otherwise): StaticKeyProvider has no KID field.
                "UserMetadata": {
                    "titleId.$": "$.source.titleId",
                    "execution.$": "$$.Execution.Id",
                    "dashKeyId.$": "$.plan.dashKeyId",
                },
                "Settings": {
                    "Inputs": [
                        {
                            **props.input_settings,
                            "FileInput.$": "States.Format('s3://{}/{}', $.source.bucket, $.source.key)",
                        }
                    ],
                    "OutputGroups.$": "$.plan.outputGroups",
                },
            },
            task_timeout=sfn.Timeout.at("$.plan.timeoutSeconds"),
            result_path="$.job",
        )
        transcode.add_retry(
            errors=[
                "MediaConvert.TooManyRequestsException",
                "MediaConvert.InternalServerErrorException",
                "MediaConvert.ConflictException",
            ],
            interval=Duration.seconds(5),
            max_attempts=5,
            backoff_rate=2,
        )
        catch(transcode, "transcode")

        record = tasks.LambdaInvoke(
            self,
            "Record",
            lambda_function=self.workflow_function,
            payload=sfn.TaskInput.from_object(
                {"op": "record", "plan": sfn.JsonPath.object_at("$.plan"), "job": sfn.JsonPath.object_at("$.job")}
            ),
            payload_response_only=True,
            result_path="$.record",
        )
        catch(record, "record")

        unpublish = tasks.CallAwsService(
            self,
            "Unpublish",
            service="s3",
            action="deleteObjects",
            parameters={
                "Bucket": content_bucket.bucket_name,
                "Delete": {
                    "Objects": sfn.JsonPath.list_at("$.plan.unpublish"),
                    "Quiet": True,
                },
            },
            iam_action="s3:DeleteObject",
            iam_resources=[content_bucket.arn_for_objects(key) for key in props.published_manifests],
            result_path=DISCARD,
        )
        unpublish.add_retry(errors=["States.ALL"], interval=Duration.seconds(2), max_attempts=3, backoff_rate=2)
        unpublish.add_catch(explain, errors=["States.ALL"], result_path="$.unpublishError")
        unpublish.next(explain)
        publish_failed = failed_at("publish", unpublish)

        def copy(state_id: str, manifest: str) -> tasks.CallAwsService:
            step = tasks.CallAwsService(
                self,
                state_id,
                service="s3",
                action="copyObject",
                parameters={
                    "Bucket": content_bucket.bucket_name,
                    "CopySource": sfn.JsonPath.string_at(f"$.plan.publish.{manifest}.copySource"),
                    "Key": sfn.JsonPath.string_at(f"$.plan.publish.{manifest}.key"),
                },
                iam_action="s3:PutObject",
                iam_resources=[content_bucket.arn_for_objects(key) for key in props.published_manifests],
                additional_iam_statements=[
                    iam.PolicyStatement(
                        actions=["s3:GetObject"],
                        resources=[content_bucket.arn_for_objects(key) for key in props.package_manifests],
                    )
                ],
                result_path=DISCARD,
            )
            step.add_retry(
                errors=["S3.S3Exception", "S3.SdkClientException"], interval=Duration.seconds(2), max_attempts=3
            )
            step.add_catch(publish_failed, errors=["States.ALL"], result_path="$.error")
            return step

        # The SDK integration, not DynamoUpdateItem: aws-cdk-lib 2.275 renders DynamoAttributeValue.list_from_json_path
        # as {"L": "$.path"} (no ".$"), which would store the path's text; the local run of this workflow found it.
        publish = tasks.CallAwsService(
            self,
            "Publish",
            service="dynamodb",
            action="updateItem",
            parameters={
                "TableName": catalog.table_name,
                "Key": {"titleId": {"S.$": "$.source.titleId"}},
                "UpdateExpression": (
                    "SET #status = :published, formats = :formats, manifests = :manifests, renditions = :renditions, "
                    "durationSeconds = :duration, poster = :poster, thumbnails = :thumbnails, jobId = :job, "
                    "protection = :protection, "
                    "publishedAt = :now, updatedAt = :now REMOVE failure"
                ),
                "ConditionExpression": "#status = :processing AND executionArn = :execution",
                "ExpressionAttributeNames": {"#status": "status"},
                "ExpressionAttributeValues": {
                    ":published": {"S": "published"},
                    ":processing": {"S": "processing"},
                    ":execution": {"S.$": "$$.Execution.Id"},
                    ":formats": {"L.$": "$.record.formats"},
                    ":manifests": {"M.$": "$.record.manifests"},
                    ":renditions": {"L.$": "$.record.renditions"},
                    ":duration": {"N.$": "$.record.durationSeconds"},
                    ":poster": {"S.$": "$.record.poster"},
                    ":thumbnails": {"M.$": "$.record.thumbnails"},
                    ":job": {"S.$": "$.record.jobId"},
                    ":protection": {"S.$": "$.record.protection"},
                    ":now": {"S.$": "$$.State.EnteredTime"},
                },
            },
            iam_action="dynamodb:UpdateItem",
            iam_resources=[catalog.table_arn],
            result_path=DISCARD,
        )
        publish.add_catch(publish_failed, errors=["States.ALL"], result_path="$.error")
        published = sfn.Succeed(self, "Published")

        validate.next(
            sfn.Choice(self, "Valid?")
            .when(sfn.Condition.boolean_equals("$.source.ok", True), claim)
            .otherwise(refusal("Rejected", "$.source"))
        )

        # An aes-128 title's content keys are stored before the job that encrypts with them starts, never replaced.
        def store(construct_id: str, path: str) -> tasks.DynamoPutItem:
            return tasks.DynamoPutItem(
                self,
                construct_id,
                table=content_keys,
                item={
                    "titleId": tasks.DynamoAttributeValue.from_string(sfn.JsonPath.string_at(f"{path}.titleId")),
                    "keyId": tasks.DynamoAttributeValue.from_string(sfn.JsonPath.string_at(f"{path}.keyId")),
                    "key": tasks.DynamoAttributeValue.from_binary(sfn.JsonPath.string_at(f"{path}.key")),
                    "scheme": tasks.DynamoAttributeValue.from_string(sfn.JsonPath.string_at(f"{path}.scheme")),
                    "createdAt": tasks.DynamoAttributeValue.from_string(sfn.JsonPath.string_at("$$.State.EnteredTime")),
                },
                condition_expression="attribute_not_exists(keyId)",
                result_path=DISCARD,
            )

        store_key = store("StoreKey", "$.plan.contentKey")
        store_dash_key = store("StoreDashKey", "$.plan.dashKey")
        catch(store_dash_key, "store_dash_key")
        store_key.next(store_dash_key)
        catch(store_key, "store_key")
        store_dash_key.next(transcode)
        claim.next(probe).next(plan).next(
            sfn.Choice(self, "Plannable?")
            .when(
                sfn.Condition.and_(
                    sfn.Condition.boolean_equals("$.plan.ok", True), sfn.Condition.is_present("$.plan.contentKey")
                ),
                store_key,
            )
            .when(sfn.Condition.boolean_equals("$.plan.ok", True), transcode)
            .otherwise(refusal("Refused", "$.plan"))
        )
        # Every plan publishes both manifests (a protected title's DASH from its own cenc group).
        transcode.next(record).next(copy("PublishHls", "hls")).next(copy("PublishDash", "dash")).next(publish)
        publish.next(published)
        return validate
