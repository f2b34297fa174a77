"""Intrinsics: references followed across stacks (and regions), values printed by logical ID."""

from __future__ import annotations

from pathlib import Path

from tests.tools.developer.review.helpers import resource, write_assembly
from tools.developer.review.intrinsics import AssemblyIndex, CrossStackReference, ResourceKey

EDGE = {
    "Resources": {"Acl": resource("AWS::WAFv2::WebACL")},
    "Outputs": {
        "AclArn": {"Value": {"Fn::GetAtt": ["Acl", "Arn"]}},
        "AclId": {"Value": {"Ref": "Acl"}, "Export": {"Name": "dev-acl-id"}},
    },
}
CDN = {
    "Resources": {
        "Cdn": resource(
            "AWS::CloudFront::Distribution",
            DistributionConfig={
                "WebACLId": {
                    "Fn::GetStackOutput": {"StackName": "dev-EdgeGlobal", "Region": "us-east-1", "OutputName": "AclArn"}
                }
            },
        ),
        "Note": resource("AWS::SSM::Parameter", Value={"Fn::ImportValue": "dev-acl-id"}),
    }
}


def _index(tmp_path: Path) -> AssemblyIndex:
    stacks = write_assembly(
        tmp_path, {"dev-EdgeGlobal": EDGE, "dev-Cdn": CDN}, region="eu-west-1", regions={"dev-EdgeGlobal": "us-east-1"}
    )
    return AssemblyIndex(stacks)


def test_references_resolve_through_stack_outputs_and_exports(tmp_path: Path):
    index = _index(tmp_path)
    targets = [(r.target, r.attribute, r.property_path) for r in index.references("dev-Cdn", CDN["Resources"]["Cdn"])]
    assert targets == [(ResourceKey("dev-EdgeGlobal", "Acl"), "Arn", "Properties.DistributionConfig.WebACLId")]
    (note,) = index.references("dev-Cdn", CDN["Resources"]["Note"]["Properties"])
    assert (note.target, note.attribute) == (ResourceKey("dev-EdgeGlobal", "Acl"), None)


def test_cross_region_and_export_references_are_listed_by_producer(tmp_path: Path):
    assert _index(tmp_path).cross_stack_references("dev-Cdn") == [
        CrossStackReference(
            ResourceKey("dev-Cdn", "Cdn"), "weak", "dev-EdgeGlobal", "us-east-1", "AclArn", "${dev-EdgeGlobal/Acl.Arn}"
        ),
        CrossStackReference(
            ResourceKey("dev-Cdn", "Note"), "export", "dev-EdgeGlobal", "us-east-1", "AclId", "${dev-EdgeGlobal/Acl}"
        ),
    ]


def test_render_names_resources_by_logical_id():
    index = AssemblyIndex([])
    value = {
        "Fn::Join": [
            "",
            [
                "arn:",
                {"Ref": "AWS::Partition"},
                ":s3:::",
                {"Ref": "Bucket"},
                "/",
                {"Fn::Sub": "${Prefix}-${Bucket.Arn}"},
            ],
        ]
    }
    assert index.render("dev-X", value) == "arn:${AWS::Partition}:s3:::${Bucket}/${Prefix}-${Bucket.Arn}"
    assert index.render("dev-X", {"Fn::Select": [0, {"Fn::GetAZs": ""}]}) == "${Select(0, ${GetAZs()})}"
