"""KMS keys: moto's model fails on tagged keys (it passes CloudFormation's tag shape to KMS's tagger)."""

from __future__ import annotations

import json
from typing import Any

from tools.developer.moto_models.base import CreateContext, Emulation, ResourceModel, aws_client, compact, register


@register("AWS::KMS::Key", Emulation.EMULATED)
class KmsKey(ResourceModel):
    @classmethod
    def create(cls, ctx: CreateContext, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        kms = ctx.client("kms")
        policy = props.get("KeyPolicy")
        metadata = kms.create_key(
            **compact(
                Policy=json.dumps(policy) if isinstance(policy, dict) else policy,
                Description=props.get("Description"),
                KeyUsage=props.get("KeyUsage"),
                KeySpec=props.get("KeySpec"),
                MultiRegion=props.get("MultiRegion"),
                Origin=props.get("Origin"),
                Tags=[{"TagKey": t["Key"], "TagValue": t["Value"]} for t in props.get("Tags", [])] or None,
            )
        )["KeyMetadata"]
        key_id = metadata["KeyId"]
        if props.get("EnableKeyRotation"):
            kms.enable_key_rotation(**compact(KeyId=key_id, RotationPeriodInDays=props.get("RotationPeriodInDays")))
        if props.get("Enabled") is False:
            kms.disable_key(KeyId=key_id)
        return key_id, {"Arn": metadata["Arn"], "KeyId": key_id}

    def destroy(self) -> None:
        # As CloudFormation does: the key is scheduled for deletion, not deleted.
        aws_client("kms", self.region_name).schedule_key_deletion(
            KeyId=self.physical_id, PendingWindowInDays=int(self.properties.get("PendingWindowInDays", 30))
        )
