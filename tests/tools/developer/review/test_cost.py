"""The idle-cost floor: hand-computed figures for a known template, and the price table itself."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from tests.tools.developer.review.helpers import resource, write_assembly
from tools.developer.review.cost import PRICES, PriceTable, estimate
from tools.developer.review.intrinsics import AssemblyIndex

SUBNETS = [{"Ref": "SubnetA"}, {"Ref": "SubnetB"}]


def _known_template() -> dict[str, Any]:
    return {
        "Resources": {
            "SubnetA": resource("AWS::EC2::Subnet", MapPublicIpOnLaunch=False),
            "SubnetB": resource("AWS::EC2::Subnet", MapPublicIpOnLaunch=False),
            "SubnetC": resource("AWS::EC2::Subnet", MapPublicIpOnLaunch=False),
            "Nat": resource("AWS::EC2::NatGateway", SubnetId={"Ref": "SubnetA"}),
            "NatIp": resource("AWS::EC2::EIP", Domain="vpc"),
            "Alb": resource(
                "AWS::ElasticLoadBalancingV2::LoadBalancer",
                Type="application",
                Scheme="internet-facing",
                Subnets=SUBNETS,
            ),
            "Template": resource(
                "AWS::EC2::LaunchTemplate",
                LaunchTemplateData={
                    "InstanceType": "t4g.small",
                    "Monitoring": {"Enabled": True},
                    "BlockDeviceMappings": [
                        {"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 20, "VolumeType": "gp3"}}
                    ],
                },
            ),
            "Fleet": resource(
                "AWS::AutoScaling::AutoScalingGroup",
                MinSize="2",
                MaxSize="4",
                LaunchTemplate={
                    "LaunchTemplateId": {"Ref": "Template"},
                    "Version": {"Fn::GetAtt": ["Template", "LatestVersionNumber"]},
                },
            ),
            "SsmEndpoint": resource(
                "AWS::EC2::VPCEndpoint",
                VpcEndpointType="Interface",
                ServiceName="com.amazonaws.us-east-1.ssm",
                SubnetIds=[{"Ref": "SubnetA"}, {"Ref": "SubnetB"}, {"Ref": "SubnetC"}],
            ),
            "S3Endpoint": resource(
                "AWS::EC2::VPCEndpoint", VpcEndpointType="Gateway", ServiceName="com.amazonaws.us-east-1.s3"
            ),
            "Events": resource("AWS::Kinesis::Stream", StreamModeDetails={"StreamMode": "ON_DEMAND"}),
            "Logs": resource("AWS::Kinesis::Stream", ShardCount=2, RetentionPeriodHours=24),
            "Key": resource("AWS::KMS::Key", EnableKeyRotation=True),
            "SigningKey": resource("AWS::SecretsManager::Secret"),
            "Alarm1": resource("AWS::CloudWatch::Alarm", Period=60),
            "Alarm2": resource("AWS::CloudWatch::Alarm", Period=300),
            "Board": resource("AWS::CloudWatch::Dashboard"),
            "Acl": resource("AWS::WAFv2::WebACL", Rules=[{"Name": "a"}, {"Name": "b"}, {"Name": "c"}]),
            "Bucket": resource("AWS::S3::Bucket"),
            "Role": resource("AWS::IAM::Role"),
        }
    }


def test_floor_of_a_known_template_equals_the_hand_computed_figure(tmp_path: Path):
    stacks = write_assembly(tmp_path, {"dev-Probe": _known_template()})
    result = estimate(AssemblyIndex(stacks), ["dev-Probe"], PriceTable.load())

    # Hourly items: NAT 0.045, EIP 0.005, ALB 0.0225 + 2 public IPv4 0.010, 2 x t4g.small 0.0336,
    # SSM endpoint in 3 AZs 0.03, on-demand stream 0.04, 2 shards 0.03           = 0.2161 $/h x 730 = 157.753
    # Monthly items: 2 x 20 GiB gp3 3.20, detailed monitoring 2 x 7 metrics 4.20, secret 0.40,
    # 2 alarms 0.20, dashboard 3.00, web ACL 5.00 + 3 rules 3.00, KMS key 1.00   = 20.00
    assert result.monthly == pytest.approx(157.753 + 20.00, abs=1e-6)
    assert result.hourly == pytest.approx((157.753 + 20.00) / 730, abs=1e-9)
    assert result.complete
    items = {(line.key.logical_id, line.need.item): line.need.quantity for line in result.lines}
    assert items[("Fleet", "t4g.small instance")] == 2
    assert items[("Fleet", "gp3 volume, 20 GiB")] == 40
    assert items[("Alb", "public IPv4 address, one per AZ")] == 2
    assert items[("SsmEndpoint", "interface endpoint (ssm), per AZ")] == 3
    assert not any(line.key.logical_id == "S3Endpoint" for line in result.lines), "gateway endpoints are free"
    assert result.usage == {"AWS::S3::Bucket": 1}


def test_unknown_types_and_missing_prices_make_the_estimate_incomplete_not_cheaper(tmp_path: Path):
    template = {
        "Resources": {
            "Db": resource("AWS::RDS::DBInstance", DBInstanceClass="db.t4g.micro"),
            "Big": resource("AWS::EC2::Instance", InstanceType="x9.huge"),
            "Key": resource("AWS::KMS::Key"),
        }
    }
    stacks = write_assembly(tmp_path, {"dev-Probe": template})
    result = estimate(AssemblyIndex(stacks), ["dev-Probe"], PriceTable.load())
    assert not result.complete
    assert result.unassessed == {"AWS::RDS::DBInstance": 1}
    assert [line.need.price_key for line in result.unpriced] == ["ec2.x9.huge"]
    assert result.monthly == pytest.approx(1.0)  # only the key is priced


def test_a_region_missing_from_the_table_is_reported_unpriced(tmp_path: Path):
    stacks = write_assembly(
        tmp_path, {"dev-Probe": {"Resources": {"Nat": resource("AWS::EC2::NatGateway")}}}, region="ap-south-2"
    )
    result = estimate(AssemblyIndex(stacks), ["dev-Probe"], PriceTable.load())
    assert result.monthly == 0
    assert [(line.region, line.need.price_key) for line in result.unpriced] == [("ap-south-2", "nat_gateway_hour")]


def test_price_table_is_dated_sourced_and_covers_the_graviton_families_we_configure():
    raw = json.loads(PRICES.read_text())
    assert date.fromisoformat(raw["date"]) <= date.today()
    table = PriceTable.load()
    for region, items in table.regions.items():
        for key, price in items.items():
            assert price.usd >= 0, (region, key)
            assert len(price.source) > 20, f"{region} {key} needs its source"
            assert price.per in {"hour", "month", "LCU-hour", "MAU", "output-minute"}, (region, key)
    prices = table.regions["us-east-1"]
    for family in ("t4g", "m7g", "c7g"):
        for size in ("medium", "large", "xlarge", "2xlarge"):
            assert f"ec2.{family}.{size}" in prices
    assert prices["nat_gateway_hour"].usd == 0.045
    assert prices["kms_key_month"].usd == 1.0
    for tier in ("basic", "professional"):
        for resolution in ("sd", "hd", "uhd"):
            assert f"mediaconvert_{tier}_{resolution}_minute" in prices


def test_a_spot_fleet_is_priced_on_demand_and_says_so(tmp_path: Path):
    template = {
        "Resources": {
            "Template": resource("AWS::EC2::LaunchTemplate", LaunchTemplateData={"InstanceType": "t4g.micro"}),
            "Fleet": resource(
                "AWS::AutoScaling::AutoScalingGroup",
                MinSize="3",
                MixedInstancesPolicy={
                    "InstancesDistribution": {"OnDemandBaseCapacity": 1, "OnDemandPercentageAboveBaseCapacity": 50},
                    "LaunchTemplate": {
                        "LaunchTemplateSpecification": {"LaunchTemplateId": {"Ref": "Template"}},
                        "Overrides": [{"InstanceType": "c7g.medium"}, {"InstanceType": "m7g.medium"}],
                    },
                },
            ),
        }
    }
    stacks = write_assembly(tmp_path, {"dev-Probe": template})
    (line,) = estimate(AssemblyIndex(stacks), ["dev-Probe"], PriceTable.load()).lines
    assert (line.need.item, line.need.quantity) == ("c7g.medium instance", 3)  # the first override, not the template's
    assert line.need.note == "MinSize 3; up to 1 on Spot, priced on-demand here (a ceiling)"
    assert line.monthly == pytest.approx(3 * 0.0363 * 730)
