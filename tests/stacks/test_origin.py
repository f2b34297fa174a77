"""Origin stack: a CloudFront-only ALB in front of a Graviton Auto Scaling fleet, per environment."""

from __future__ import annotations

import base64
import gzip
import io
import json
import re
import tarfile
from typing import Any

import pytest
from aws_cdk import App, Stack
from aws_cdk.assertions import Template

from stacks.config import ConfigError, load_config
from stacks.origin_stack import PREFIX_LIST_CONTEXT_KEY
from stacks.origin_user_data import USER_DATA_LIMIT, payload_files, shipped
from stacks.stage import ShowrunnerStage
from tests.support.synth import ROOT, Synthesized, cdk_context
from tests.support.templates import logical_id_by_path, resources_of_type

US_EAST_1_PREFIX_LIST = "pl-3b927c52"
REGIONAL_CERT = "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-0a1b-0a1b-0a1b-0a1b2c3d4e5f"


def _one(template: dict[str, Any], resource_type: str) -> tuple[str, dict[str, Any]]:
    found = resources_of_type(template, resource_type)
    assert len(found) == 1, f"expected one {resource_type}, found {sorted(found)}"
    ((logical_id, resource),) = found.items()
    return logical_id, resource


def _stack_output_ref(value: dict[str, Any], producer: dict[str, Any]) -> Any:
    """What a ``Fn::GetStackOutput`` in a consumer resolves to in the producer's template."""
    return producer["Outputs"][value["Fn::GetStackOutput"]["OutputName"]]["Value"]


def _json(template: Template) -> dict[str, Any]:
    return dict(template.to_json())


def _by_group(rule: dict[str, Any]) -> str:
    group: str = rule["GroupId"]["Fn::GetAtt"][0]
    return group


def _origin_template(config_overrides: dict[str, Any], env: str = "prod") -> tuple[Template, ShowrunnerStage]:
    config = load_config(overrides={env: config_overrides})[env]
    stage = ShowrunnerStage(App(context=cdk_context()), config)
    return Template.from_stack(stage.origin), stage


# --- launch template --------------------------------------------------------------------------


def test_launch_template_requires_imdsv2_and_encrypts_its_only_volume(synthesized: Synthesized, env: str):
    template = synthesized.stack(env, "Origin").template
    assert not resources_of_type(template, "AWS::AutoScaling::LaunchConfiguration")
    _, launch_template = _one(template, "AWS::EC2::LaunchTemplate")
    data = launch_template["Properties"]["LaunchTemplateData"]
    assert data["MetadataOptions"] == {
        "HttpEndpoint": "enabled",
        "HttpPutResponseHopLimit": 1,
        "HttpTokens": "required",
    }
    assert data["BlockDeviceMappings"] == [
        {
            "DeviceName": "/dev/xvda",
            "Ebs": {"DeleteOnTermination": True, "Encrypted": True, "VolumeSize": 10, "VolumeType": "gp3"},
        }
    ]
    assert data["Monitoring"] == {"Enabled": True}
    assert "KeyName" not in data
    assert "NetworkInterfaces" not in data  # so no public IP either


def test_instances_run_al2023_arm64_from_its_public_ssm_parameter(synthesized: Synthesized, env: str):
    template = synthesized.stack(env, "Origin").template
    _, launch_template = _one(template, "AWS::EC2::LaunchTemplate")
    image = launch_template["Properties"]["LaunchTemplateData"]["ImageId"]["Ref"]
    assert template["Parameters"][image] == {
        "Type": "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>",
        "Default": "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64",
    }


def test_instance_profile_allows_ssm_and_the_cloudformation_signal_only(synthesized: Synthesized, env: str):
    template = synthesized.stack(env, "Origin").template
    role_id, role = _one(template, "AWS::IAM::Role")
    assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"] == [
        {"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}}
    ]
    assert role["Properties"]["ManagedPolicyArns"] == [
        {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":iam::aws:policy/AmazonSSMManagedInstanceCore"]]}
    ]
    _, policy = _one(template, "AWS::IAM::Policy")
    assert policy["Properties"]["Roles"] == [{"Ref": role_id}]
    assert policy["Properties"]["PolicyDocument"]["Statement"] == [
        {"Action": "cloudformation:SignalResource", "Effect": "Allow", "Resource": {"Ref": "AWS::StackId"}}
    ]
    _, profile = _one(template, "AWS::IAM::InstanceProfile")
    assert profile["Properties"]["Roles"] == [{"Ref": role_id}]


def test_user_data_is_the_shipped_script_with_the_site_inside_and_fits_the_limit(synthesized: Synthesized, env: str):
    template = synthesized.stack(env, "Origin").template
    _, launch_template = _one(template, "AWS::EC2::LaunchTemplate")
    joined = launch_template["Properties"]["LaunchTemplateData"]["UserData"]["Fn::Base64"]
    # Two values come from the Api stack at deploy time: the sign-in page's user pool and app client.
    assert joined["Fn::Join"][0] == ""
    api = synthesized.stack(env, "Api").template
    references: dict[int, Any] = {}
    text = []
    for part in joined["Fn::Join"][1]:
        if isinstance(part, str):
            text.append(part)
            continue
        output = part["Fn::GetStackOutput"]
        assert output["StackName"] == f"{env}-Api"
        references[len(references)] = api["Outputs"][output["OutputName"]]["Value"]
        text.append("us-east-1_AbCdEf123" if len(references) == 1 else "4f7kq2abcdefghijklmnopqrs1")
    assert references == {
        0: {"Ref": logical_id_by_path(api, "Api/Viewers/Resource")},
        1: {"Ref": logical_id_by_path(api, "Api/Viewers/PlayerClient/Resource")},
    }
    user_data = "".join(text)
    assert len(user_data.encode()) <= USER_DATA_LIMIT

    script = (ROOT / "assets/origin/user-data.sh").read_text()
    assert user_data.endswith(script.removeprefix("#!/bin/bash\n"))
    variables = dict(re.findall(r"^(SHOWRUNNER_[A-Z_]+)='([^']*)'$", user_data, re.MULTILINE))
    group_id = logical_id_by_path(template, "Origin/Fleet/Group/ASG")
    assert variables["SHOWRUNNER_STACK"] == f"{env}-Origin"
    assert variables["SHOWRUNNER_RESOURCE"] == group_id
    assert variables["SHOWRUNNER_REGION"] == synthesized.configs[env].region
    assert (variables["SHOWRUNNER_VIEWER_POOL"], variables["SHOWRUNNER_VIEWER_CLIENT"]) == (
        "us-east-1_AbCdEf123",
        "4f7kq2abcdefghijklmnopqrs1",
    )

    raw = io.BytesIO(gzip.decompress(base64.b64decode(variables["SHOWRUNNER_PAYLOAD"])))
    with tarfile.open(fileobj=raw) as archive:
        packed = {m.name: archive.extractfile(m).read() for m in archive.getmembers()}  # type: ignore[union-attr]
    files = {name: shipped(name, path.read_bytes()) for name, path in payload_files()}
    assert packed == files
    assert {"nginx.conf", "showrunner.conf", "site/index.html", "site/signin.html", "site/auth.js"} <= set(files)
    assert not [name for name in files if "catalog" in name]


# --- security groups: CloudFront in, nothing else --------------------------------------------


def _ingress_rules(template: dict[str, Any]) -> list[dict[str, Any]]:
    inline = [
        rule
        for group in resources_of_type(template, "AWS::EC2::SecurityGroup").values()
        for rule in group["Properties"].get("SecurityGroupIngress", [])
    ]
    separate = [r["Properties"] for r in resources_of_type(template, "AWS::EC2::SecurityGroupIngress").values()]
    return inline + separate


def test_alb_admits_only_the_cloudfront_prefix_list_and_instances_only_the_alb(synthesized: Synthesized, env: str):
    template = synthesized.stack(env, "Origin").template
    alb_sg = logical_id_by_path(template, "Origin/Alb/SecurityGroup/Resource")
    fleet_sg = logical_id_by_path(template, "Origin/Fleet/SecurityGroup/Resource")
    assert set(resources_of_type(template, "AWS::EC2::SecurityGroup")) == {alb_sg, fleet_sg}

    rules = sorted(_ingress_rules(template), key=_by_group)
    assert rules == sorted(
        [
            {
                "Description": "CloudFront origin-facing servers only",
                "FromPort": 80,
                "ToPort": 80,
                "GroupId": {"Fn::GetAtt": [alb_sg, "GroupId"]},
                "IpProtocol": "tcp",
                "SourcePrefixListId": US_EAST_1_PREFIX_LIST,
            },
            {
                "Description": "Load balancer to target",
                "FromPort": 80,
                "ToPort": 80,
                "GroupId": {"Fn::GetAtt": [fleet_sg, "GroupId"]},
                "IpProtocol": "tcp",
                "SourceSecurityGroupId": {"Fn::GetAtt": [alb_sg, "GroupId"]},
            },
        ],
        key=_by_group,
    )
    # The ALB talks only to the instances; the instances only make HTTPS calls out.
    egress = [r["Properties"] for r in resources_of_type(template, "AWS::EC2::SecurityGroupEgress").values()]
    assert egress == [
        {
            "Description": "Load balancer to target",
            "DestinationSecurityGroupId": {"Fn::GetAtt": [fleet_sg, "GroupId"]},
            "FromPort": 80,
            "ToPort": 80,
            "GroupId": {"Fn::GetAtt": [alb_sg, "GroupId"]},
            "IpProtocol": "tcp",
        }
    ]
    fleet_egress = template["Resources"][fleet_sg]["Properties"]["SecurityGroupEgress"]
    assert [(r["CidrIp"], r["IpProtocol"], r["FromPort"], r["ToPort"]) for r in fleet_egress] == [
        ("0.0.0.0/0", "tcp", 443, 443)
    ]


def test_the_prefix_list_ids_are_committed_context(synthesized: Synthesized):
    context = json.loads((ROOT / "cdk.context.json").read_text())[PREFIX_LIST_CONTEXT_KEY]
    assert context["us-east-1"] == US_EAST_1_PREFIX_LIST
    assert all(re.fullmatch(r"pl-[0-9a-f]{8}", value) for value in context.values())
    assert {c.region for c in synthesized.configs.values()} <= set(context)


def test_a_region_without_a_committed_prefix_list_stops_synth_with_a_clear_error():
    config = load_config(
        overrides={
            "dev": {
                "region": "eu-south-2",
                "availability_zones": ["eu-south-2a", "eu-south-2b"],
                "availability_zone_ids": ["eus2-az1", "eus2-az2"],
            }
        }
    )["dev"]
    with pytest.raises(ConfigError, match=r"no CloudFront origin-facing prefix list ID for eu-south-2") as error:
        ShowrunnerStage(App(context=cdk_context()), config)
    assert "describe-managed-prefix-lists --region eu-south-2" in str(error.value)
    assert PREFIX_LIST_CONTEXT_KEY in str(error.value)


# --- the load balancer and its listener ------------------------------------------------------


def test_alb_is_internet_facing_in_public_subnets_and_logs_to_the_logs_bucket(synthesized: Synthesized, env: str):
    template = synthesized.stack(env, "Origin").template
    network = synthesized.stack(env, "Network").template
    storage = synthesized.stack(env, "Storage").template
    _, alb = _one(template, "AWS::ElasticLoadBalancingV2::LoadBalancer")
    props = alb["Properties"]
    assert props["Scheme"] == "internet-facing"
    assert props["Type"] == "application"
    public = {logical_id_by_path(network, f"Vpc/publicSubnet{i + 1}/Subnet") for i in range(len(props["Subnets"]))}
    assert {_stack_output_ref(s, network)["Ref"] for s in props["Subnets"]} == public
    assert len(props["Subnets"]) == len(synthesized.configs[env].availability_zones)

    attributes = {a["Key"]: a["Value"] for a in props["LoadBalancerAttributes"]}
    assert attributes["access_logs.s3.enabled"] == "true"
    assert attributes["access_logs.s3.prefix"] == "alb"
    assert _stack_output_ref(attributes["access_logs.s3.bucket"], storage) == {
        "Ref": logical_id_by_path(storage, "Storage/LogsBucket/Resource")
    }
    assert attributes["routing.http.drop_invalid_header_fields.enabled"] == "true"
    assert attributes["deletion_protection.enabled"] == ("true" if env == "prod" else "false")


def test_logs_bucket_lets_elb_deliver_under_alb_prefix_only(synthesized: Synthesized, env: str):
    storage = synthesized.stack(env, "Storage").template
    logs_bucket = logical_id_by_path(storage, "Storage/LogsBucket/Resource")
    policy = next(
        p
        for p in resources_of_type(storage, "AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == {"Ref": logs_bucket}
    )
    elb_writes = [
        s
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
        if s["Action"] == "s3:PutObject" and "/alb/" in json.dumps(s["Resource"])
    ]
    assert elb_writes, "no statement lets ELB write access logs"
    for statement in elb_writes:
        assert statement["Effect"] == "Allow"
        assert statement["Resource"] == {
            "Fn::Join": ["", [{"Fn::GetAtt": [logs_bucket, "Arn"]}, "/alb/AWSLogs/", {"Ref": "AWS::AccountId"}, "/*"]]
        }


def test_without_the_origin_header_every_request_gets_403(synthesized: Synthesized, env: str):
    template = synthesized.stack(env, "Origin").template
    listener_id, listener = _one(template, "AWS::ElasticLoadBalancingV2::Listener")
    assert listener["Properties"]["Port"] == 80
    assert listener["Properties"]["Protocol"] == "HTTP"
    assert listener["Properties"]["DefaultActions"] == [
        {
            "Type": "fixed-response",
            "FixedResponseConfig": {"ContentType": "text/plain", "MessageBody": "Forbidden", "StatusCode": "403"},
        }
    ]
    secret_id, secret = _one(template, "AWS::SecretsManager::Secret")
    target_group_id, _ = _one(template, "AWS::ElasticLoadBalancingV2::TargetGroup")
    _, rule = _one(template, "AWS::ElasticLoadBalancingV2::ListenerRule")
    assert rule["Properties"]["ListenerArn"] == {"Ref": listener_id}
    assert rule["Properties"]["Actions"] == [{"Type": "forward", "TargetGroupArn": {"Ref": target_group_id}}]
    assert rule["Properties"]["Conditions"] == [
        {
            "Field": "http-header",
            "HttpHeaderConfig": {
                "HttpHeaderName": "X-Origin-Verify",
                "Values": [
                    {
                        "Fn::Join": [
                            "",
                            ["{{resolve:secretsmanager:", {"Ref": secret_id}, ":SecretString::AWSCURRENT:}}"],
                        ]
                    }
                ],
            },
        }
    ]
    # The value is generated by Secrets Manager; the template carries no value of its own.
    assert secret["Properties"]["GenerateSecretString"] == {
        "ExcludePunctuation": True,
        "IncludeSpace": False,
        "PasswordLength": 48,
    }
    assert "SecretString" not in secret["Properties"]


def test_target_group_checks_healthz_and_drains_for_30_seconds(synthesized: Synthesized, env: str):
    template = synthesized.stack(env, "Origin").template
    _, target_group = _one(template, "AWS::ElasticLoadBalancingV2::TargetGroup")
    props = target_group["Properties"]
    assert (props["Port"], props["Protocol"], props["TargetType"]) == (80, "HTTP", "instance")
    assert props["HealthCheckPath"] == "/healthz"
    assert props["Matcher"] == {"HttpCode": "200"}
    attributes = {a["Key"]: a["Value"] for a in props["TargetGroupAttributes"]}
    assert attributes["deregistration_delay.timeout_seconds"] == "30"


def test_https_to_the_origin_when_a_certificate_is_configured():
    template, stage = _origin_template(
        {"origin": {"certificate_arn": REGIONAL_CERT, "domain_name": "origin.example.com"}}
    )
    template.resource_count_is("AWS::ElasticLoadBalancingV2::Listener", 1)
    template.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::Listener",
        {
            "Port": 443,
            "Protocol": "HTTPS",
            "Certificates": [{"CertificateArn": REGIONAL_CERT}],
            "SslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
        },
    )
    ingress = _ingress_rules(_json(template))
    prefix_rules = [r for r in ingress if "SourcePrefixListId" in r]
    assert [(r["FromPort"], r["ToPort"]) for r in prefix_rules] == [(443, 443)]
    assert stage.origin.origin_https is True
    assert stage.origin.origin_domain_name == "origin.example.com"


# --- the Auto Scaling group --------------------------------------------------------------------


def test_group_spans_every_private_subnet_with_configured_capacity(synthesized: Synthesized, env: str):
    config = synthesized.configs[env]
    template = synthesized.stack(env, "Origin").template
    network = synthesized.stack(env, "Network").template
    _, group = _one(template, "AWS::AutoScaling::AutoScalingGroup")
    props = group["Properties"]
    private = {
        logical_id_by_path(network, f"Vpc/privateSubnet{i + 1}/Subnet") for i in range(len(config.availability_zones))
    }
    assert {_stack_output_ref(s, network)["Ref"] for s in props["VPCZoneIdentifier"]} == private
    assert (props["MinSize"], props["DesiredCapacity"], props["MaxSize"]) == (
        str(config.origin.min_capacity),
        str(config.origin.desired_capacity),
        str(config.origin.max_capacity),
    )
    assert props["HealthCheckType"] == "ELB"
    assert props["HealthCheckGracePeriod"] == 300
    target_group_id, _ = _one(template, "AWS::ElasticLoadBalancingV2::TargetGroup")
    assert props["TargetGroupARNs"] == [{"Ref": target_group_id}]


def test_group_notifies_the_alerts_topic_of_every_launch_and_termination(synthesized: Synthesized, env: str):
    template = synthesized.stack(env, "Origin").template
    alerts = synthesized.stack(env, "Alerts").template
    _, group = _one(template, "AWS::AutoScaling::AutoScalingGroup")
    (notification,) = group["Properties"]["NotificationConfigurations"]
    assert sorted(notification["NotificationTypes"]) == [
        "autoscaling:EC2_INSTANCE_LAUNCH",
        "autoscaling:EC2_INSTANCE_LAUNCH_ERROR",
        "autoscaling:EC2_INSTANCE_TERMINATE",
        "autoscaling:EC2_INSTANCE_TERMINATE_ERROR",
    ]
    topic_id, _ = _one(alerts, "AWS::SNS::Topic")
    assert _stack_output_ref(notification["TopicARN"], alerts) == {"Ref": topic_id}


def test_alerts_key_lets_the_auto_scaling_service_role_encrypt_notifications(synthesized: Synthesized, env: str):
    alerts = synthesized.stack(env, "Alerts").template
    _, key = _one(alerts, "AWS::KMS::Key")
    statement = next(
        s for s in key["Properties"]["KeyPolicy"]["Statement"] if s.get("Sid") == "AllowAutoScalingNotifications"
    )
    assert statement["Action"] == ["kms:Decrypt", "kms:GenerateDataKey*"]
    assert statement["Principal"] == {"AWS": "*"}
    assert statement["Condition"] == {
        "ArnEquals": {
            "aws:PrincipalArn": {
                "Fn::Join": [
                    "",
                    [
                        "arn:aws:iam::",
                        {"Ref": "AWS::AccountId"},
                        ":role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling",
                    ],
                ]
            }
        },
        "StringEquals": {"kms:CallerAccount": {"Ref": "AWS::AccountId"}},
    }


def test_spot_with_capacity_rebalancing_in_dev_and_staging_and_an_on_demand_base_in_prod(
    synthesized: Synthesized, env: str
):
    origin = synthesized.configs[env].origin
    template = synthesized.stack(env, "Origin").template
    launch_template_id, _ = _one(template, "AWS::EC2::LaunchTemplate")
    _, group = _one(template, "AWS::AutoScaling::AutoScalingGroup")
    policy = group["Properties"]["MixedInstancesPolicy"]
    expected_base, expected_share = {"dev": (0, 0), "staging": (0, 0), "prod": (3, 50)}[env]
    assert policy["InstancesDistribution"] == {
        "OnDemandAllocationStrategy": "prioritized",
        "OnDemandBaseCapacity": expected_base,
        "OnDemandPercentageAboveBaseCapacity": expected_share,
        "SpotAllocationStrategy": "price-capacity-optimized",
    }
    assert [o["InstanceType"] for o in policy["LaunchTemplate"]["Overrides"]] == origin.instance_types
    graviton = r"t4g\.(micro|small)" if env == "dev" else r"[cm][67]g\.medium"
    assert all(re.fullmatch(graviton, o["InstanceType"]) for o in policy["LaunchTemplate"]["Overrides"])
    assert policy["LaunchTemplate"]["LaunchTemplateSpecification"] == {
        "LaunchTemplateId": {"Ref": launch_template_id},
        "Version": {"Fn::GetAtt": [launch_template_id, "LatestVersionNumber"]},
    }
    assert group["Properties"]["CapacityRebalance"] is True
    assert "LaunchTemplate" not in group["Properties"]


def test_an_all_on_demand_group_does_not_ask_for_capacity_rebalancing():
    template, _ = _origin_template({"origin": {"on_demand_percentage_above_base": 100}})
    group = next(iter(resources_of_type(_json(template), "AWS::AutoScaling::AutoScalingGroup").values()))
    assert group["Properties"]["CapacityRebalance"] is False
    assert (
        group["Properties"]["MixedInstancesPolicy"]["InstancesDistribution"]["OnDemandPercentageAboveBaseCapacity"]
        == 100
    )


def test_a_changed_launch_template_rolls_out_one_signalled_instance_at_a_time(synthesized: Synthesized, env: str):
    origin = synthesized.configs[env].origin
    template = synthesized.stack(env, "Origin").template
    _, group = _one(template, "AWS::AutoScaling::AutoScalingGroup")
    rolling = group["UpdatePolicy"]["AutoScalingRollingUpdate"]
    assert rolling["MaxBatchSize"] == 1
    assert rolling["MinInstancesInService"] == origin.min_capacity
    assert rolling["WaitOnResourceSignals"] is True
    assert rolling["PauseTime"] == "PT10M"
    assert {"HealthCheck", "ReplaceUnhealthy", "ScheduledActions"} <= set(rolling["SuspendProcesses"])
    assert group["UpdatePolicy"]["AutoScalingScheduledAction"] == {"IgnoreUnmodifiedGroupSizeProperties": True}
    assert group["CreationPolicy"] == {"ResourceSignal": {"Count": origin.min_capacity, "Timeout": "PT10M"}}


def test_min_in_service_stays_below_max_when_the_group_is_fixed_size():
    template, _ = _origin_template(
        {"origin": {"min_capacity": 3, "desired_capacity": 3, "max_capacity": 3, "prime_time": None}}
    )
    group = next(iter(resources_of_type(_json(template), "AWS::AutoScaling::AutoScalingGroup").values()))
    assert group["UpdatePolicy"]["AutoScalingRollingUpdate"]["MinInstancesInService"] == 2


# --- scaling ------------------------------------------------------------------------------------


def test_target_tracking_on_cpu_and_on_requests_per_target(synthesized: Synthesized, env: str):
    origin = synthesized.configs[env].origin
    template = synthesized.stack(env, "Origin").template
    group_id, _ = _one(template, "AWS::AutoScaling::AutoScalingGroup")
    target_group_id, _ = _one(template, "AWS::ElasticLoadBalancingV2::TargetGroup")
    policies = {
        p["Properties"]["TargetTrackingConfiguration"]["PredefinedMetricSpecification"]["PredefinedMetricType"]: p
        for p in resources_of_type(template, "AWS::AutoScaling::ScalingPolicy").values()
    }
    assert set(policies) == {"ASGAverageCPUUtilization", "ALBRequestCountPerTarget"}
    for policy in policies.values():
        assert policy["Properties"]["AutoScalingGroupName"] == {"Ref": group_id}
        assert policy["Properties"]["PolicyType"] == "TargetTrackingScaling"
    cpu = policies["ASGAverageCPUUtilization"]["Properties"]["TargetTrackingConfiguration"]
    assert cpu["TargetValue"] == origin.cpu_target_percent == (10 if env == "dev" else 50)  # dev: t4g.micro baseline
    requests = policies["ALBRequestCountPerTarget"]["Properties"]["TargetTrackingConfiguration"]
    assert requests["TargetValue"] == origin.requests_per_target == 1000
    label = requests["PredefinedMetricSpecification"]["ResourceLabel"]["Fn::Join"][1]
    assert label[-1] == {"Fn::GetAtt": [target_group_id, "TargetGroupFullName"]}


def test_prime_time_raises_the_minimum_in_the_evening_local_to_the_region(synthesized: Synthesized, env: str):
    config = synthesized.configs[env]
    assert config.origin.prime_time is not None
    template = synthesized.stack(env, "Origin").template
    group_id, _ = _one(template, "AWS::AutoScaling::AutoScalingGroup")
    actions = sorted(
        (a["Properties"] for a in resources_of_type(template, "AWS::AutoScaling::ScheduledAction").values()),
        key=lambda a: a["Recurrence"],
    )
    assert actions == [
        {
            "AutoScalingGroupName": {"Ref": group_id},
            "MinSize": config.origin.prime_time.min_capacity,
            "Recurrence": "0 18 * * *",
            "TimeZone": "America/New_York",
        },
        {
            "AutoScalingGroupName": {"Ref": group_id},
            "MinSize": config.origin.min_capacity,
            "Recurrence": "0 23 * * *",
            "TimeZone": "America/New_York",
        },
    ]


def test_prime_time_follows_its_configuration():
    template, _ = _origin_template(
        {"origin": {"prime_time": {"start": "19:30", "end": "01:15", "min_capacity": 8, "time_zone": "Europe/Paris"}}}
    )
    template.resource_count_is("AWS::AutoScaling::ScheduledAction", 2)
    template.has_resource_properties(
        "AWS::AutoScaling::ScheduledAction", {"Recurrence": "30 19 * * *", "MinSize": 8, "TimeZone": "Europe/Paris"}
    )
    template.has_resource_properties(
        "AWS::AutoScaling::ScheduledAction", {"Recurrence": "15 1 * * *", "MinSize": 3, "TimeZone": "Europe/Paris"}
    )


def test_no_scheduled_actions_without_prime_time():
    template, _ = _origin_template({"origin": {"prime_time": None}})
    template.resource_count_is("AWS::AutoScaling::ScheduledAction", 0)
    template.resource_count_is("AWS::AutoScaling::ScalingPolicy", 2)


# --- what the Edge stack gets ------------------------------------------------------------------


def test_edge_gets_the_header_as_a_dynamic_reference_to_the_live_generation():
    template, stage = _origin_template({"origin": {"header_generation": 2}})
    origin = stage.origin
    secret_id = logical_id_by_path(_json(template), "Origin/OriginHeader/Secret/Resource")
    assert origin.origin_header_name == "X-Origin-Verify"
    assert Stack.of(origin).resolve(origin.origin_header_value) == {
        "Fn::Join": ["", ["{{resolve:secretsmanager:", {"Ref": secret_id}, ":SecretString::origin-header-2:}}"]]
    }
    rule = next(iter(resources_of_type(_json(template), "AWS::ElasticLoadBalancingV2::ListenerRule").values()))
    values = rule["Properties"]["Conditions"][0]["HttpHeaderConfig"]["Values"]
    assert [v["Fn::Join"][1][2] for v in values] == [
        ":SecretString::origin-header-2:}}",
        ":SecretString::origin-header-1:}}",
    ]
    assert origin.origin_https is False
    assert Stack.of(origin).resolve(origin.origin_domain_name) == {
        "Fn::GetAtt": [logical_id_by_path(_json(template), "Origin/Alb/LoadBalancer/Resource"), "DNSName"]
    }


def test_outputs_name_the_load_balancer_secret_and_group(synthesized: Synthesized, env: str):
    template = synthesized.stack(env, "Origin").template
    # Export*/PublishOutput* are CDK's outputs for stacks that read this one (the Operations stack).
    outputs = {k: v["Value"] for k, v in template["Outputs"].items() if not k.startswith(("Export", "PublishOutput"))}
    assert outputs == {
        "LoadBalancerDnsName": {"Fn::GetAtt": [logical_id_by_path(template, "Alb/LoadBalancer/Resource"), "DNSName"]},
        "OriginHeaderSecretArn": {"Ref": logical_id_by_path(template, "OriginHeader/Secret/Resource")},
        "AutoScalingGroupName": {"Ref": logical_id_by_path(template, "Fleet/Group/ASG")},
        "ProducerOutputsFingerprint": {"Ref": "ProducerOutputs"},  # every stack's (tools/operator/deploy.py)
    }
