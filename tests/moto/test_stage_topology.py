"""Every stage deployed into moto, its wiring verified through boto3 (not by re-reading templates).

One module, so each stage is deployed once (the ``deployed`` fixture is module-scoped).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlparse

from stacks.config import REPO_ROOT
from tests.moto.conftest import DeployedStage
from tests.support.aws import ACCOUNT, client
from tests.support.synth import Synthesized
from tools.developer.moto_models import Emulation
from tools.developer.rehearsal.deployer import StackRecord


def _buckets(stage: DeployedStage) -> dict[str, str]:
    return {name: stage.physical_id("Storage", f"{name}Bucket") for name in ("Logs", "Content", "DataLake")}


def test_every_template_resource_is_deployed(deployed: DeployedStage, synthesized: Synthesized):
    for stack in synthesized.stacks:
        if stack.stage != deployed.env:
            continue
        record: StackRecord = next(r for r in deployed.records if r.name == stack.stack_name)
        assert sorted(r.logical_id for r in record.resources) == sorted(stack.resources)
        listed = client("cloudformation", stack.region).list_stack_resources(StackName=stack.stack_name)[
            "StackResourceSummaries"
        ]
        assert {r["LogicalResourceId"]: r["ResourceType"] for r in listed} == {
            logical_id: resource["Type"] for logical_id, resource in stack.resources.items()
        }
        assert all(r.physical_id for r in record.resources)


# moto has no API at all for these, so their models record the template's properties only.
RECORDED_ONLY = {
    "AWS::CDK::Metadata",  # the CLI's version reporting
    "AWS::CloudFront::MonitoringSubscription",
    "AWS::CloudFront::CachePolicy",
    "AWS::CloudFront::OriginRequestPolicy",
    "AWS::CloudFront::ResponseHeadersPolicy",
    "AWS::CloudFront::RealtimeLogConfig",
    "AWS::MediaConvert::Queue",
    "AWS::MediaConvert::JobTemplate",
}


def test_every_resource_is_emulated_except_the_types_moto_has_no_api_for(deployed: DeployedStage):
    deployed_types = {r.resource_type for record in deployed.records for r in record.resources}
    recorded = {
        r.resource_type for record in deployed.records for r in record.resources if r.emulation is Emulation.RECORDED
    }
    assert recorded == RECORDED_ONLY & deployed_types


def test_buckets_are_encrypted_private_versioned_and_logged(deployed: DeployedStage, synthesized: Synthesized):
    s3 = client("s3")
    buckets = _buckets(deployed)
    data_lake_key = deployed.physical_id("Storage", "DataLakeKey")
    config = synthesized.configs[deployed.env]
    for name, bucket in buckets.items():
        assert s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"] == dict.fromkeys(
            ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"), True
        ), name
        assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled", name
        [encryption] = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
        default = encryption["ApplyServerSideEncryptionByDefault"]
        if name == "DataLake":
            assert default["SSEAlgorithm"] == "aws:kms"
            assert default["KMSMasterKeyID"] == f"arn:aws:kms:us-east-1:{ACCOUNT}:key/{data_lake_key}"
        else:
            assert default["SSEAlgorithm"] == "AES256"
        logging = s3.get_bucket_logging(Bucket=bucket).get("LoggingEnabled")
        if name == "Logs":
            assert logging is None  # it would log its own log writes
        else:
            assert logging == {"TargetBucket": buckets["Logs"], "TargetPrefix": f"s3-access/{name.lower()}bucket/"}
    rules = {r["ID"]: r for r in s3.get_bucket_lifecycle_configuration(Bucket=buckets["Logs"])["Rules"]}
    assert rules["expire-logs"]["Expiration"] == {"Days": config.retention.access_logs_days}
    assert client("kms").get_key_rotation_status(KeyId=data_lake_key)["KeyRotationEnabled"] is True


def test_logs_bucket_policy_lets_s3_deliver_access_logs(deployed: DeployedStage):
    """moto checks that the target's policy grants the logging service when logging is (re)configured."""
    s3 = client("s3")
    buckets = _buckets(deployed)
    for name in ("Content", "DataLake"):
        status = {"LoggingEnabled": s3.get_bucket_logging(Bucket=buckets[name])["LoggingEnabled"]}
        s3.put_bucket_logging(Bucket=buckets[name], BucketLoggingStatus=status)  # raises if the grant is missing


def test_bucket_policies_deny_plain_http_and_allow_tls_requests(deployed: DeployedStage):
    s3 = client("s3")
    for name, bucket in _buckets(deployed).items():
        statements = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])["Statement"]
        tls = [s for s in statements if s.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}]
        assert [s["Effect"] for s in tls] == ["Deny"], name
        assert tls[0]["Resource"] == [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"], name
    content = _buckets(deployed)["Content"]
    s3.put_object(Bucket=content, Key="vod/t-1/master.m3u8", Body=b"#EXTM3U\n")
    assert s3.get_object(Bucket=content, Key="vod/t-1/master.m3u8")["Body"].read() == b"#EXTM3U\n"


def test_alerts_topic_is_encrypted_with_its_key_and_open_to_aws_publishers(deployed: DeployedStage):
    topic = deployed.physical_id("Alerts", "AlertsTopic")
    key = deployed.physical_id("Alerts", "AlertsKey")
    attributes = client("sns").get_topic_attributes(TopicArn=topic)["Attributes"]
    assert attributes["KmsMasterKeyId"] == f"arn:aws:kms:us-east-1:{ACCOUNT}:key/{key}"
    policy = json.loads(attributes["Policy"])
    publishers = next(s for s in policy["Statement"] if s.get("Sid") == "AllowAwsServicesToPublish")
    assert set(publishers["Principal"]["Service"]) == {
        "cloudwatch.amazonaws.com",
        "events.amazonaws.com",
        "budgets.amazonaws.com",
    }
    assert publishers["Resource"] == topic


def test_vpc_subnets_and_routes_follow_the_configuration(deployed: DeployedStage, synthesized: Synthesized):
    config = synthesized.configs[deployed.env]
    ec2 = client("ec2")
    vpc = deployed.physical_id("Network", "Vpc")
    assert ec2.describe_vpcs(VpcIds=[vpc])["Vpcs"][0]["CidrBlock"] == config.vpc_cidr
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]
    assert len(subnets) == 3 * len(config.availability_zones)
    assert {s["AvailabilityZone"] for s in subnets} == set(config.availability_zones)
    tables = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["RouteTables"]
    by_subnet = {a["SubnetId"]: t for t in tables for a in t["Associations"] if a.get("SubnetId")}
    tier = {s["SubnetId"]: next(t["Value"] for t in s["Tags"] if t["Key"] == "aws-cdk:subnet-name") for s in subnets}
    nat_targets = set()
    for subnet, name in tier.items():
        default = [r for r in by_subnet[subnet]["Routes"] if r.get("DestinationCidrBlock") == "0.0.0.0/0"]
        if name == "public":
            assert default[0]["GatewayId"].startswith("igw-")
        elif name == "private":
            target = default[0].get("NatGatewayId") or default[0].get("InstanceId")
            nat_targets.add(target)
        else:
            assert default == [], f"isolated subnet {subnet} routes out"
    expected_nats = 1 if config.nat.mode == "instance" else config.nat.gateways
    assert len(nat_targets) == expected_nats


def test_nat_matches_the_environment(deployed: DeployedStage, synthesized: Synthesized):
    config = synthesized.configs[deployed.env]
    ec2 = client("ec2")
    vpc = deployed.physical_id("Network", "Vpc")
    gateways = [
        g
        for g in ec2.describe_nat_gateways(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["NatGateways"]
        if g["State"] != "deleted"
    ]
    public = [
        s["SubnetId"]
        for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]
        if {"Key": "aws-cdk:subnet-type", "Value": "Public"} in s["Tags"]
    ]
    instances = [  # in public subnets: NAT instances (the origin fleet is in the private ones)
        i
        for r in ec2.describe_instances(Filters=[{"Name": "subnet-id", "Values": public}])["Reservations"]
        for i in r["Instances"]
        if i["State"]["Name"] == "running"
    ]
    if config.nat.mode == "instance":
        assert gateways == []
        [instance] = instances
        assert instance["InstanceType"] == config.nat.instance_type
        assert instance["SourceDestCheck"] is False
        assert instance["MetadataOptions"]["HttpTokens"] == "required"  # IMDSv2, from the launch template
        [root] = ec2.describe_volumes(Filters=[{"Name": "attachment.instance-id", "Values": [instance["InstanceId"]]}])[
            "Volumes"
        ]
        assert (root["Encrypted"], root["VolumeType"], root["Size"]) == (True, "gp3", 8)
        [group] = instance["SecurityGroups"]
        [nat_group] = ec2.describe_security_groups(GroupIds=[group["GroupId"]])["SecurityGroups"]
        assert [r["CidrIp"] for p in nat_group["IpPermissions"] for r in p["IpRanges"]] == [config.vpc_cidr]
    else:
        assert instances == []
        assert len(gateways) == config.nat.gateways


def test_default_security_group_has_no_rules_and_flow_logs_reach_the_logs_bucket(deployed: DeployedStage):
    ec2 = client("ec2")
    vpc = deployed.physical_id("Network", "Vpc")
    [default] = ec2.describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": [vpc]}, {"Name": "group-name", "Values": ["default"]}]
    )["SecurityGroups"]
    assert (default["IpPermissions"], default["IpPermissionsEgress"]) == ([], [])
    [flow_log] = ec2.describe_flow_logs(Filters=[{"Name": "resource-id", "Values": [vpc]}])["FlowLogs"]
    # Resolved through Fn::GetStackOutput from the Storage stack (a weak cross-stack reference).
    assert flow_log["LogDestination"] == f"arn:aws:s3:::{_buckets(deployed)['Logs']}/vpc-flow-logs/"
    assert flow_log["TrafficType"] == "ALL"


def test_s3_gateway_endpoint_is_on_every_route_table(deployed: DeployedStage):
    ec2 = client("ec2")
    vpc = deployed.physical_id("Network", "Vpc")
    [endpoint] = ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["VpcEndpoints"]
    assert endpoint["ServiceName"] == "com.amazonaws.us-east-1.s3"
    tables = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["RouteTables"]
    subnet_tables = {t["RouteTableId"] for t in tables if any(a.get("SubnetId") for a in t["Associations"])}
    assert set(endpoint["RouteTableIds"]) == subnet_tables


def test_lambda_environments_name_resources_that_exist(deployed: DeployedStage):
    from tests.moto.references import dangling_references

    assert dangling_references(client) == []


def test_prod_stacks_are_termination_protected(deployed: DeployedStage):
    for record in deployed.records:
        cfn = client("cloudformation", record.region)
        protected = cfn.describe_stacks(StackName=record.name)["Stacks"][0]["EnableTerminationProtection"]
        assert protected is (deployed.env == "prod"), record.name


def test_origin_fleet_is_registered_with_the_alb_behind_the_secret_header(
    deployed: DeployedStage, synthesized: Synthesized
):
    config = synthesized.configs[deployed.env]
    autoscaling, elbv2 = client("autoscaling"), client("elbv2")
    group_name = deployed.physical_id("Origin", "FleetGroupASG")
    [group] = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[group_name])["AutoScalingGroups"]
    target_group = deployed.physical_id("Origin", "AlbLoadBalancerListenerFleetGroup")
    assert group["TargetGroupARNs"] == [target_group]
    assert (group["MinSize"], group["MaxSize"]) == (config.origin.min_capacity, config.origin.max_capacity)
    health = elbv2.describe_target_health(TargetGroupArn=target_group)["TargetHealthDescriptions"]
    assert {t["Target"]["Id"] for t in health} == {i["InstanceId"] for i in group["Instances"]}
    assert len(group["Instances"]) == config.origin.desired_capacity
    # The fleet's subnets are the private ones of the Network stack's VPC.
    vpc = deployed.physical_id("Network", "Vpc")
    subnets = client("ec2").describe_subnets(SubnetIds=group["VPCZoneIdentifier"].split(","))["Subnets"]
    assert {s["VpcId"] for s in subnets} == {vpc}
    assert all({"Key": "aws-cdk:subnet-type", "Value": "Private"} in s["Tags"] for s in subnets)
    # Only requests carrying the origin secret (resolved from Secrets Manager) reach the fleet.
    [rule] = elbv2.describe_rules(RuleArns=[deployed.physical_id("Origin", "AlbLoadBalancerListenerFleetRule")])[
        "Rules"
    ]
    [condition] = rule["Conditions"]
    secret = client("secretsmanager").get_secret_value(SecretId=deployed.physical_id("Origin", "OriginHeaderSecret"))
    assert condition["HttpHeaderConfig"]["Values"] == [secret["SecretString"]]
    assert rule["Actions"][0]["TargetGroupArn"] == target_group
    policies = autoscaling.describe_policies(AutoScalingGroupName=group_name)["ScalingPolicies"]
    assert {p["PolicyType"] for p in policies} == {"TargetTrackingScaling"}
    assert len(policies) == 2


def test_firehose_deliveries_read_the_real_streams_and_write_the_real_data_lake(
    deployed: DeployedStage, synthesized: Synthesized
):
    firehose, kinesis = client("firehose"), client("kinesis")
    lake = f"arn:aws:s3:::{_buckets(deployed)['DataLake']}"
    lake_key = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/{deployed.physical_id('Storage', 'DataLakeKey')}"
    sources = {"EventsToLakeDeliveryStream": "PlayerEventsStream"}
    if synthesized.configs[deployed.env].analytics.cdn_logs is not None:
        sources["CdnLogsToLakeDeliveryStream"] = "CdnLogsStream"
    assert len(firehose.list_delivery_streams()["DeliveryStreamNames"]) == len(sources)
    for delivery, stream in sources.items():
        name = deployed.physical_id("Analytics", delivery)
        description = firehose.describe_delivery_stream(DeliveryStreamName=name)["DeliveryStreamDescription"]
        source = description["Source"]["KinesisStreamSourceDescription"]["KinesisStreamARN"]
        stream_name = deployed.physical_id("Analytics", stream)
        assert (
            source == kinesis.describe_stream_summary(StreamName=stream_name)["StreamDescriptionSummary"]["StreamARN"]
        )
        [destination] = description["Destinations"]
        s3 = destination["ExtendedS3DestinationDescription"]
        assert s3["BucketARN"] == lake  # resolved across stacks with Fn::GetStackOutput
        assert s3["EncryptionConfiguration"]["KMSEncryptionConfig"]["AWSKMSKeyARN"] == lake_key


# --- the Edge stack: the distribution's origins, keys and WebACL are the real resources ---


def _distribution(deployed: DeployedStage) -> tuple[str, dict[str, Any]]:
    distribution_id = deployed.physical_id("Edge", "Distribution")
    config: dict[str, Any] = client("cloudfront").get_distribution_config(Id=distribution_id)["DistributionConfig"]
    return distribution_id, config


def _origin_domains(config: dict[str, Any]) -> set[str]:
    return {origin["DomainName"] for origin in config["Origins"]["Items"]}


def test_origins_are_the_deployed_bucket_alb_function_url_and_api(deployed: DeployedStage):
    _, config = _distribution(deployed)
    content_bucket = deployed.physical_id("Storage", "ContentBucket")
    (load_balancer,) = client("elbv2").describe_load_balancers()["LoadBalancers"]
    rewriter = deployed.physical_id("Edge", "RewriterFunction")
    function_url = client("lambda").get_function_url_config(FunctionName=rewriter)["FunctionUrl"]
    key_service = deployed.physical_id("Edge", "KeyServiceFunction")
    key_service_url = client("lambda").get_function_url_config(FunctionName=key_service)["FunctionUrl"]
    api = client("apigatewayv2").get_api(ApiId=deployed.physical_id("Api", "HttpApi"))
    expected = {
        f"{content_bucket}.s3.us-east-1.amazonaws.com",
        load_balancer["DNSName"],
        urlparse(function_url).hostname,
        urlparse(key_service_url).hostname,
        urlparse(api["ApiEndpoint"]).hostname,
    }
    if deployed.env == "prod":
        replica = deployed.record("ContentReplica").outputs["ReplicaBucketName"]
        assert replica.startswith("showrunner-prod-replica-123456789012-")  # and the stack's unique part
        expected.add(f"{replica}.s3.us-west-2.amazonaws.com")
    assert _origin_domains(config) == expected
    assert client("s3").head_bucket(Bucket=content_bucket)["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_alb_origin_carries_the_deployed_origin_header_secret(deployed: DeployedStage):
    _, config = _distribution(deployed)
    (load_balancer,) = client("elbv2").describe_load_balancers()["LoadBalancers"]
    (alb_origin,) = [o for o in config["Origins"]["Items"] if o["DomainName"] == load_balancer["DNSName"]]
    secret = client("secretsmanager").get_secret_value(SecretId=deployed.physical_id("Origin", "OriginHeaderSecret"))
    assert alb_origin["CustomHeaders"]["Items"] == [
        {"HeaderName": "X-Origin-Verify", "HeaderValue": secret["SecretString"]}
    ]


def test_vod_behaviors_trust_the_key_group_holding_the_configured_public_key(
    deployed: DeployedStage, synthesized: Synthesized
):
    _, config = _distribution(deployed)
    cloudfront = client("cloudfront")
    key_group_id = deployed.physical_id("Edge", "SigningKeyGroup")
    behaviors = {b["PathPattern"]: b for b in config["CacheBehaviors"]["Items"]}
    for pattern in ("/vod/*.m3u8", "/vod/*.mpd", "/vod/*"):
        assert behaviors[pattern]["TrustedKeyGroups"] == {"Enabled": True, "Quantity": 1, "Items": [key_group_id]}
    for pattern in ("/playback/*", "/events", "/api/*"):
        assert behaviors[pattern]["TrustedKeyGroups"]["Enabled"] is False
    (key_id,) = cloudfront.get_key_group(Id=key_group_id)["KeyGroup"]["KeyGroupConfig"]["Items"]
    encoded = cloudfront.get_public_key(Id=key_id)["PublicKey"]["PublicKeyConfig"]["EncodedKey"]
    (configured,) = synthesized.configs[deployed.env].edge.signing_public_keys
    assert encoded == (REPO_ROOT / configured).read_text()


def test_web_acl_and_standard_logs_are_the_deployed_ones(deployed: DeployedStage):
    _, config = _distribution(deployed)
    (acl,) = client("wafv2").list_web_acls(Scope="CLOUDFRONT")["WebACLs"]
    assert config["WebACLId"] == acl["ARN"]
    logs_bucket = deployed.physical_id("Storage", "LogsBucket")
    assert config["Logging"] == {
        "Enabled": True,
        "IncludeCookies": False,
        "Bucket": f"{logs_bucket}.s3.us-east-1.amazonaws.com",
        "Prefix": "cloudfront/",
    }


def test_issuer_signs_for_the_deployed_distribution_with_the_active_key(deployed: DeployedStage):
    distribution_id, _ = _distribution(deployed)
    domain = client("cloudfront").get_distribution(Id=distribution_id)["Distribution"]["DomainName"]
    issuer = deployed.physical_id("Playback", "IssuerFunction")
    variables = client("lambda").get_function_configuration(FunctionName=issuer)["Environment"]["Variables"]
    key_group = client("cloudfront").get_key_group(Id=deployed.physical_id("Edge", "SigningKeyGroup"))
    assert variables["DISTRIBUTION_DOMAIN"] == domain
    assert [variables["KEY_PAIR_ID"]] == key_group["KeyGroup"]["KeyGroupConfig"]["Items"]
