"""moto's Kinesis stream, plus the properties its CloudFormation model drops: encryption and capacity mode."""

from __future__ import annotations

from typing import Any

from moto.kinesis.models import Stream as FakeStream
from moto.kinesis.models import kinesis_backends

from tools.developer.moto_models.base import Emulation, register


@register("AWS::Kinesis::Stream", Emulation.NATIVE)
class Stream(FakeStream):
    """moto reads only ``ShardCount``, ``RetentionPeriodHours`` and ``Tags``: a stream declared with
    ``StreamEncryption`` came up unencrypted (``EncryptionType: NONE``), and every on-demand stream
    provisioned. These are applied through the Kinesis backend, as the API would."""

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> FakeStream:
        stream = FakeStream.create_from_cloudformation_json(
            resource_name, cloudformation_json, account_id, region_name, **kwargs
        )
        props = cloudformation_json.get("Properties", {})
        backend = kinesis_backends[account_id][region_name]
        mode = props.get("StreamModeDetails")
        if mode:
            backend.update_stream_mode(stream.arn, {"StreamMode": mode["StreamMode"]})
        encryption = props.get("StreamEncryption")
        if encryption:
            backend.start_stream_encryption(
                stream_arn=stream.arn,
                stream_name=stream.stream_name,
                encryption_type=encryption["EncryptionType"],
                key_id=encryption["KeyId"],
            )
        return stream
