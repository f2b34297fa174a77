"""E9101: EMR's JobFlowRole must name an instance profile the template creates, of the same name as its role."""

from __future__ import annotations

import re
from typing import Any, ClassVar

from cfnlint.rules import CloudFormationLintRule, RuleMatch

_LITERAL = re.compile(r'"JobFlowRole":"([^"]+)"')


class EmrJobFlowRole(CloudFormationLintRule):  # type: ignore[misc]
    id = "E9101"
    shortdesc = "EMR JobFlowRole names an instance profile"
    description = (
        "RunJobFlow's JobFlowRole is an EC2 instance profile name, and EMR refuses a profile whose name differs "
        "from its role's ('Invalid InstanceProfile'). A role alone has no profile: the template must create one."
    )
    source_url = "https://docs.aws.amazon.com/emr/latest/ManagementGuide/emr-iam-role-for-ec2.html"
    tags: ClassVar[list[str]] = ["resources", "emr", "showrunner"]

    def match(self, cfn: Any) -> list[RuleMatch]:
        resources: dict[str, Any] = cfn.template.get("Resources", {})
        profiles = {
            logical_id: resource.get("Properties", {})
            for logical_id, resource in resources.items()
            if resource.get("Type") == "AWS::IAM::InstanceProfile"
        }
        matches = []
        for logical_id, resource in resources.items():
            kind = resource.get("Type")
            if kind == "AWS::EMR::Cluster":
                values = [resource.get("Properties", {}).get("JobFlowRole")]
                path = ["Resources", logical_id, "Properties", "JobFlowRole"]
            elif kind == "AWS::StepFunctions::StateMachine":
                values = _job_flow_roles(resource.get("Properties", {}).get("DefinitionString"))
                path = ["Resources", logical_id, "Properties", "DefinitionString"]
            else:
                continue
            for value in values:
                if not _names_a_profile(value, resources, profiles):
                    matches.append(
                        RuleMatch(
                            path,
                            f"{logical_id}: JobFlowRole {value} is not the name of an AWS::IAM::InstanceProfile "
                            "this template creates with InstanceProfileName equal to its role's name; EMR would "
                            "refuse the cluster (Invalid InstanceProfile)",
                        )
                    )
        return matches


def _job_flow_roles(definition: Any) -> list[Any]:
    """Every JobFlowRole value in a state machine definition: a literal, or the intrinsic that follows it."""
    parts = definition["Fn::Join"][1] if isinstance(definition, dict) and "Fn::Join" in definition else [definition]
    found: list[Any] = []
    for index, part in enumerate(parts):
        if not isinstance(part, str):
            continue
        found += _LITERAL.findall(part)
        if part.endswith('"JobFlowRole":"') and index + 1 < len(parts):
            found.append(parts[index + 1])
    return found


def _names_a_profile(value: Any, resources: dict[str, Any], profiles: dict[str, Any]) -> bool:
    if isinstance(value, dict) and value.get("Ref") in profiles:
        return True  # Ref of an instance profile is its name
    for profile in profiles.values():
        name, roles = profile.get("InstanceProfileName"), profile.get("Roles", [])
        if name != value:
            continue
        if isinstance(value, str):
            return True
        role = value.get("Ref") if isinstance(value, dict) else None
        if isinstance(role, str) and resources.get(role, {}).get("Type") == "AWS::IAM::Role" and {"Ref": role} in roles:
            return True
    return False
