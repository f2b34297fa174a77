"""The emulator holds the security properties the templates declare: for every resource of these types, in every
stage, what moto answers through the service's own API equals what the template says (encryption, public access
blocks, versioning, TLS policies, log retention). A model that drops one (moto's Kinesis stream dropped
``StreamEncryption``) fails here, naming the resource and the property."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.moto.conftest import DeployedStage
from tests.support.aws import client
from tests.support.synth import Synthesized

Pairs = dict[str, tuple[Any, Any]]  # property -> (template, emulator)


def _literal_or_set(value: Any) -> Any:
    """A literal from the template, or True for an intrinsic (a reference resolved at deploy: only its presence)."""
    return value if isinstance(value, str | int | bool) or value is None else True


def _kinesis(props: dict[str, Any], physical: str, region: str) -> Pairs:
    summary = client("kinesis", region).describe_stream_summary(StreamName=physical)["StreamDescriptionSummary"]
    encryption = props.get("StreamEncryption", {})
    return {
        "StreamEncryption.EncryptionType": (encryption.get("EncryptionType", "NONE"), summary["EncryptionType"]),
        "StreamEncryption.KeyId": (_literal_or_set(encryption.get("KeyId")), summary.get("KeyId")),
        "StreamModeDetails.StreamMode": (
            props.get("StreamModeDetails", {}).get("StreamMode", "PROVISIONED"),
            summary["StreamModeDetails"]["StreamMode"],
        ),
    }


def _bucket(props: dict[str, Any], physical: str, region: str) -> Pairs:
    s3 = client("s3", region)
    rules = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    applied = s3.get_bucket_encryption(Bucket=physical)["ServerSideEncryptionConfiguration"]["Rules"]
    return {
        "BucketEncryption.SSEAlgorithm": (
            [r["ServerSideEncryptionByDefault"]["SSEAlgorithm"] for r in rules],
            [r["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] for r in applied],
        ),
        "PublicAccessBlockConfiguration": (
            props["PublicAccessBlockConfiguration"],
            s3.get_public_access_block(Bucket=physical)["PublicAccessBlockConfiguration"],
        ),
        "VersioningConfiguration.Status": (
            props.get("VersioningConfiguration", {}).get("Status"),
            s3.get_bucket_versioning(Bucket=physical).get("Status"),
        ),
    }


def _topic(props: dict[str, Any], physical: str, region: str) -> Pairs:
    attributes = client("sns", region).get_topic_attributes(TopicArn=physical)["Attributes"]
    return {"KmsMasterKeyId": (_literal_or_set(props.get("KmsMasterKeyId")), bool(attributes.get("KmsMasterKeyId")))}


def _queue(props: dict[str, Any], physical: str, region: str) -> Pairs:
    attributes = client("sqs", region).get_queue_attributes(QueueUrl=physical, AttributeNames=["All"])["Attributes"]
    return {
        "SqsManagedSseEnabled": (
            props.get("SqsManagedSseEnabled", False),
            attributes.get("SqsManagedSseEnabled") == "true",
        ),
        "KmsMasterKeyId": (_literal_or_set(props.get("KmsMasterKeyId")) or False, "KmsMasterKeyId" in attributes),
    }


def _secret(props: dict[str, Any], physical: str, region: str) -> Pairs:
    described = client("secretsmanager", region).describe_secret(SecretId=physical)
    return {"KmsKeyId": ("KmsKeyId" in props, "KmsKeyId" in described)}


def _table(props: dict[str, Any], physical: str, region: str) -> Pairs:
    described = client("dynamodb", region).describe_table(TableName=physical)["Table"]
    sse = described.get("SSEDescription", {})
    return {
        "SSESpecification.SSEEnabled": (props["SSESpecification"]["SSEEnabled"], sse.get("Status") == "ENABLED"),
        "SSESpecification.SSEType": (props["SSESpecification"].get("SSEType"), sse.get("SSEType")),
    }


def _delivery_stream(props: dict[str, Any], physical: str, region: str) -> Pairs:
    described = client("firehose", region).describe_delivery_stream(DeliveryStreamName=physical)
    encryption = described["DeliveryStreamDescription"].get("DeliveryStreamEncryptionConfiguration", {})
    declared = props.get("DeliveryStreamEncryptionConfigurationInput", {})
    return {"DeliveryStreamEncryptionConfigurationInput.KeyType": (declared.get("KeyType"), encryption.get("KeyType"))}


def _listener(props: dict[str, Any], physical: str, region: str) -> Pairs:
    (listener,) = client("elbv2", region).describe_listeners(ListenerArns=[physical])["Listeners"]
    return {
        "Protocol": (props["Protocol"], listener["Protocol"]),
        "SslPolicy": (props.get("SslPolicy"), listener.get("SslPolicy")),
    }


def _log_group(props: dict[str, Any], physical: str, region: str) -> Pairs:
    groups = client("logs", region).describe_log_groups(logGroupNamePrefix=physical)["logGroups"]
    (group,) = [g for g in groups if g["logGroupName"] == physical]
    return {
        "KmsKeyId": ("KmsKeyId" in props, "kmsKeyId" in group),
        "RetentionInDays": (props.get("RetentionInDays"), group.get("retentionInDays")),
    }


def _distribution(props: dict[str, Any], physical: str, region: str) -> Pairs:
    config = client("cloudfront", region).get_distribution_config(Id=physical)["DistributionConfig"]
    declared = props["DistributionConfig"]
    behaviors = [declared["DefaultCacheBehavior"], *declared.get("CacheBehaviors", [])]
    applied = [config["DefaultCacheBehavior"], *config.get("CacheBehaviors", {}).get("Items", [])]
    pairs: Pairs = {
        "ViewerProtocolPolicy": (
            [b["ViewerProtocolPolicy"] for b in behaviors],
            [b["ViewerProtocolPolicy"] for b in applied],
        ),
        "WebACLId": ("WebACLId" in declared, bool(config.get("WebACLId"))),
    }
    if "ViewerCertificate" in declared:  # without one, CloudFront's own certificate and its TLS policy
        pairs["ViewerCertificate.MinimumProtocolVersion"] = (
            declared["ViewerCertificate"].get("MinimumProtocolVersion"),
            config["ViewerCertificate"].get("MinimumProtocolVersion"),
        )
    return pairs


READERS: dict[str, Callable[[dict[str, Any], str, str], Pairs]] = {
    "AWS::Kinesis::Stream": _kinesis,
    "AWS::S3::Bucket": _bucket,
    "AWS::SNS::Topic": _topic,
    "AWS::SQS::Queue": _queue,
    "AWS::SecretsManager::Secret": _secret,
    "AWS::DynamoDB::GlobalTable": _table,
    "AWS::KinesisFirehose::DeliveryStream": _delivery_stream,
    "AWS::ElasticLoadBalancingV2::Listener": _listener,
    "AWS::Logs::LogGroup": _log_group,
    "AWS::CloudFront::Distribution": _distribution,
}


def test_every_security_property_declared_is_what_the_emulator_holds(deployed: DeployedStage, synthesized: Synthesized):
    mismatches, checked = [], {kind: 0 for kind in READERS}
    for stack in (s for s in synthesized.stacks if s.stage == deployed.env):
        physical = {r.logical_id: r.physical_id for r in deployed.record(stack.display_name.split("/", 1)[1]).resources}
        for logical_id, resource in stack.template["Resources"].items():
            reader = READERS.get(resource["Type"])
            if reader is None:
                continue
            checked[resource["Type"]] += 1
            for name, (declared, emulated) in reader(
                resource.get("Properties", {}), physical[logical_id], stack.region
            ).items():
                if declared != emulated:
                    mismatches.append(
                        f"{stack.stack_name}/{logical_id} {name}: template {declared!r}, moto {emulated!r}"
                    )
    assert mismatches == []
    # Every type is present in every stage (so each reader ran), and the streams are encrypted.
    assert all(checked.values()), checked
    streams = [
        r
        for s in synthesized.stacks
        if s.stage == deployed.env
        for r in s.template["Resources"].values()
        if r["Type"] == "AWS::Kinesis::Stream"
    ]
    assert streams
    assert all(r["Properties"]["StreamEncryption"]["EncryptionType"] == "KMS" for r in streams)
