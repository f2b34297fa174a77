"""Network stack: VPC layout, NAT, endpoints and flow logs, per environment."""

from __future__ import annotations

from typing import Any

from aws_cdk import App
from aws_cdk.assertions import Match, Template

from stacks.config import load_config
from stacks.stage import ShowrunnerStage
from tests.support.synth import Synthesized, cdk_context
from tests.support.templates import logical_id_by_path, resources_of_type, tag_value


def _subnets_by_tier(template: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    tiers: dict[str, list[dict[str, Any]]] = {}
    for subnet in resources_of_type(template, "AWS::EC2::Subnet").values():
        tiers.setdefault(tag_value(subnet, "aws-cdk:subnet-name") or "", []).append(subnet)
    return tiers


def _default_routes(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Route table logical ID -> its 0.0.0.0/0 route."""
    return {
        r["Properties"]["RouteTableId"]["Ref"]: r["Properties"]
        for r in resources_of_type(template, "AWS::EC2::Route").values()
        if r["Properties"].get("DestinationCidrBlock") == "0.0.0.0/0"
    }


def test_vpc_spans_the_configured_zones_with_three_tiers(synthesized: Synthesized, env: str):
    config = synthesized.configs[env]
    template = synthesized.stack(env, "Network").template
    (vpc,) = resources_of_type(template, "AWS::EC2::VPC").values()
    assert vpc["Properties"]["CidrBlock"] == config.vpc_cidr
    assert vpc["Properties"]["EnableDnsHostnames"] is True

    tiers = _subnets_by_tier(template)
    assert set(tiers) == {"public", "private", "isolated"}
    for tier, subnets in tiers.items():
        zones = sorted(s["Properties"]["AvailabilityZone"] for s in subnets)
        assert zones == sorted(config.availability_zones), tier
    assert all(s["Properties"]["MapPublicIpOnLaunch"] is True for s in tiers["public"])
    assert all(s["Properties"]["MapPublicIpOnLaunch"] is False for s in tiers["private"] + tiers["isolated"])


def test_private_subnets_route_out_through_nat_and_isolated_do_not(synthesized: Synthesized, env: str):
    template = synthesized.stack(env, "Network").template
    routes = _default_routes(template)
    tables = {
        tier: {
            a["Properties"]["RouteTableId"]["Ref"]
            for a in resources_of_type(template, "AWS::EC2::SubnetRouteTableAssociation").values()
            if a["Metadata"]["aws:cdk:path"].split("/")[3].startswith(tier)
        }
        for tier in ("public", "private", "isolated")
    }
    assert all("GatewayId" in routes[t] for t in tables["public"])
    assert all(("NatGatewayId" in routes[t]) != ("InstanceId" in routes[t]) for t in tables["private"])
    assert not tables["isolated"] & set(routes)


def test_dev_uses_one_hardened_nat_instance(synthesized: Synthesized):
    config = synthesized.configs["dev"]
    template = synthesized.stack("dev", "Network").template
    assert not resources_of_type(template, "AWS::EC2::NatGateway")
    (instance_id,) = resources_of_type(template, "AWS::EC2::Instance")
    props = template["Resources"][instance_id]["Properties"]
    assert props["InstanceType"] == config.nat.instance_type == "t4g.nano"
    assert props["SourceDestCheck"] is False
    assert props["BlockDeviceMappings"] == [
        {"DeviceName": "/dev/xvda", "Ebs": {"Encrypted": True, "VolumeSize": 8, "VolumeType": "gp3"}}
    ]
    (launch_template,) = resources_of_type(template, "AWS::EC2::LaunchTemplate").values()
    assert launch_template["Properties"]["LaunchTemplateData"]["MetadataOptions"] == {"HttpTokens": "required"}
    assert {r["InstanceId"]["Ref"] for r in _default_routes(template).values() if "InstanceId" in r} == {instance_id}

    (nat_sg,) = resources_of_type(template, "AWS::EC2::SecurityGroup").values()
    assert nat_sg["Properties"]["SecurityGroupIngress"] == [
        {"CidrIp": config.vpc_cidr, "Description": "NAT for the private subnets", "IpProtocol": "-1"}
    ]


def test_staging_and_prod_use_the_configured_nat_gateways(synthesized: Synthesized):
    for stage in ("staging", "prod"):
        config = synthesized.configs[stage]
        template = synthesized.stack(stage, "Network").template
        assert len(resources_of_type(template, "AWS::EC2::NatGateway")) == config.nat.gateways
        assert not resources_of_type(template, "AWS::EC2::Instance")
    assert synthesized.configs["prod"].nat.gateways == len(synthesized.configs["prod"].availability_zones)


def test_s3_gateway_endpoint_and_no_interface_endpoints_by_default(synthesized: Synthesized, env: str):
    template = synthesized.stack(env, "Network").template
    endpoints = list(resources_of_type(template, "AWS::EC2::VPCEndpoint").values())
    assert len(endpoints) == 1
    props = endpoints[0]["Properties"]
    assert props["VpcEndpointType"] == "Gateway"
    assert props["ServiceName"] == {"Fn::Join": ["", ["com.amazonaws.", {"Ref": "AWS::Region"}, ".s3"]]}
    route_tables = {r["Ref"] for r in props["RouteTableIds"]}
    assert route_tables == set(resources_of_type(template, "AWS::EC2::RouteTable"))


def test_flow_logs_capture_all_traffic_into_the_logs_bucket(synthesized: Synthesized, env: str):
    template = synthesized.stack(env, "Network").template
    storage = synthesized.stack(env, "Storage").template
    logs_bucket = logical_id_by_path(storage, "Storage/LogsBucket/Resource")
    (flow_log,) = resources_of_type(template, "AWS::EC2::FlowLog").values()
    props = flow_log["Properties"]
    assert props["TrafficType"] == "ALL"
    assert props["ResourceType"] == "VPC"
    assert props["LogDestinationType"] == "s3"
    destination = props["LogDestination"]["Fn::Join"][1]
    assert destination[1] == "/vpc-flow-logs/"
    output_name = destination[0]["Fn::GetStackOutput"]["OutputName"]
    assert storage["Outputs"][output_name]["Value"] == {"Fn::GetAtt": [logs_bucket, "Arn"]}


def test_default_security_group_is_restricted(synthesized: Synthesized, env: str):
    template = Template.from_json(synthesized.stack(env, "Network").template)
    template.resource_count_is("Custom::VpcRestrictDefaultSG", 1)
    template.has_resource_properties(
        "Custom::VpcRestrictDefaultSG",
        {"DefaultSecurityGroupId": {"Fn::GetAtt": [Match.any_value(), "DefaultSecurityGroup"]}},
    )


def test_configured_interface_endpoints_are_created_in_private_subnets():
    configs = load_config(overrides={"staging": {"interface_endpoints": ["ssm", "kinesis-streams"]}})
    app = App(context=cdk_context())
    stage = ShowrunnerStage(app, configs["staging"])
    template = Template.from_stack(stage.network)
    template.resource_count_is("AWS::EC2::VPCEndpoint", 3)
    for service in ("ssm", "kinesis-streams"):
        template.has_resource_properties(
            "AWS::EC2::VPCEndpoint",
            {
                "ServiceName": f"com.amazonaws.us-east-1.{service}",
                "VpcEndpointType": "Interface",
                "PrivateDnsEnabled": True,
                "SubnetIds": [
                    {"Ref": Match.string_like_regexp("Vpcprivate")},
                    {"Ref": Match.string_like_regexp("Vpcprivate")},
                ],
            },
        )
