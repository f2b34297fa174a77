"""Data safety: what a stack deletion (``cdk destroy``) or a replacement keeps and what it destroys."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tools.developer.review.intrinsics import AssemblyIndex, ResourceKey

# Resource types that hold data, and what is lost with them. Add a row for each new stateful type.
STATEFUL_TYPES: dict[str, str] = {
    "AWS::S3::Bucket": "objects",
    "AWS::KMS::Key": "key material; data encrypted under it becomes unreadable",
    "AWS::Logs::LogGroup": "log events",
    "AWS::Cognito::UserPool": "user accounts",
    "AWS::Kinesis::Stream": "records still in retention",
    "AWS::SecretsManager::Secret": "the secret value",
    "AWS::DynamoDB::Table": "items",
    "AWS::DynamoDB::GlobalTable": "items",
    "AWS::RDS::DBInstance": "database",
    "AWS::RDS::DBCluster": "database",
    "AWS::EC2::Volume": "volume data",
    "AWS::EFS::FileSystem": "files",
    "AWS::ECR::Repository": "images",
    "AWS::SQS::Queue": "messages",
    "AWS::Backup::BackupVault": "recovery points",
    "AWS::OpenSearchService::Domain": "indexes",
}
# Types that cannot outlive the resource they belong to: a Retain policy on one keeps it only until
# its parent goes (SecureBucket retains every bucket policy so its write-deny outlives the emptying).
DEPENDENT_TYPES = frozenset({"AWS::S3::BucketPolicy"})
# CloudFormation's default DeletionPolicy is Delete, except for these.
_DEFAULT_POLICY = {"AWS::RDS::DBCluster": "Snapshot", "AWS::RDS::DBInstance": "Snapshot"}
AUTO_DELETE_OBJECTS = "Custom::S3AutoDeleteObjects"


@dataclass(frozen=True)
class SafetyRow:
    key: ResourceKey
    resource_type: str
    on_delete: str  # Retain, Delete, Snapshot, RetainExceptOnCreate
    on_replace: str
    holds: str
    notes: tuple[str, ...]

    @property
    def retained(self) -> bool:
        return self.on_delete in ("Retain", "Snapshot", "RetainExceptOnCreate")


def _notes(resource_type: str, props: dict[str, Any], emptied: bool) -> list[str]:
    notes = []
    if emptied:
        notes.append("emptied first (auto-delete-objects)")
    if resource_type == "AWS::KMS::Key" and "PendingWindowInDays" in props:
        notes.append(f"deletion waits {props['PendingWindowInDays']} days")
    if resource_type == "AWS::Cognito::UserPool" and props.get("DeletionProtection") == "ACTIVE":
        notes.append("deletion protection on")
    if resource_type == "AWS::Logs::LogGroup" and "RetentionInDays" in props:
        notes.append(f"kept {props['RetentionInDays']} days")
    if resource_type == "AWS::S3::Bucket" and props.get("VersioningConfiguration", {}).get("Status") == "Enabled":
        notes.append("versioned")
    if resource_type in ("AWS::DynamoDB::Table", "AWS::RDS::DBInstance", "AWS::RDS::DBCluster") and props.get(
        "DeletionProtectionEnabled", props.get("DeletionProtection")
    ):
        notes.append("deletion protection on")
    return notes


def safety_rows(index: AssemblyIndex, stack: str) -> list[SafetyRow]:
    """Stateful resources, and any resource with a non-default deletion policy, in template order."""
    resources = index.stacks[stack].resources
    emptied = {
        ref.target
        for resource in resources.values()
        if resource.get("Type") == AUTO_DELETE_OBJECTS
        for ref in index.references(stack, resource.get("Properties", {}).get("BucketName"))
    }
    rows = []
    for logical_id, resource in resources.items():
        resource_type = resource.get("Type", "")
        default = _DEFAULT_POLICY.get(resource_type, "Delete")
        on_delete = resource.get("DeletionPolicy", default)
        if resource_type in DEPENDENT_TYPES or (resource_type not in STATEFUL_TYPES and on_delete == default):
            continue
        key = ResourceKey(stack, logical_id)
        rows.append(
            SafetyRow(
                key=key,
                resource_type=resource_type,
                on_delete=on_delete,
                on_replace=resource.get("UpdateReplacePolicy", default),
                holds=STATEFUL_TYPES.get(resource_type, "no data (kept on purpose)"),
                notes=tuple(_notes(resource_type, resource.get("Properties", {}), key in emptied)),
            )
        )
    return rows
