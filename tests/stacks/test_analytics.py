"""Analytics stack: streams, ingestion route, Firehose into the lake, and the nightly EMR run."""

from __future__ import annotations

import json
from typing import Any

import pytest
from personal_rows import schema

from stacks.constructs.nightly_spark import CANDIDATES
from stacks.constructs.rows_table import PARTITION_KEY, SORT_KEY, TTL_ATTRIBUTE
from tests.support.synth import Synthesized
from tests.support.templates import logical_id_by_path, physical_name, resources_of_type
from tools.developer.stepfunctions.paths import render

STREAMS = {"PlayerEvents": "player-events", "CdnLogs": "cdn-logs"}


def _template(synthesized: Synthesized, env: str) -> dict[str, Any]:
    template: dict[str, Any] = synthesized.stack(env, "Analytics").template
    return template


def _resource(template: dict[str, Any], path: str) -> dict[str, Any]:
    resource: dict[str, Any] = template["Resources"][logical_id_by_path(template, path)]
    return resource


def _flatten(value: Any) -> str:
    """A rendered Fn::Join as text, with each intrinsic replaced by a readable ${...} marker."""
    if isinstance(value, str):
        return value
    if "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return str(separator).join(_flatten(part) for part in parts)
    if "Ref" in value:
        return f"${{{value['Ref']}}}"
    if "Fn::GetAtt" in value:
        return "${" + ".".join(value["Fn::GetAtt"]) + "}"
    if "Fn::Sub" in value:
        return str(value["Fn::Sub"])
    if "Fn::GetStackOutput" in value:
        output = value["Fn::GetStackOutput"]
        return f"${{{output['StackName']}:{output['OutputName']}}}"
    raise AssertionError(f"unexpected intrinsic {value}")


def _without_cdn_logs(synthesized: Synthesized, env: str, construct: str) -> bool:
    """True, having checked it is absent, when ``construct`` is the CDN log pipeline of an environment without one."""
    if not construct.startswith("CdnLogs") or synthesized.configs[env].analytics.cdn_logs is not None:
        return False
    template = _template(synthesized, env)
    paths = [r.get("Metadata", {}).get("aws:cdk:path", "") for r in template["Resources"].values()]
    assert not [p for p in paths if "/CdnLogs" in p]
    assert "CdnLogsStreamArn" not in template.get("Outputs", {})
    return True


def _definition(template: dict[str, Any]) -> dict[str, Any]:
    (machine,) = resources_of_type(template, "AWS::StepFunctions::StateMachine").values()
    definition: dict[str, Any] = json.loads(_flatten(machine["Properties"]["DefinitionString"]))
    return definition


@pytest.mark.parametrize(("construct", "name"), STREAMS.items())
def test_streams_are_encrypted_with_configured_capacity_and_retention(
    synthesized: Synthesized, env: str, construct: str, name: str
):
    if _without_cdn_logs(synthesized, env, construct):
        return
    analytics = synthesized.configs[env].analytics
    settings = analytics.player_events if construct == "PlayerEvents" else analytics.cdn_logs
    assert settings is not None
    props = _resource(_template(synthesized, env), f"Analytics/{construct}/Stream/Resource")["Properties"]
    assert props["Name"] == physical_name(f"{env}-{name}", synthesized.configs[env].retain_data)
    assert props["StreamEncryption"] == {"EncryptionType": "KMS", "KeyId": "alias/aws/kinesis"}
    assert props["RetentionPeriodHours"] == analytics.stream_retention_hours
    if settings.mode == "provisioned":
        assert props["StreamModeDetails"] == {"StreamMode": "PROVISIONED"}
        assert props["ShardCount"] == settings.shards
    else:
        assert props["StreamModeDetails"] == {"StreamMode": "ON_DEMAND"}
        assert "ShardCount" not in props


def test_capacity_modes_by_environment(synthesized: Synthesized):
    modes = {
        env: (c.analytics.player_events.mode, c.analytics.cdn_logs.mode if c.analytics.cdn_logs else None)
        for env, c in synthesized.configs.items()
    }
    assert modes == {
        "dev": ("provisioned", None),
        "staging": ("provisioned", "provisioned"),
        "prod": ("on_demand", "on_demand"),
    }


def test_analytics_has_no_alarms_and_does_not_depend_on_alerts(synthesized: Synthesized, env: str):
    """Its streams' and nightly run's alarms are in the Operations stack (tests/stacks/test_operations.py)."""
    analytics = synthesized.stack(env, "Analytics")
    assert resources_of_type(analytics.template, "AWS::CloudWatch::Alarm") == {}
    assert synthesized.stack(env, "Alerts").artifact_id not in analytics.dependencies


def test_post_events_is_jwt_authenticated_and_may_only_write_player_events(synthesized: Synthesized, env: str):
    template = _template(synthesized, env)
    route = _resource(template, "Analytics/Ingestion/Route/Resource")["Properties"]
    assert route["RouteKey"] == "POST /events"
    assert route["AuthorizationType"] == "JWT"
    assert route["AuthorizerId"]["Fn::GetStackOutput"]["StackName"] == f"{env}-Api"
    stream_id = logical_id_by_path(template, "Analytics/PlayerEvents/Stream/Resource")
    function = _resource(template, "Analytics/Ingestion/Function/Resource")["Properties"]
    assert function["Environment"]["Variables"] == {"STREAM_ARN": {"Fn::GetAtt": [stream_id, "Arn"]}}
    assert (function["Runtime"], function["Architectures"]) == ("python3.14", ["arm64"])
    policy = _resource(template, "Analytics/Ingestion/FunctionRole/DefaultPolicy/Resource")["Properties"]
    kinesis = [s for s in policy["PolicyDocument"]["Statement"] if "kinesis:PutRecords" in s["Action"]]
    assert kinesis == [
        {
            "Action": "kinesis:PutRecords",
            "Effect": "Allow",
            "Resource": {"Fn::GetAtt": [stream_id, "Arn"]},
        }
    ]


@pytest.mark.parametrize(
    ("construct", "stream", "prefix", "extension"),
    [("EventsToLake", "PlayerEvents", "events", ".json.gz"), ("CdnLogsToLake", "CdnLogs", "cdn-logs", ".log.gz")],
)
def test_firehose_writes_gzip_date_partitions_and_errors_to_the_kms_encrypted_lake(
    synthesized: Synthesized, env: str, construct: str, stream: str, prefix: str, extension: str
):
    if _without_cdn_logs(synthesized, env, construct):
        return
    template = _template(synthesized, env)
    analytics = synthesized.configs[env].analytics
    props = _resource(template, f"Analytics/{construct}/DeliveryStream/Resource")["Properties"]
    assert props["DeliveryStreamType"] == "KinesisStreamAsSource"
    stream_id = logical_id_by_path(template, f"Analytics/{stream}/Stream/Resource")
    assert props["KinesisStreamSourceConfiguration"]["KinesisStreamARN"] == {"Fn::GetAtt": [stream_id, "Arn"]}
    s3 = props["ExtendedS3DestinationConfiguration"]
    assert (
        s3["Prefix"]
        == f"{prefix}/year=!{{timestamp:yyyy}}/month=!{{timestamp:MM}}/day=!{{timestamp:dd}}/hour=!{{timestamp:HH}}/"
    )
    assert s3["ErrorOutputPrefix"] == (
        f"errors/{prefix}/!{{firehose:error-output-type}}/year=!{{timestamp:yyyy}}/month=!{{timestamp:MM}}/day=!{{timestamp:dd}}/"
    )
    assert s3["CompressionFormat"] == "GZIP"
    assert s3["FileExtension"] == extension
    assert s3["BufferingHints"] == {
        "IntervalInSeconds": analytics.firehose_buffer_seconds,
        "SizeInMBs": analytics.firehose_buffer_mib,
    }
    assert _flatten(s3["BucketARN"]) == f"${{{env}-Storage:PublishOutputFnGetAttDataLakeBucket0256EA8EArn8D77EE2E}}"
    key = s3["EncryptionConfiguration"]["KMSEncryptionConfig"]["AWSKMSKeyARN"]
    assert _flatten(key) == f"${{{env}-Storage:PublishOutputFnGetAttDataLakeKey37130A3EArn684FFBB7}}"
    assert s3["CloudWatchLoggingOptions"]["Enabled"] is True


def test_state_machine_always_terminates_the_cluster(synthesized: Synthesized, env: str):
    definition = _definition(_template(synthesized, env))
    states = definition["States"]
    assert definition["StartAt"] == "PlanRun"
    # The happy path: plan, create, the two jobs, terminate, load both, switch the run pointer.
    assert [states[name]["Next"] for name in ("PlanRun", "CreateCluster", "Trending", "Recommendations")] == [
        "CreateCluster",
        "Trending",
        "Recommendations",
        "TerminateCluster",
    ]
    assert [states[name]["Next"] for name in ("TerminateCluster", "LoadTrending", "LoadRecommendations")] == [
        "LoadTrending",
        "LoadRecommendations",
        "SwitchRun",
    ]
    assert states["SwitchRun"]["Next"] == "Done"
    # Any failure of a job (including its timeout) terminates the cluster before the execution fails.
    for job in ("Trending", "Recommendations"):
        assert states[job]["Catch"] == [
            {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "TerminateAfterFailure"}
        ]
        assert states[job]["Resource"].endswith(":states:::elasticmapreduce:addStep.sync")
        assert states[job]["TimeoutSeconds"] == synthesized.configs[env].analytics.emr.step_timeout_minutes * 60
    assert states["TerminateAfterFailure"]["Next"] == "RunFailed"
    assert states["RunFailed"]["Type"] == "Fail"
    for terminate in ("TerminateCluster", "TerminateAfterFailure"):
        assert states[terminate]["Resource"].endswith(":states:::elasticmapreduce:terminateCluster.sync")
        assert states[terminate]["Parameters"] == {"ClusterId.$": "$.cluster.ClusterId"}
        assert states[terminate]["Retry"][0]["ErrorEquals"] == ["States.ALL"]
        assert states[terminate]["Retry"][0]["MaxAttempts"] == 6
    # A cluster that never started needs no termination; one left idle ends itself (below).
    assert states["CreateCluster"]["Catch"][0]["Next"] == "ClusterFailed"


def test_loads_each_job_then_switches_the_pointer_and_a_failed_load_fails_the_run(synthesized: Synthesized, env: str):
    template = _template(synthesized, env)
    states = _definition(template)["States"]
    loader = logical_id_by_path(template, "Analytics/RowsLoader/Function/Resource")
    for job in ("trending", "recommendations"):
        load = states[f"Load{job.capitalize()}"]
        assert load["Resource"] == f"${{{loader}.Arn}}"
        assert load["Parameters"] == {
            "job": job,
            "runId.$": "$.run.id",
            "runDate.$": "$.run.date",
            "startedAt.$": "$.run.startedAt",
        }
        assert load["TimeoutSeconds"] == 16 * 60
        # A failed load fails the execution (the nightly-run alarm) before the pointer moves.
        assert load["Catch"] == [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "LoadFailed"}]
    assert states["LoadFailed"]["Type"] == "Fail"
    switch = states["SwitchRun"]
    rows = logical_id_by_path(template, "Analytics/Rows/Table/Resource")
    assert switch["Resource"].endswith(":states:::dynamodb:updateItem")
    assert switch["Parameters"]["TableName"] == f"${{{rows}}}"
    assert switch["Parameters"]["Key"] == {"pk": {"S": "pointer"}, "run": {"S": "current"}}
    assert switch["Parameters"]["ConditionExpression"] == "attribute_not_exists(startedAt) OR startedAt < :startedAt"
    assert switch["Parameters"]["ExpressionAttributeValues"][":runId"] == {"S.$": "$.run.id"}
    assert [c["Next"] for c in switch["Catch"]] == ["Superseded", "LoadFailed"]
    assert switch["Catch"][0]["ErrorEquals"] == ["DynamoDB.ConditionalCheckFailedException"]
    assert states["Superseded"]["Type"] == "Succeed"


def test_cluster_is_emr7_spark_with_spot_task_fleet_managed_scaling_and_idle_termination(
    synthesized: Synthesized, env: str
):
    template = _template(synthesized, env)
    emr = synthesized.configs[env].analytics.emr
    params = _definition(template)["States"]["CreateCluster"]["Parameters"]
    assert params["ReleaseLabel"] == emr.release_label
    assert params["ReleaseLabel"].startswith("emr-7.")
    assert params["Applications"] == [{"Name": "Spark"}]
    fleets = {fleet["InstanceFleetType"]: fleet for fleet in params["Instances"]["InstanceFleets"]}
    assert (fleets["MASTER"]["TargetOnDemandCapacity"], fleets["MASTER"]["TargetSpotCapacity"]) == (1, 0)
    assert (fleets["CORE"]["TargetOnDemandCapacity"], fleets["CORE"]["TargetSpotCapacity"]) == (emr.core_units, 0)
    task = fleets["TASK"]
    assert (task["TargetOnDemandCapacity"], task["TargetSpotCapacity"]) == (0, emr.task_spot_units)
    assert task["TargetSpotCapacity"] >= 1
    assert [c["InstanceType"] for c in task["InstanceTypeConfigs"]] == emr.task_instance_types
    assert task["LaunchSpecifications"]["SpotSpecification"]["AllocationStrategy"] == "price-capacity-optimized"
    assert params["ManagedScalingPolicy"]["ComputeLimits"] == {
        "UnitType": "InstanceFleetUnits",
        "MinimumCapacityUnits": emr.core_units,
        "MaximumCapacityUnits": emr.max_units,
        "MaximumCoreCapacityUnits": emr.core_units,
        "MaximumOnDemandCapacityUnits": emr.core_units,
    }
    assert params["AutoTerminationPolicy"] == {"IdleTimeout": emr.idle_timeout_minutes * 60}
    assert params["Instances"]["KeepJobFlowAliveWhenNoSteps"] is True
    assert params["Instances"]["TerminationProtected"] is False
    assert params["LogUri"].startswith(f"s3://${{{env}-Storage:PublishOutputRefLogsBucket")
    assert params["LogUri"].endswith("}/emr/")
    security_configuration = logical_id_by_path(template, "Analytics/NightlySpark/SecurityConfiguration")
    assert params["SecurityConfiguration"] == f"${{{security_configuration}}}"
    assert params["Tags"][0] == {"Key": "for-use-with-amazon-emr-managed-policies", "Value": "true"}


def test_cluster_runs_in_the_private_subnets_which_emr_may_use(synthesized: Synthesized, env: str):
    params = _definition(_template(synthesized, env))["States"]["CreateCluster"]["Parameters"]
    subnets = params["Instances"]["Ec2SubnetIds"]
    assert len(subnets) == len(synthesized.configs[env].availability_zones)
    assert all(f"{env}-Network:PublishOutputRefVpcprivateSubnet" in subnet for subnet in subnets)
    network = synthesized.stack(env, "Network").template
    for logical_id, subnet in resources_of_type(network, "AWS::EC2::Subnet").items():
        tags = {t["Key"]: t["Value"] for t in subnet["Properties"]["Tags"]}
        emr_tagged = tags.get("for-use-with-amazon-emr-managed-policies") == "true"
        assert emr_tagged == (tags["aws-cdk:subnet-name"] == "private"), logical_id


def test_security_configuration_encrypts_s3_disks_and_traffic(synthesized: Synthesized, env: str):
    props = _resource(_template(synthesized, env), "Analytics/NightlySpark/SecurityConfiguration")["Properties"]
    config = props["SecurityConfiguration"]["EncryptionConfiguration"]
    assert config["EnableAtRestEncryption"] is True
    assert config["EnableInTransitEncryption"] is True
    key = f"${{{env}-Storage:PublishOutputFnGetAttDataLakeKey37130A3EArn684FFBB7}}"
    at_rest = config["AtRestEncryptionConfiguration"]
    assert at_rest["S3EncryptionConfiguration"]["EncryptionMode"] == "SSE-KMS"
    assert _flatten(at_rest["S3EncryptionConfiguration"]["AwsKmsKey"]) == key
    assert at_rest["LocalDiskEncryptionConfiguration"]["EnableEbsEncryption"] is True
    assert _flatten(at_rest["LocalDiskEncryptionConfiguration"]["AwsKmsKey"]) == key
    tls = config["InTransitEncryptionConfiguration"]["TLSCertificateConfiguration"]
    assert tls["CertificateProviderType"] == "PEM"
    assert _flatten(tls["S3Object"]).endswith("/emr/tls/certificates.zip")


def test_steps_submit_the_job_assets_with_output_dated_by_the_run(synthesized: Synthesized, env: str):
    """The run's date comes from the execution's start time, once: both steps and both loads use the same day."""
    states = _definition(_template(synthesized, env))["States"]
    context = {"Execution": {"Name": "run-1", "StartTime": "2026-11-26T23:59:59.999Z"}}
    planned = render(states["PlanRun"]["Parameters"], {}, context)
    assert (planned["id"], planned["date"], planned["startedAt"]) == ("run-1", "2026-11-26", "2026-11-26T23:59:59.999Z")
    assert states["PlanRun"]["ResultPath"] == "$.run"
    lake = f"s3://${{{env}-Storage:PublishOutputRefDataLakeBucket0256EA8E7DBFFE30}}"
    for job in ("trending", "recommendations"):
        step = states[job.capitalize()]["Parameters"]["Step"]
        assert step["ActionOnFailure"] == "CONTINUE"
        jar = step["HadoopJarStep"]
        assert jar == {"Jar": "command-runner.jar", "Args.$": f"$.run.steps.{job}"}
        words = planned["steps"][job]
        assert words[:5] == ["spark-submit", "--deploy-mode", "cluster", "--py-files", words[4]]
        assert words[4].startswith("s3://cdk-")
        assert words[4].endswith(".zip")
        assert words[5].endswith(".py")
        assert words[6:] == [
            "--events",
            f"{lake}/events/",
            "--top-n",
            str(CANDIDATES),
            "--output",
            f"{lake}/{job}/date=2026-11-26/",
        ]


def test_nightly_schedule_logging_and_tracing(synthesized: Synthesized, env: str):
    template = _template(synthesized, env)
    machine_id = logical_id_by_path(template, "Analytics/NightlySpark/StateMachine/Resource")
    rule = _resource(template, "Analytics/NightlySpark/Schedule/Resource")["Properties"]
    assert rule["ScheduleExpression"] == synthesized.configs[env].analytics.emr.schedule
    assert rule["Targets"][0]["Arn"] == {"Ref": machine_id}
    machine = template["Resources"][machine_id]["Properties"]
    assert machine["LoggingConfiguration"]["Level"] == "ALL"
    assert machine["TracingConfiguration"] == {"Enabled": True}


def test_instance_role_reaches_only_the_job_prefixes(synthesized: Synthesized, env: str):
    template = _template(synthesized, env)
    policy = _resource(template, "Analytics/NightlySpark/InstanceRole/DefaultPolicy/Resource")["Properties"]
    statements = {s["Sid"]: s for s in policy["PolicyDocument"]["Statement"] if "Sid" in s}
    lake = f"${{{env}-Storage:PublishOutputFnGetAttDataLakeBucket0256EA8EArn8D77EE2E}}"
    listing = statements["ListTheLake"]
    assert listing["Action"] == ["s3:ListBucket", "s3:ListBucketMultipartUploads"]
    assert _flatten(listing["Resource"]) == lake
    assert "Condition" not in listing  # a HEAD carries no s3:prefix: a prefix condition would turn 404s into 403s
    read = statements["ReadEventsAndCertificates"]
    assert read["Action"] == "s3:GetObject"
    assert sorted(_flatten(r) for r in read["Resource"]) == [
        f"{lake}/emr/tls/certificates.zip",
        f"{lake}/events",
        f"{lake}/events/*",
        f"{lake}/events_$folder$",
    ]
    write = statements["WriteResults"]
    assert write["Action"] == [
        "s3:AbortMultipartUpload",
        "s3:DeleteObject",
        "s3:GetObject",
        "s3:ListMultipartUploadParts",
        "s3:PutObject",
    ]
    assert sorted(_flatten(r) for r in write["Resource"]) == sorted(
        f"{lake}/{job}{suffix}" for job in ("trending", "recommendations") for suffix in ("", "/*", "_$folder$")
    )
    scripts = sorted(_flatten(r) for r in statements["ReadTheJobScripts"]["Resource"])
    assert sorted(s.rsplit(".", 1)[1] for s in scripts) == [
        "py",
        "py",
        "zip",
    ]  # two job scripts, one package, no wildcard
    assert all(s.startswith("arn:aws:s3:::cdk-hnb659fds-assets-${AWS::AccountId}-us-east-1/") for s in scripts)
    everything = json.dumps(policy)
    assert '"s3:*"' not in everything
    assert '"Resource": "*"' not in everything


def test_service_role_uses_the_scoped_v2_policy_and_passes_only_the_instance_role(synthesized: Synthesized, env: str):
    template = _template(synthesized, env)
    role = _resource(template, "Analytics/NightlySpark/ServiceRole/Resource")["Properties"]
    assert [_flatten(arn) for arn in role["ManagedPolicyArns"]] == [
        "arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonEMRServicePolicy_v2"
    ]
    instance_role = logical_id_by_path(template, "Analytics/NightlySpark/InstanceRole/Resource")
    policy = _resource(template, "Analytics/NightlySpark/ServiceRole/DefaultPolicy/Resource")["Properties"]
    (pass_role,) = [s for s in policy["PolicyDocument"]["Statement"] if s.get("Sid") == "PassOnlyTheInstanceRole"]
    assert pass_role["Resource"] == {"Fn::GetAtt": [instance_role, "Arn"]}
    assert pass_role["Condition"] == {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}
    for group in ("Primary", "Worker", "ServiceAccess"):
        tags = _resource(template, f"Analytics/NightlySpark/{group}SecurityGroup/Resource")["Properties"]["Tags"]
        assert {"Key": "for-use-with-amazon-emr-managed-policies", "Value": "true"} in tags


# --- the personal rows: table, loader, API -----------------------------------------------------------------


def _statements(template: dict[str, Any], path: str) -> dict[str, dict[str, Any]]:
    policy = _resource(template, path)["Properties"]["PolicyDocument"]["Statement"]
    return {s["Sid"]: s for s in policy if "Sid" in s}


def test_rows_table_is_on_demand_with_pitr_its_own_key_and_ttl(synthesized: Synthesized, env: str):
    template = _template(synthesized, env)
    retain = synthesized.configs[env].retain_data
    table = _resource(template, "Analytics/Rows/Table/Resource")
    props = table["Properties"]
    assert props["KeySchema"] == [
        {"AttributeName": schema.PARTITION_KEY, "KeyType": "HASH"},
        {"AttributeName": schema.SORT_KEY, "KeyType": "RANGE"},
    ]
    assert (PARTITION_KEY, SORT_KEY, TTL_ATTRIBUTE) == (schema.PARTITION_KEY, schema.SORT_KEY, schema.TTL_ATTRIBUTE)
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expiresAt", "Enabled": True}
    (replica,) = props["Replicas"]
    assert replica["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert replica["DeletionProtectionEnabled"] is retain
    key = logical_id_by_path(template, "Analytics/Rows/Key/Resource")
    assert replica["SSESpecification"] == {"KMSMasterKeyId": {"Fn::GetAtt": [key, "Arn"]}}
    assert props["SSESpecification"] == {"SSEEnabled": True, "SSEType": "KMS"}
    assert template["Resources"][key]["Properties"]["EnableKeyRotation"] is True
    assert table["DeletionPolicy"] == ("Retain" if retain else "Delete")


def test_rows_api_routes_are_jwt_authenticated_and_read_only_rows_and_catalog(synthesized: Synthesized, env: str):
    template = _template(synthesized, env)
    function = _resource(template, "Analytics/RowsApi/Function/Resource")["Properties"]
    routes = [r["Properties"] for r in resources_of_type(template, "AWS::ApiGatewayV2::Route").values()]
    ours = {r["RouteKey"]: r for r in routes if r["RouteKey"] != "POST /events"}
    assert sorted(ours) == ["GET /me/recommendations", "GET /trending"]
    assert all(r["AuthorizationType"] == "JWT" for r in ours.values())
    rows = logical_id_by_path(template, "Analytics/Rows/Table/Resource")
    variables = function["Environment"]["Variables"]
    assert variables["ROWS_TABLE"] == {"Ref": rows}
    assert _flatten(variables["CATALOG_TABLE"]).startswith(f"${{{env}-Storage:PublishOutputRef")
    statements = _statements(template, "Analytics/RowsApi/FunctionRole/DefaultPolicy/Resource")
    assert sorted(statements) == [
        "ReadTheCatalog",
        "ReadTheRows",
        "UseTheCatalogKeyThroughDynamoDB",
        "UseTheRowsKeyThroughDynamoDB",
    ]
    assert statements["ReadTheRows"]["Action"] == "dynamodb:GetItem"
    assert statements["ReadTheRows"]["Resource"] == {"Fn::GetAtt": [rows, "Arn"]}
    assert statements["ReadTheCatalog"]["Action"] == "dynamodb:BatchGetItem"
    for sid in ("UseTheRowsKeyThroughDynamoDB", "UseTheCatalogKeyThroughDynamoDB"):
        assert statements[sid]["Action"] == "kms:Decrypt"
        assert statements[sid]["Condition"] == {"StringEquals": {"kms:ViaService": "dynamodb.us-east-1.amazonaws.com"}}


def test_rows_loader_reads_only_the_job_outputs_and_writes_only_the_rows(synthesized: Synthesized, env: str):
    template = _template(synthesized, env)
    config = synthesized.configs[env]
    function = _resource(template, "Analytics/RowsLoader/Function/Resource")["Properties"]
    rows = logical_id_by_path(template, "Analytics/Rows/Table/Resource")
    variables = function["Environment"]["Variables"]
    assert variables["ROWS_TABLE"] == {"Ref": rows}
    assert variables["RETENTION_DAYS"] == str(config.personalization.rows_retention_days)
    assert variables["ROW_CANDIDATES"] == str(CANDIDATES)
    assert function["Timeout"] == 900
    statements = _statements(template, "Analytics/RowsLoader/FunctionRole/DefaultPolicy/Resource")
    lake = f"${{{env}-Storage:PublishOutputFnGetAttDataLakeBucket0256EA8EArn8D77EE2E}}"
    listing = statements["ListTheJobOutputs"]
    assert (listing["Action"], _flatten(listing["Resource"])) == ("s3:ListBucket", lake)
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["trending/*", "recommendations/*"]}}
    reading = statements["ReadTheJobOutputs"]
    assert reading["Action"] == "s3:GetObject"
    assert sorted(_flatten(r) for r in reading["Resource"]) == [f"{lake}/recommendations/*", f"{lake}/trending/*"]
    assert statements["UseTheLakeKeyThroughS3"]["Condition"] == {
        "StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}
    }
    assert statements["WriteTheRows"] == {
        "Sid": "WriteTheRows",
        "Action": "dynamodb:BatchWriteItem",
        "Effect": "Allow",
        "Resource": {"Fn::GetAtt": [rows, "Arn"]},
    }
    assert statements["UseTheRowsKeyThroughDynamoDB"]["Action"] == "kms:Decrypt"


def test_the_workflow_may_invoke_the_loader_and_update_only_the_rows_table(synthesized: Synthesized, env: str):
    template = _template(synthesized, env)
    policy = _resource(template, "Analytics/NightlySpark/StateMachine/Role/DefaultPolicy/Resource")["Properties"]
    statements = policy["PolicyDocument"]["Statement"]
    rows = logical_id_by_path(template, "Analytics/Rows/Table/Resource")
    (update,) = [s for s in statements if "dynamodb:UpdateItem" in json.dumps(s["Action"])]
    assert update["Action"] == "dynamodb:UpdateItem"
    assert _flatten(update["Resource"]) == f"arn:aws:dynamodb:us-east-1:${{AWS::AccountId}}:table/${{{rows}}}"
    (key,) = [s for s in statements if s.get("Sid") == "UseTheRowsKeyThroughDynamoDB"]
    assert key["Condition"] == {"StringEquals": {"kms:ViaService": "dynamodb.us-east-1.amazonaws.com"}}
    invoke = [s for s in statements if "lambda:InvokeFunction" in json.dumps(s["Action"])]
    loader = logical_id_by_path(template, "Analytics/RowsLoader/Function/Resource")
    assert [_flatten(r) for s in invoke for r in s["Resource"]] == [f"${{{loader}.Arn}}", f"${{{loader}.Arn}}:*"]
