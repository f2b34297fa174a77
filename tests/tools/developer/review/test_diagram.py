"""The diagram: nodes and edges from references (through connectors), rendered to valid SVG and PNG."""

from __future__ import annotations

import struct
from pathlib import Path

from defusedxml import ElementTree

from tests.tools.developer.review.helpers import resource, write_assembly
from tools.developer.review.diagram import build
from tools.developer.review.intrinsics import AssemblyIndex

SVG = "{http://www.w3.org/2000/svg}"


def _assembly(tmp_path: Path) -> AssemblyIndex:
    storage = {
        "Resources": {
            "Logs": resource("AWS::S3::Bucket", "dev/Storage/Logs/Resource"),
            "Lake": resource(
                "AWS::S3::Bucket",
                "dev/Storage/Lake/Resource",
                LoggingConfiguration={"DestinationBucketName": {"Ref": "Logs"}},
            ),
        },
        "Outputs": {
            "LakeArn": {"Value": {"Fn::GetAtt": ["Lake", "Arn"]}},
            "LogsDomain": {"Value": {"Fn::GetAtt": ["Logs", "RegionalDomainName"]}},
        },
    }
    lake = {"Fn::GetStackOutput": {"StackName": "dev-Storage", "OutputName": "LakeArn"}}
    edge = {
        "Resources": {
            "Web": resource(
                "AWS::ElasticLoadBalancingV2::LoadBalancer", "dev/Edge/Web/Resource", Subnets=["subnet-1", "subnet-2"]
            ),
            "Listener": resource(
                "AWS::ElasticLoadBalancingV2::Listener",
                LoadBalancerArn={"Ref": "Web"},
                DefaultActions=[{"Type": "forward", "TargetGroupArn": {"Ref": "Targets"}}],
            ),
            "Targets": resource("AWS::ElasticLoadBalancingV2::TargetGroup", Port=80),
            "Fleet": resource(
                "AWS::AutoScaling::AutoScalingGroup", "dev/Edge/Fleet/ASG", TargetGroupARNs=[{"Ref": "Targets"}]
            ),
            "Cdn": resource(
                "AWS::CloudFront::Distribution",
                "dev/Edge/Cdn/Resource",
                DistributionConfig={
                    "Origins": [{"DomainName": {"Fn::GetAtt": ["Web", "DNSName"]}, "Id": "alb"}],
                    "Logging": {
                        "Bucket": {"Fn::GetStackOutput": {"StackName": "dev-Storage", "OutputName": "LogsDomain"}}
                    },
                },
            ),
            "Events": resource("AWS::Kinesis::Stream", "dev/Edge/Events/Resource"),
            "Delivery": resource(
                "AWS::KinesisFirehose::DeliveryStream",
                "dev/Edge/Delivery/Resource",
                KinesisStreamSourceConfiguration={"KinesisStreamARN": {"Fn::GetAtt": ["Events", "Arn"]}},
                ExtendedS3DestinationConfiguration={"BucketARN": lake},
            ),
            "Alarm1": resource("AWS::CloudWatch::Alarm", "dev/Edge/A1/Resource", AlarmActions=[{"Ref": "Topic"}]),
            "Alarm2": resource("AWS::CloudWatch::Alarm", "dev/Edge/A2/Resource", AlarmActions=[{"Ref": "Topic"}]),
            "Topic": resource("AWS::SNS::Topic", "dev/Edge/Topic/Resource"),
            "Helper": resource("AWS::Lambda::Function", "dev/Edge/Custom::FooCustomResourceProvider/Handler"),
        }
    }
    return AssemblyIndex(write_assembly(tmp_path, {"dev-Storage": storage, "dev-Edge": edge}))


def test_nodes_and_edges_follow_references_through_connectors_and_across_stacks(tmp_path: Path):
    diagram = build(_assembly(tmp_path), ["dev-Storage", "dev-Edge"], "probe")
    labels = {node.id: node.label for node in diagram.nodes}
    edges = {(labels[e.source].split("\n")[0], labels[e.target].split("\n")[0], e.label) for e in diagram.edges}
    assert edges == {
        ("Lake", "Logs", "access logs"),
        ("Cdn", "Web", "origin"),
        ("Cdn", "Logs", "standard logs"),
        ("Web", "Fleet/ASG", "targets"),
        ("Events", "Delivery", "source"),
        ("Delivery", "Lake", "delivers"),
        ("2 CloudWatch alarms", "Topic", "notifies"),
    }
    assert not any("CustomResourceProvider" in label for label in labels.values())
    assert {node.stack for node in diagram.nodes} == {"dev-Storage", "dev-Edge"}


def test_diagram_renders_to_a_valid_svg_and_png(tmp_path: Path):
    diagram = build(_assembly(tmp_path), ["dev-Storage", "dev-Edge"], "probe")
    svg, png = tmp_path / "d.svg", tmp_path / "d.png"
    diagram.render(svg, png)

    root = ElementTree.parse(svg).getroot()
    assert root is not None
    assert root.tag == f"{SVG}svg"
    groups = list(root.iter(f"{SVG}g"))
    assert sum(1 for g in groups if g.get("class") == "node") == len(diagram.nodes)
    assert sum(1 for g in groups if g.get("class") == "edge") == len(diagram.edges)
    assert sum(1 for g in groups if g.get("class") == "cluster") == 2

    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    assert width > 200
    assert height > 100
    assert data[-8:-4] == b"IEND"
