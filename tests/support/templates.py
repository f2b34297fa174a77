"""Small readers for synthesized templates."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stacks.base_stack import ShowrunnerStack
from stacks.compliance import EVERY_STACK_CHECKOV_SKIPS, Ack
from stacks.stage import ShowrunnerStage


def resources_of_type(template: Mapping[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template.get("Resources", {}).items() if v["Type"] == resource_type}


def logical_id_by_path(template: Mapping[str, Any], path_suffix: str) -> str:
    """The logical ID of the one resource whose ``aws:cdk:path`` ends with ``path_suffix``."""
    found: list[str] = [
        logical_id
        for logical_id, resource in template.get("Resources", {}).items()
        if resource.get("Metadata", {}).get("aws:cdk:path", "").endswith(path_suffix)
    ]
    assert len(found) == 1, f"expected one resource at */{path_suffix}, found {found}"
    return found[0]


def tag_value(resource: dict[str, Any], key: str) -> str | None:
    for tag in resource.get("Properties", {}).get("Tags", []):
        if tag["Key"] == key:
            value: str = tag["Value"]
            return value
    return None


def stack_classes() -> list[type[ShowrunnerStack]]:
    """Every stack class of the app (importing the stage imports them all)."""
    assert ShowrunnerStage is not None
    return ShowrunnerStack.__subclasses__()


def declared_checkov_skips() -> list[Ack]:
    """Every checkov skip the app declares: those of every stack, and each stack's own."""
    return [*EVERY_STACK_CHECKOV_SKIPS, *(skip for cls in stack_classes() for skip in cls.checkov_skips)]


# What EnvironmentProps.physical_name appends where data is retained: the last group of the stack's ID.
STACK_UNIQUE = {
    "Fn::Select": [4, {"Fn::Split": ["-", {"Fn::Select": [2, {"Fn::Split": ["/", {"Ref": "AWS::StackId"}]}]}]}]
}


def physical_name(name: Any, retained: bool) -> Any:
    """The rendered name of a resource named ``name`` (stacks/constructs/props.py, physical_name)."""
    return {"Fn::Join": ["-", [name, STACK_UNIQUE]]} if retained else name


REPLICA_BUCKET = {
    "Fn::GetStackOutput": {"StackName": "prod-ContentReplica", "Region": "us-west-2", "OutputName": "ReplicaBucketName"}
}
