"""S3: the bucket properties moto's own model ignores, and bucket policies."""

from __future__ import annotations

import json
import re
from typing import Any

from moto.s3.models import FakeBucket

from tools.developer.moto_models.base import CreateContext, Emulation, ResourceModel, aws_client, compact, register


def _lifecycle_rule(rule: dict[str, Any]) -> dict[str, Any]:
    """CloudFormation's LifecycleConfiguration rule shape -> the S3 API's."""
    api: dict[str, Any] = {"ID": rule.get("Id", ""), "Status": rule["Status"]}
    api["Filter"] = {"Prefix": rule.get("Prefix", "")}
    if "ExpirationInDays" in rule:
        api["Expiration"] = {"Days": int(rule["ExpirationInDays"])}
    if "ExpiredObjectDeleteMarker" in rule:
        api["Expiration"] = {"ExpiredObjectDeleteMarker": rule["ExpiredObjectDeleteMarker"]}
    if "NoncurrentVersionExpiration" in rule:
        expiration = rule["NoncurrentVersionExpiration"]
        api["NoncurrentVersionExpiration"] = compact(
            NoncurrentDays=int(expiration["NoncurrentDays"]),
            NewerNoncurrentVersions=expiration.get("NewerNoncurrentVersions"),
        )
    if "Transitions" in rule:
        api["Transitions"] = [
            {"Days": int(t["TransitionInDays"]), "StorageClass": t["StorageClass"]} for t in rule["Transitions"]
        ]
    if "AbortIncompleteMultipartUpload" in rule:
        api["AbortIncompleteMultipartUpload"] = {
            "DaysAfterInitiation": int(rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"])
        }
    return api


def _replication(config: dict[str, Any]) -> dict[str, Any]:
    rules = []
    for rule in config["Rules"]:
        api = {("ID" if key == "Id" else key): value for key, value in rule.items()}
        rules.append(api)
    return {"Role": config["Role"], "Rules": rules}


@register("AWS::S3::Bucket", Emulation.NATIVE)
class Bucket(FakeBucket):
    """moto's bucket, plus the properties its CloudFormation model drops.

    moto applies ``BucketEncryption`` and ``Tags`` only; this also applies
    public access block, versioning, lifecycle, access logging, object
    ownership, replication, EventBridge notifications and CORS, through the S3 API.
    """

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> FakeBucket:
        bucket = FakeBucket.create_from_cloudformation_json(
            resource_name, cloudformation_json, account_id, region_name, **kwargs
        )
        props = cloudformation_json.get("Properties", {})
        s3 = aws_client("s3", region_name)
        name = bucket.name
        if "PublicAccessBlockConfiguration" in props:
            s3.put_public_access_block(
                Bucket=name, PublicAccessBlockConfiguration=props["PublicAccessBlockConfiguration"]
            )
        if "VersioningConfiguration" in props:
            s3.put_bucket_versioning(Bucket=name, VersioningConfiguration=props["VersioningConfiguration"])
        if "OwnershipControls" in props:
            s3.put_bucket_ownership_controls(Bucket=name, OwnershipControls=props["OwnershipControls"])
        if "LifecycleConfiguration" in props:
            rules = [_lifecycle_rule(rule) for rule in props["LifecycleConfiguration"]["Rules"]]
            s3.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={"Rules": rules})
        if "LoggingConfiguration" in props:
            # Set on the bucket directly: moto's PutBucketLogging insists that the target bucket's
            # policy already grants the logging service, but CloudFormation creates that policy in
            # parallel with this bucket (real S3 does not check it here). The topology tests replay
            # PutBucketLogging after deployment, when moto's check is meaningful.
            logging = props["LoggingConfiguration"]
            target = logging.get("DestinationBucketName", name)
            s3.head_bucket(Bucket=target)
            bucket.logging = {"TargetBucket": target, "TargetPrefix": logging.get("LogFilePrefix", "")}
        if "ReplicationConfiguration" in props:
            s3.put_bucket_replication(
                Bucket=name, ReplicationConfiguration=_replication(props["ReplicationConfiguration"])
            )
        notifications = props.get("NotificationConfiguration", {})
        if notifications.get("EventBridgeConfiguration", {}).get("EventBridgeEnabled"):
            s3.put_bucket_notification_configuration(
                Bucket=name, NotificationConfiguration={"EventBridgeConfiguration": {}}
            )
        elif notifications:
            raise NotImplementedError(
                f"bucket {name}: only EventBridge notifications are modelled, got {notifications}"
            )
        if "CorsConfiguration" in props:
            rules = [
                {("ID" if key == "Id" else key): value for key, value in rule.items()}
                for rule in props["CorsConfiguration"]["CorsRules"]
            ]
            s3.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": rules})
        return bucket

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str
    ) -> None:
        # moto's delete_bucket quietly keeps a bucket that still has objects; CloudFormation fails.
        from moto.s3.models import s3_backends

        s3 = aws_client("s3", region_name)
        # A bucket being deleted stops logging first. (moto writes access logs at once, S3 minutes
        # later: logging our own DeleteBucket would refill a logs bucket that was just emptied.)
        bucket = s3_backends[account_id]["aws"].buckets.get(resource_name)
        if bucket is not None:
            bucket.logging = {}
        versions = s3.list_object_versions(Bucket=resource_name, MaxKeys=1)
        if versions.get("Versions") or versions.get("DeleteMarkers"):
            raise BucketNotEmptyError(f"bucket {resource_name} is not empty, so it cannot be deleted")
        s3.delete_bucket(Bucket=resource_name)


class BucketNotEmptyError(Exception):
    pass


@register("AWS::S3::BucketPolicy", Emulation.EMULATED)
class BucketPolicy(ResourceModel):
    @classmethod
    def create(cls, ctx: CreateContext, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        ctx.client("s3").put_bucket_policy(Bucket=props["Bucket"], Policy=json.dumps(props["PolicyDocument"]))
        return ctx.name, {}

    def destroy(self) -> None:
        s3 = aws_client("s3", self.region_name)
        bucket = self.properties["Bucket"]
        if bucket in {b["Name"] for b in s3.list_buckets()["Buckets"]}:
            s3.delete_bucket_policy(Bucket=bucket)


# Request context of every request moto serves: clients reach AWS over TLS 1.2 or later.
# (A local moto_server endpoint is plain HTTP, but it stands for the HTTPS endpoint of S3.)
REQUEST_CONTEXT = {"aws:securetransport": "true", "s3:tlsversion": "1.3"}


def condition_holds(operator: str, key: str, expected: Any, context: dict[str, str] = REQUEST_CONTEXT) -> bool:
    """IAM semantics for one condition key: a missing key fails, unless the operator ends in IfExists.

    ``context`` maps lower-case condition keys to the request's values (tests/iam passes each request's own).
    """
    if_exists = operator.endswith("IfExists")
    operator = operator.removesuffix("IfExists")
    values = expected if isinstance(expected, list) else [expected]
    actual = context.get(key.lower())
    if operator == "Null":
        return (actual is None) == (str(values[0]).lower() == "true")
    if actual is None:
        return if_exists
    if operator == "Bool":
        return any(actual == str(v).lower() for v in values)
    if operator.startswith("Numeric"):
        comparisons = {
            "NumericEquals": float.__eq__,
            "NumericNotEquals": float.__ne__,
            "NumericLessThan": float.__lt__,
            "NumericLessThanEquals": float.__le__,
            "NumericGreaterThan": float.__gt__,
            "NumericGreaterThanEquals": float.__ge__,
        }
        return any(comparisons[operator](float(actual), float(v)) for v in values)
    if operator == "StringEquals":
        return actual in values
    if operator == "StringNotEquals":
        return actual not in values
    if operator == "StringLike":
        return any(_like(str(v), actual) for v in values)
    if operator == "StringNotLike":
        return not any(_like(str(v), actual) for v in values)
    return False  # an operator on a key we have no value for: the statement does not apply


def _like(pattern: str, value: str) -> bool:
    """IAM's string wildcards: ``*`` any run of characters, ``?`` one; everything else literal, case-sensitive."""
    regex = "".join({"*": ".*", "?": "."}.get(char, re.escape(char)) for char in pattern)
    return re.fullmatch(regex, value, re.DOTALL) is not None


def _statement_applies(statement: dict[str, Any]) -> bool:
    return all(
        condition_holds(operator, key, expected)
        for operator, keys in statement.get("Condition", {}).items()
        for key, expected in keys.items()
    )


def _get_permission(self: FakeBucket, action: str, resource: str) -> Any:
    """moto's bucket policy check, evaluating Conditions instead of ignoring them.

    moto applies every statement as if its condition held, so the usual
    ``Deny s3:* when aws:SecureTransport is false`` denies every request. Here a
    statement whose condition does not hold in ``REQUEST_CONTEXT`` is left out.
    """
    from moto.iam.access_control import IAMPolicy, PermissionResult

    if self.policy is None:
        return PermissionResult.NEUTRAL
    policy = json.loads(self.policy)
    statements = policy.get("Statement", [])
    statements = statements if isinstance(statements, list) else [statements]
    applicable = [{k: v for k, v in s.items() if k != "Condition"} for s in statements if _statement_applies(s)]
    return IAMPolicy(json.dumps({**policy, "Statement": applicable})).is_action_permitted(action, resource)


def install_bucket_policy_conditions() -> None:
    FakeBucket.get_permission = _get_permission  # type: ignore[method-assign]
