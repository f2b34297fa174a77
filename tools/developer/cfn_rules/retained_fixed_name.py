"""E9102: a resource kept after its stack is deleted must not have a fixed name."""

from __future__ import annotations

import json
from typing import Any, ClassVar

from cfnlint.rules import CloudFormationLintRule, RuleMatch
from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

# Names that must be unique but are not the type's primary identifier.
UNIQUE_NAMES = {"AWS::SecretsManager::Secret": "Name"}
RETAINED = ("Retain", "RetainExceptOnCreate")


class RetainedFixedName(CloudFormationLintRule):  # type: ignore[misc]
    id = "E9102"
    shortdesc = "Retained resources have names unique to their stack"
    description = (
        "A resource with DeletionPolicy Retain outlives its stack; if its name is fixed, creating the stack "
        "again fails ('already exists'). Its name must include part of AWS::StackId, or be left to CloudFormation."
    )
    source_url = "https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-name.html"
    tags: ClassVar[list[str]] = ["resources", "deletionpolicy", "showrunner"]

    def match(self, cfn: Any) -> list[RuleMatch]:
        resources: dict[str, Any] = cfn.template.get("Resources", {})
        matches = []
        for logical_id, resource in resources.items():
            if resource.get("DeletionPolicy") not in RETAINED:
                continue
            kind = resource.get("Type", "")
            properties = resource.get("Properties", {})
            for name in _name_properties(kind):
                value = properties.get(name)
                if value is None or _derived(value, resources):
                    continue
                matches.append(
                    RuleMatch(
                        ["Resources", logical_id, "Properties", name],
                        f"{logical_id} ({kind}) is retained after its stack is deleted, and its {name} "
                        f"{json.dumps(value)} does not change with the stack: creating the stack again would fail "
                        "with 'already exists' (include part of AWS::StackId, or leave the name to CloudFormation)",
                    )
                )
        return matches


def _name_properties(kind: str) -> list[str]:
    """The writable properties that identify a resource of ``kind`` (its primary identifier), plus known names."""
    try:
        schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", kind).schema
    except Exception:
        return [UNIQUE_NAMES[kind]] if kind in UNIQUE_NAMES else []
    read_only = set(schema.get("readOnlyProperties", []))
    found = [p.split("/")[-1] for p in schema.get("primaryIdentifier", []) if p not in read_only]
    return [*found, *([UNIQUE_NAMES[kind]] if kind in UNIQUE_NAMES else [])]


def _derived(value: Any, resources: dict[str, Any]) -> bool:
    """A value that changes when the stack is created again: it uses AWS::StackId, or names another resource."""
    text = json.dumps(value)
    if "AWS::StackId" in text:
        return True
    if isinstance(value, dict):
        target = value.get("Ref") or (value.get("Fn::GetAtt") or [None])[0]
        return target in resources
    return False
