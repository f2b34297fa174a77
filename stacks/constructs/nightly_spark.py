"""The nightly Spark run: a transient EMR cluster per night, driven by Step Functions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from aws_cdk import Duration, Size, Stack, Tags
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_emr as emr
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_assets as s3_assets
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from stacks.constructs.props import EnvironmentProps
from stacks.log_groups import log_group
from stacks.names import EMR_TAG, PROJECT_TAG, TLS_CERTIFICATES_KEY

JOBS_DIR = Path(__file__).resolve().parents[2] / "assets" / "emr" / "jobs"
JOBS = ("trending", "recommendations")
INPUT_PREFIX = "events/"
CLUSTER_ID = "$.cluster.ClusterId"
# Titles each job keeps per row (its --top-n): more than a row shows (10), since the rows API leaves out
# what the catalog does not list for the viewer.
CANDIDATES = 20
LOAD_TIMEOUT_MINUTES = 16  # the loader function's own limit is 15
# The run's UTC date, from the execution's start time ("2026-11-26T03:00:00.123Z"): every step and load uses it.
RUN_DATE = "States.ArrayGetItem(States.StringSplit($$.Execution.StartTime, 'T'), 0)"
Fleet = tasks.EmrCreateCluster.InstanceFleetConfigProperty


@dataclass(frozen=True, kw_only=True)
class RowsTarget:
    """Where the nightly results are served from: the loader function and the rows table it writes."""

    loader: lambda_.IFunction
    table: dynamodb.ITableV2
    key: kms.IKey


@dataclass(frozen=True, kw_only=True)
class SparkRunProps:
    """The transient cluster and its schedule (docs/architecture.md#analytics)."""

    release_label: str  # emr-7.x
    schedule: str  # an EventBridge cron expression
    primary_instance_types: Sequence[str]
    core_instance_types: Sequence[str]
    task_instance_types: Sequence[str]
    core_units: int  # on-demand core capacity, also the floor of managed scaling
    task_spot_units: int  # Spot task capacity every run starts with
    max_units: int  # the ceiling of managed scaling
    step_timeout_minutes: int
    idle_timeout_minutes: int


def _fleet(role: tasks.EmrCreateCluster.InstanceRoleType, types: Sequence[str], *, on_demand: int, spot: int) -> Fleet:
    """Every type weighs 1 unit; each instance gets one encrypted 64 GiB gp3 volume for shuffle and HDFS."""
    volume = tasks.EmrCreateCluster.EbsBlockDeviceConfigProperty(
        volume_specification=tasks.EmrCreateCluster.VolumeSpecificationProperty(
            volume_size=Size.gibibytes(64), volume_type=tasks.EmrCreateCluster.EbsBlockDeviceVolumeType.GP3
        ),
        volumes_per_instance=1,
    )
    spot_specification = tasks.EmrCreateCluster.InstanceFleetProvisioningSpecificationsProperty(
        spot_specification=tasks.EmrCreateCluster.SpotProvisioningSpecificationProperty(
            allocation_strategy=tasks.EmrCreateCluster.SpotAllocationStrategy.PRICE_CAPACITY_OPTIMIZED,
            timeout_action=tasks.EmrCreateCluster.SpotTimeoutAction.SWITCH_TO_ON_DEMAND,
            timeout=Duration.minutes(10),
        )
    )
    return Fleet(
        instance_fleet_type=role,
        name=role.value.lower(),
        target_on_demand_capacity=on_demand,
        target_spot_capacity=spot,
        instance_type_configs=[
            tasks.EmrCreateCluster.InstanceTypeConfigProperty(
                instance_type=instance_type,
                weighted_capacity=1,
                ebs_configuration=tasks.EmrCreateCluster.EbsConfigurationProperty(
                    ebs_block_device_configs=[volume], ebs_optimized=True
                ),
            )
            for instance_type in types
        ],
        launch_specifications=spot_specification if spot else None,
    )


class NightlySpark(Construct):
    """Runs ``trending.py`` and ``recommendations.py`` on a transient EMR cluster
    on its schedule (``analytics.emr.schedule``: weekly in dev, nightly elsewhere),
    then serves their results.

    An EventBridge rule (``analytics.emr.schedule``) starts a state machine:
    plan the run (its ID and UTC date) -> create the cluster (and wait for it)
    -> trending -> recommendations -> terminate -> load trending -> load
    recommendations (``rows.loader``, into the rows table under the run's ID)
    -> switch the run pointer (DynamoDB, conditional: only to a newer run).
    A failed or timed-out step is caught and the cluster is terminated before
    the execution fails; the terminate calls retry. A failed load fails the
    execution before the switch, so viewers keep the previous run's rows. The
    cluster also carries an idle auto-termination policy
    (``idle_timeout_minutes``), so even a cluster whose execution was stopped
    by hand ends by itself. docs/architecture.md#analytics explains the choice.

    The cluster runs in the private subnets with EMR-managed security groups
    of its own, a security configuration that encrypts S3 (SSE-KMS, the data
    lake key), local disks and EBS (KMS) and traffic between nodes (TLS), and
    roles that reach only ``events/`` (read), ``trending/`` and
    ``recommendations/`` (write), the job scripts, its TLS certificates and
    its log prefix.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        env: EnvironmentProps,
        settings: SparkRunProps,
        vpc: ec2.IVpc,
        data_lake_bucket: s3.IBucket,
        data_lake_key: kms.IKey,
        logs_bucket: s3.IBucket,
        rows: RowsTarget,
    ) -> None:
        super().__init__(scope, construct_id)
        lake = data_lake_bucket
        subnets = vpc.select_subnets(subnet_group_name="private")
        for subnet in subnets.subnets:
            Tags.of(subnet).add(EMR_TAG, "true")

        self.jobs_package = s3_assets.Asset(self, "JobsPackage", path=str(JOBS_DIR), exclude=["__pycache__", "*.pyc"])
        self.job_scripts = {
            job: s3_assets.Asset(self, f"{job.capitalize()}Script", path=str(JOBS_DIR / f"{job}.py")) for job in JOBS
        }

        self.instance_role = self._instance_role(env, lake, data_lake_key, logs_bucket)
        # EMR's JobFlowRole names an instance profile, not a role, and EMR wants both to have the same name.
        # (EmrCreateCluster makes a profile only for a role it creates itself.)
        self.instance_profile = iam.CfnInstanceProfile(
            self,
            "InstanceProfile",
            roles=[self.instance_role.role_name],
            instance_profile_name=self.instance_role.role_name,
        )
        self.service_role = self._service_role(env, data_lake_key)
        security_groups = {
            name: ec2.SecurityGroup(
                self,
                f"{name}SecurityGroup",
                vpc=vpc,
                description=f"Showrunner {env.name} EMR {name.lower()} (EMR-managed rules)",
                allow_all_outbound=True,
            )
            for name in ("Primary", "Worker", "ServiceAccess")
        }
        for group in security_groups.values():
            Tags.of(group).add(EMR_TAG, "true")

        self.security_configuration = emr.CfnSecurityConfiguration(
            self,
            "SecurityConfiguration",  # unnamed: changing one means replacing it, and a fixed name would collide
            security_configuration=self.security_configuration_document(lake.bucket_name, data_lake_key.key_arn),
        )

        create = tasks.EmrCreateCluster(
            self,
            "CreateCluster",
            name=f"showrunner-{env.name}-nightly",
            release_label=settings.release_label,
            applications=[tasks.EmrCreateCluster.ApplicationConfigProperty(name="Spark")],
            instances=tasks.EmrCreateCluster.InstancesConfigProperty(
                ec2_subnet_ids=subnets.subnet_ids,
                emr_managed_master_security_group=security_groups["Primary"].security_group_id,
                emr_managed_slave_security_group=security_groups["Worker"].security_group_id,
                service_access_security_group=security_groups["ServiceAccess"].security_group_id,
                termination_protected=False,
                instance_fleets=[
                    _fleet(
                        tasks.EmrCreateCluster.InstanceRoleType.MASTER,
                        settings.primary_instance_types,
                        on_demand=1,
                        spot=0,
                    ),
                    _fleet(
                        tasks.EmrCreateCluster.InstanceRoleType.CORE,
                        settings.core_instance_types,
                        on_demand=settings.core_units,
                        spot=0,
                    ),
                    _fleet(
                        tasks.EmrCreateCluster.InstanceRoleType.TASK,
                        settings.task_instance_types,
                        on_demand=0,
                        spot=settings.task_spot_units,
                    ),
                ],
            ),
            managed_scaling_policy=tasks.EmrCreateCluster.ManagedScalingPolicyProperty(
                compute_limits=tasks.EmrCreateCluster.ManagedScalingComputeLimitsProperty(
                    unit_type=tasks.EmrCreateCluster.ComputeLimitsUnitType.INSTANCE_FLEET_UNITS,
                    minimum_capacity_units=settings.core_units,
                    maximum_capacity_units=settings.max_units,
                    maximum_core_capacity_units=settings.core_units,
                    maximum_on_demand_capacity_units=settings.core_units,  # scale out on Spot task nodes only
                )
            ),
            auto_termination_policy_idle_timeout=Duration.minutes(settings.idle_timeout_minutes),
            log_uri=f"s3://{logs_bucket.bucket_name}/emr/",
            security_configuration=self.security_configuration.ref,
            service_role=self.service_role,
            cluster_role=self.instance_role,
            visible_to_all_users=True,
            tags={EMR_TAG: "true", "project": PROJECT_TAG, "environment": env.name},
            integration_pattern=sfn.IntegrationPattern.RUN_JOB,
            result_selector={"ClusterId.$": "$.ClusterId"},
            result_path="$.cluster",
        )
        plan = sfn.Pass(
            self,
            "PlanRun",
            comment="The run's ID (the execution's name) and UTC date, which every step and load uses",
            parameters={
                "id.$": "$$.Execution.Name",
                "startedAt.$": "$$.Execution.StartTime",
                "date.$": RUN_DATE,
                "steps": {f"{job}.$": self.submit_args(job, lake.bucket_name) for job in JOBS},
            },
            result_path="$.run",
        )
        steps = [self._step(job, settings.step_timeout_minutes) for job in JOBS]
        terminate = self._terminate("TerminateCluster")
        terminate_after_failure = self._terminate("TerminateAfterFailure")
        failed = sfn.Fail(
            self, "RunFailed", error="NightlySparkRunFailed", cause="A step failed; the cluster was terminated"
        )
        cluster_failed = sfn.Fail(
            self, "ClusterFailed", error="NightlySparkClusterFailed", cause="The cluster did not start"
        )
        load_failed = sfn.Fail(
            self,
            "LoadFailed",
            error="NightlyRowsLoadFailed",
            cause="Loading or switching the rows failed; viewers keep the previous run's rows",
        )
        create.add_catch(cluster_failed, result_path="$.error")
        for step in steps:
            step.add_catch(terminate_after_failure, result_path="$.error")
        terminate_after_failure.next(failed)
        loads = [self._load(job, rows.loader) for job in JOBS]
        for load in loads:
            load.add_catch(load_failed, result_path="$.error")
        switch = self._switch(rows.table)
        switch.add_catch(
            sfn.Succeed(self, "Superseded", comment="A newer run was switched in first; its rows stay"),
            errors=["DynamoDB.ConditionalCheckFailedException"],
            result_path="$.error",
        )
        switch.add_catch(load_failed, result_path="$.error")

        chain = sfn.Chain.start(plan).next(create)
        for step in steps:
            chain = chain.next(step)
        chain = chain.next(terminate)
        for load in loads:
            chain = chain.next(load)
        chain = chain.next(switch).next(sfn.Succeed(self, "Done"))

        self.state_machine = sfn.StateMachine(
            self,
            "StateMachine",
            state_machine_name=f"showrunner-{env.name}-nightly-spark",
            definition_body=sfn.DefinitionBody.from_chainable(chain),
            timeout=Duration.minutes(60 + len(JOBS) * (settings.step_timeout_minutes + LOAD_TIMEOUT_MINUTES) + 30),
            tracing_enabled=True,
            logs=sfn.LogOptions(destination=log_group(self, "StateMachineLogs", env), level=sfn.LogLevel.ALL),
        )
        # The pointer's table is encrypted with its own key: DynamoDB uses it with the caller's permission.
        self.state_machine.add_to_role_policy(
            iam.PolicyStatement(
                sid="UseTheRowsKeyThroughDynamoDB",
                actions=["kms:Decrypt"],
                resources=[rows.key.key_arn],
                conditions={"StringEquals": {"kms:ViaService": f"dynamodb.{Stack.of(self).region}.amazonaws.com"}},
            )
        )
        self.state_machine.node.add_dependency(self.instance_profile)
        self.schedule = events.Rule(
            self,
            "Schedule",
            description=f"Showrunner {env.name}: start the nightly Spark run",
            schedule=events.Schedule.expression(settings.schedule),
            targets=[targets.SfnStateMachine(self.state_machine)],
        )

    @staticmethod
    def security_configuration_document(bucket_name: str, key_arn: str) -> dict[str, object]:
        return {
            "EncryptionConfiguration": {
                "EnableAtRestEncryption": True,
                "EnableInTransitEncryption": True,
                "AtRestEncryptionConfiguration": {
                    "S3EncryptionConfiguration": {"EncryptionMode": "SSE-KMS", "AwsKmsKey": key_arn},
                    "LocalDiskEncryptionConfiguration": {
                        "EncryptionKeyProviderType": "AwsKms",
                        "AwsKmsKey": key_arn,
                        "EnableEbsEncryption": True,
                    },
                },
                "InTransitEncryptionConfiguration": {
                    "TLSCertificateConfiguration": {
                        "CertificateProviderType": "PEM",
                        "S3Object": f"s3://{bucket_name}/{TLS_CERTIFICATES_KEY}",
                    }
                },
            }
        }

    def submit_args(self, job: str, bucket_name: str) -> str:
        """``States.Array`` of the step's command (command-runner.jar runs it): spark-submit of the job's asset,
        reading ``events/`` and writing ``<job>/date=<the run's date>/`` of the lake."""
        literal = [
            "spark-submit",
            "--deploy-mode",
            "cluster",
            "--py-files",
            self.jobs_package.s3_object_url,
            self.job_scripts[job].s3_object_url,
            "--events",
            f"s3://{bucket_name}/{INPUT_PREFIX}",
            "--top-n",
            str(CANDIDATES),
            "--output",
        ]
        quoted = ", ".join(f"'{part}'" for part in literal)
        return f"States.Array({quoted}, States.Format('s3://{bucket_name}/{job}/date={{}}/', {RUN_DATE}))"

    def _step(self, job: str, timeout_minutes: int) -> tasks.EmrAddStep:
        return tasks.EmrAddStep(
            self,
            job.capitalize(),
            cluster_id=sfn.JsonPath.string_at(CLUSTER_ID),
            name=job,
            jar="command-runner.jar",
            args=sfn.JsonPath.list_at(f"$.run.steps.{job}"),
            action_on_failure=tasks.ActionOnFailure.CONTINUE,
            integration_pattern=sfn.IntegrationPattern.RUN_JOB,
            task_timeout=sfn.Timeout.duration(Duration.minutes(timeout_minutes)),
            result_path=sfn.JsonPath.DISCARD,
        )

    def _load(self, job: str, loader: lambda_.IFunction) -> tasks.LambdaInvoke:
        return tasks.LambdaInvoke(
            self,
            f"Load{job.capitalize()}",
            lambda_function=loader,
            payload=sfn.TaskInput.from_object(
                {
                    "job": job,
                    "runId": sfn.JsonPath.string_at("$.run.id"),
                    "runDate": sfn.JsonPath.string_at("$.run.date"),
                    "startedAt": sfn.JsonPath.string_at("$.run.startedAt"),
                }
            ),
            payload_response_only=True,
            result_path=f"$.loaded.{job}",
            task_timeout=sfn.Timeout.duration(Duration.minutes(LOAD_TIMEOUT_MINUTES)),
        )

    def _switch(self, table: dynamodb.ITableV2) -> tasks.DynamoUpdateItem:
        """Point readers at this run, unless a run that started later is already served."""

        def text(path: str) -> tasks.DynamoAttributeValue:
            return tasks.DynamoAttributeValue.from_string(sfn.JsonPath.string_at(path))

        switch = tasks.DynamoUpdateItem(
            self,
            "SwitchRun",
            table=table,
            key={
                "pk": tasks.DynamoAttributeValue.from_string("pointer"),
                "run": tasks.DynamoAttributeValue.from_string("current"),
            },
            update_expression="SET runId = :runId, runDate = :runDate, startedAt = :startedAt, switchedAt = :now",
            condition_expression="attribute_not_exists(startedAt) OR startedAt < :startedAt",
            expression_attribute_values={
                ":runId": text("$.run.id"),
                ":runDate": text("$.run.date"),
                ":startedAt": text("$.run.startedAt"),
                ":now": text("$$.State.EnteredTime"),
            },
            result_path=sfn.JsonPath.DISCARD,
        )
        switch.add_retry(
            errors=["DynamoDB.ProvisionedThroughputExceededException", "DynamoDB.InternalServerErrorException"],
            interval=Duration.seconds(2),
            max_attempts=4,
            backoff_rate=2,
        )
        return switch

    def _terminate(self, state_id: str) -> tasks.EmrTerminateCluster:
        terminate = tasks.EmrTerminateCluster(
            self,
            state_id,
            cluster_id=sfn.JsonPath.string_at(CLUSTER_ID),
            integration_pattern=sfn.IntegrationPattern.RUN_JOB,
            result_path=sfn.JsonPath.DISCARD,
        )
        terminate.add_retry(errors=["States.ALL"], interval=Duration.seconds(30), max_attempts=6, backoff_rate=2)
        return terminate

    def _instance_role(
        self, env: EnvironmentProps, lake: s3.IBucket, key: kms.IKey, logs_bucket: s3.IBucket
    ) -> iam.Role:
        """The EC2 instance profile role: the data-lake prefixes, the job scripts, the certificates, the logs."""
        role = iam.Role(
            self,
            "InstanceRole",
            assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"),
            description=f"Showrunner {env.name} EMR nodes of the nightly Spark run",
        )

        # EMRFS (s3://) treats a prefix as a directory: it asks for the prefix itself, for the prefix with a
        # trailing slash and everything below it, and for its "<prefix>_$folder$" marker, a sibling of the
        # prefix (EMR Management Guide, "Service role for cluster EC2 instances"; Hadoop's assumed-role
        # guidance for write access to a subtree).
        def directory(prefix: str) -> list[str]:
            name = prefix.rstrip("/")
            return [
                lake.arn_for_objects(name),
                lake.arn_for_objects(f"{name}/*"),
                lake.arn_for_objects(f"{name}_$folder$"),
            ]

        role.add_to_policy(
            iam.PolicyStatement(
                sid="ListTheLake",
                # Without ListBucket, S3 answers a HEAD on a missing key 403 instead of 404, and EMRFS takes
                # that for a refusal. A prefix condition would not help: a HEAD carries no s3:prefix.
                actions=["s3:ListBucket", "s3:ListBucketMultipartUploads"],
                resources=[lake.bucket_arn],
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                sid="ReadEventsAndCertificates",
                actions=["s3:GetObject"],
                resources=[*directory(INPUT_PREFIX), lake.arn_for_objects(TLS_CERTIFICATES_KEY)],
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                sid="WriteResults",
                # Overwriting a result: read and delete what is there, write the new parts with multipart uploads
                # (the EMRFS S3-optimized committer), abort the uploads of a failed task, list their parts.
                actions=[
                    "s3:GetObject",
                    "s3:PutObject",
                    "s3:DeleteObject",
                    "s3:AbortMultipartUpload",
                    "s3:ListMultipartUploadParts",
                ],
                resources=[arn for job in JOBS for arn in directory(job)],
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                sid="WriteLogs",
                actions=["s3:PutObject"],
                resources=[logs_bucket.arn_for_objects("emr/*")],
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                sid="ReadTheJobScripts",
                actions=["s3:GetObject"],
                resources=[
                    Stack.of(self).format_arn(
                        service="s3",
                        region="",
                        account="",
                        resource=asset.s3_bucket_name,
                        resource_name=asset.s3_object_key,
                    )
                    for asset in (self.jobs_package, *self.job_scripts.values())
                ],
            )
        )
        key.grant(role, "kms:Decrypt", "kms:GenerateDataKey")  # SSE-KMS objects and local-disk encryption keys
        return role

    def _service_role(self, env: EnvironmentProps, key: kms.IKey) -> iam.Role:
        """EMR's own role: AWS's scoped v2 policy, passing only our instance role, and the key for EBS."""
        role = iam.Role(
            self,
            "ServiceRole",
            assumed_by=iam.ServicePrincipal(
                "elasticmapreduce.amazonaws.com",
                conditions={"StringEquals": {"aws:SourceAccount": Stack.of(self).account}},
            ),
            description=f"Showrunner {env.name} EMR service role of the nightly Spark run",
            managed_policies=[iam.ManagedPolicy.from_aws_managed_policy_name("service-role/AmazonEMRServicePolicy_v2")],
        )
        role.add_to_policy(
            iam.PolicyStatement(
                sid="PassOnlyTheInstanceRole",
                actions=["iam:PassRole"],
                resources=[self.instance_role.role_arn],
                conditions={"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}},
            )
        )
        # What launching instances with KMS-encrypted EBS volumes needs.
        key.grant(
            role,
            "kms:DescribeKey",
            "kms:Decrypt",
            "kms:ReEncryptFrom",
            "kms:ReEncryptTo",
            "kms:GenerateDataKeyWithoutPlaintext",
        )
        role.add_to_policy(
            iam.PolicyStatement(
                sid="EncryptEbsVolumes",
                actions=["kms:CreateGrant"],
                resources=[key.key_arn],
                conditions={"Bool": {"kms:GrantIsForAWSResource": "true"}},
            )
        )
        return role
