"""MediaConvert (recorded only: moto has no MediaConvert) and DynamoDB global tables (on moto's DynamoDB)."""

from __future__ import annotations

from typing import Any

from tools.developer.moto_models.base import (
    CreateContext,
    Emulation,
    RecordedModel,
    ResourceModel,
    aws_client,
    compact,
    register,
)


class _MediaConvertResource(RecordedModel):
    """A named MediaConvert resource: ``Ref`` and ``Fn::GetAtt Name`` give its name, ``Arn`` its ARN.

    The properties are kept as resolved (``SettingsJson`` included), which is what the local
    transcoder (tools/developer/mediaconvert) reads a job template from.
    """

    NAME_PROPERTY = "Name"
    ARN_RESOURCE = ""

    @classmethod
    def create(cls, ctx: CreateContext, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        name = str(props.get("Name") or f"{ctx.logical_id}-{ctx.random_id()}")
        return name, {"Name": name, "Arn": ctx.arn("mediaconvert", f"{cls.ARN_RESOURCE}/{name}")}


@register("AWS::MediaConvert::Queue", Emulation.RECORDED)
class Queue(_MediaConvertResource):
    ARN_RESOURCE = "queues"


@register("AWS::MediaConvert::JobTemplate", Emulation.RECORDED)
class JobTemplate(_MediaConvertResource):
    ARN_RESOURCE = "jobTemplates"


@register("AWS::DynamoDB::GlobalTable", Emulation.EMULATED)
class GlobalTable(ResourceModel):
    """The replica in the stack's region, as a table of moto's DynamoDB (``TableV2`` synthesizes one).

    Applied: key schema, attributes, billing mode, indexes, streams, SSE with the replica's KMS key,
    point-in-time recovery, deletion protection, TTL and the replica's tags. Other regions' replicas
    are refused (none of our stacks has them).
    """

    NAME_PROPERTY = "TableName"

    @classmethod
    def create(cls, ctx: CreateContext, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        replicas = props.get("Replicas", [])
        if [r["Region"] for r in replicas] != [ctx.region]:
            raise ValueError(f"only a replica in the stack's region {ctx.region} is modelled, got {replicas}")
        (replica,) = replicas
        name = str(props.get("TableName") or f"{ctx.logical_id}-{ctx.random_id()}")
        sse = props.get("SSESpecification", {})
        kms_key = replica.get("SSESpecification", {}).get("KMSMasterKeyId")
        indexes = [
            compact(IndexName=i["IndexName"], KeySchema=i["KeySchema"], Projection=i["Projection"])
            for i in props.get("GlobalSecondaryIndexes", [])
        ]
        dynamodb = ctx.client("dynamodb")
        table = dynamodb.create_table(
            **compact(
                TableName=name,
                AttributeDefinitions=props["AttributeDefinitions"],
                KeySchema=props["KeySchema"],
                BillingMode=props.get("BillingMode", "PROVISIONED"),
                GlobalSecondaryIndexes=indexes or None,
                StreamSpecification=(
                    {"StreamEnabled": True, "StreamViewType": props["StreamSpecification"]["StreamViewType"]}
                    if "StreamSpecification" in props
                    else None
                ),
                SSESpecification=(
                    compact(Enabled=True, SSEType=sse.get("SSEType", "KMS"), KMSMasterKeyId=kms_key)
                    if sse.get("SSEEnabled")
                    else None
                ),
                DeletionProtectionEnabled=bool(replica.get("DeletionProtectionEnabled", False)),
                Tags=replica.get("Tags") or None,
            )
        )["TableDescription"]
        if replica.get("PointInTimeRecoverySpecification", {}).get("PointInTimeRecoveryEnabled"):
            dynamodb.update_continuous_backups(
                TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
            )
        ttl = props.get("TimeToLiveSpecification")
        if ttl and ttl.get("Enabled"):
            dynamodb.update_time_to_live(
                TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["AttributeName"]}
            )
        return name, {
            "Arn": table["TableArn"],
            "TableId": table.get("TableId", name),
            "StreamArn": table.get("LatestStreamArn", ""),
        }

    def destroy(self) -> None:
        # CloudFormation cannot delete a table with deletion protection on: neither can this.
        aws_client("dynamodb", self.region_name).delete_table(TableName=self.physical_id)
