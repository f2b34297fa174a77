"""CDK's own resource types: metadata, and the Lambda-backed custom resources.

Each custom resource does what its CDK provider Lambda would do, through the
AWS API in-process, without invoking Lambda (moto would need Docker for that,
and hangs without it).
"""

from __future__ import annotations

import datetime
import json
import re
from typing import Any

from botocore.exceptions import ClientError

from tools.developer.moto_models.base import (
    CreateContext,
    Emulation,
    RecordedModel,
    ResourceModel,
    aws_client,
    register,
)

AUTO_DELETE_TAG = "aws-cdk:auto-delete-objects"


@register("AWS::CDK::Metadata", Emulation.RECORDED)
class CdkMetadata(RecordedModel):
    """Library versions CDK reports to CloudFormation; there is nothing to create."""


def empty_bucket(region: str, bucket: str) -> int:
    """Delete every object version and delete marker; return how many were deleted."""
    s3 = aws_client("s3", region)
    deleted = 0
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        objects = [
            {"Key": item["Key"], "VersionId": item["VersionId"]}
            for item in page.get("Versions", []) + page.get("DeleteMarkers", [])
        ]
        if objects:
            s3.delete_objects(Bucket=bucket, Delete={"Objects": objects, "Quiet": True})
            deleted += len(objects)
    return deleted


@register("Custom::S3AutoDeleteObjects", Emulation.EMULATED)
class S3AutoDeleteObjects(ResourceModel):
    """On delete, empties the bucket if it still carries CDK's auto-delete tag (as CDK's handler does)."""

    def destroy(self) -> None:
        s3 = aws_client("s3", self.region_name)
        bucket = self.properties["BucketName"]
        try:
            tags = s3.get_bucket_tagging(Bucket=bucket)["TagSet"]
        except ClientError as error:
            if error.response["Error"]["Code"] in ("NoSuchBucket", "NoSuchTagSet"):
                return
            raise
        if {"Key": AUTO_DELETE_TAG, "Value": "true"} in tags:
            empty_bucket(self.region_name, bucket)


def _default_sg_rules(group_id: str, account: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    ingress = [{"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": group_id, "UserId": account}]}]
    egress = [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
    return ingress, egress


@register("Custom::VpcRestrictDefaultSG", Emulation.EMULATED)
class VpcRestrictDefaultSecurityGroup(ResourceModel):
    """Removes the default security group's rules on create and restores them on delete."""

    @classmethod
    def create(cls, ctx: CreateContext, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        group_id = props["DefaultSecurityGroupId"]
        ingress, egress = _default_sg_rules(group_id, props.get("Account", ctx.account_id))
        ec2 = ctx.client("ec2")
        for revoke, rules in (
            (ec2.revoke_security_group_ingress, ingress),
            (ec2.revoke_security_group_egress, egress),
        ):
            try:
                revoke(GroupId=group_id, IpPermissions=rules)
            except ClientError as error:
                # CDK's handler ignores a rule that is already gone (moto's default group has no ingress rule).
                if error.response["Error"]["Code"] != "InvalidPermission.NotFound":
                    raise
        return group_id, {}

    def destroy(self) -> None:
        group_id = self.properties["DefaultSecurityGroupId"]
        ingress, egress = _default_sg_rules(group_id, self.properties.get("Account", self.account_id))
        ec2 = aws_client("ec2", self.region_name)
        try:
            ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=ingress)
            ec2.authorize_security_group_egress(GroupId=group_id, IpPermissions=egress)
        except ClientError as error:
            if error.response["Error"]["Code"] != "InvalidGroup.NotFound":
                raise


@register("Custom::CrossRegionExportWriter", Emulation.EMULATED)
class CrossRegionExportWriter(ResourceModel):
    """Writes each export as an SSM parameter in the consuming stack's region."""

    @classmethod
    def create(cls, ctx: CreateContext, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        writer = props["WriterProps"]
        ssm = ctx.client("ssm", writer["region"])
        for name, value in writer["exports"].items():
            ssm.put_parameter(Name=name, Value=str(value), Type="String", Overwrite=False)
        return ctx.name, {}

    def destroy(self) -> None:
        writer = self.properties["WriterProps"]
        names = list(writer["exports"])
        ssm = aws_client("ssm", writer["region"])
        for start in range(0, len(names), 10):
            ssm.delete_parameters(Names=names[start : start + 10])


@register("Custom::CrossRegionExportReader", Emulation.EMULATED)
class CrossRegionExportReader(ResourceModel):
    """Reads the exports written for this stack; ``Fn::GetAtt`` by parameter name gives the value."""

    @classmethod
    def create(cls, ctx: CreateContext, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        reader = props["ReaderProps"]
        ssm = ctx.client("ssm", reader.get("region", ctx.region))
        values: dict[str, Any] = {}
        for page in ssm.get_paginator("get_parameters_by_path").paginate(Path=reader["prefix"], Recursive=True):
            values.update({p["Name"]: p["Value"] for p in page["Parameters"]})
        missing = sorted(set(reader.get("imports", {})) - set(values))
        if missing:
            raise ValueError(f"{ctx.logical_id}: cross-region exports not found in SSM: {missing}")
        return ctx.name, values


def _boto3_service(service: str) -> str:
    """An SDK service name as CDK's AwsCustomResource takes it ("SSM", "@aws-sdk/client-ssm") -> boto3's."""
    import boto3

    name = service.removeprefix("@aws-sdk/client-").lower().replace("-", "")
    aliases = {
        "cloudwatchlogs": "logs",
        "cognitoidentityserviceprovider": "cognito-idp",
        "cognitoidentityprovider": "cognito-idp",
        "elasticloadbalancingv2": "elbv2",
        "sfn": "stepfunctions",
        "kinesisfirehose": "firehose",
        "iotdataplane": "iot-data",
    }
    if name in aliases:
        return aliases[name]
    for available in boto3.session.Session().get_available_services():
        if available.replace("-", "") == name:
            return available
    raise ValueError(f"AwsCustomResource: unknown service {service!r}")


def _snake(action: str) -> str:
    action = action.removesuffix("Command")
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", action).lower()


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        items: list[tuple[str, Any]] = list(value.items())
    elif isinstance(value, list):
        items = [(str(i), v) for i, v in enumerate(value)]
    else:
        if isinstance(value, datetime.datetime):
            value = value.isoformat()
        return {prefix: value}
    flat: dict[str, Any] = {}
    for key, child in items:
        flat.update(_flatten(child, f"{prefix}.{key}" if prefix else str(key)))
    return flat


@register("Custom::AWS", Emulation.EMULATED)
class AwsCustomResource(ResourceModel):
    """CDK's ``AwsCustomResource``: makes the declared SDK call (``Create``, ``Delete``) against moto."""

    @staticmethod
    def _call(spec_json: str, default_region: str) -> dict[str, Any]:
        spec = json.loads(spec_json)
        client = aws_client(_boto3_service(spec["service"]), spec.get("region") or default_region)
        try:
            response = getattr(client, _snake(spec["action"]))(**spec.get("parameters", {}))
        except ClientError as error:
            pattern = spec.get("ignoreErrorCodesMatching")
            if pattern and re.fullmatch(pattern, error.response["Error"]["Code"]):
                return {}
            raise
        response.pop("ResponseMetadata", None)
        flat = _flatten(response)
        paths = spec.get("outputPaths") or ([spec["outputPath"]] if "outputPath" in spec else None)
        if paths:
            flat = {k: v for k, v in flat.items() if any(k.startswith(p) for p in paths)}
        physical = spec.get("physicalResourceId", {})
        flat["__physical__"] = physical.get("id") or flat.get(physical.get("responsePath", ""), "")
        return flat

    @classmethod
    def create(cls, ctx: CreateContext, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        call = props.get("Create") or props.get("Update")
        if not call:
            return ctx.name, {}
        data = cls._call(call, ctx.region)
        return str(data.pop("__physical__") or ctx.name), data

    def destroy(self) -> None:
        if self.properties.get("Delete"):
            self._call(self.properties["Delete"], self.region_name)
