"""Every IAM role in a stack: who may assume it and, readably, what it may do.

Permissions come from the role's inline ``Policies``, from ``AWS::IAM::Policy``
and ``AWS::IAM::ManagedPolicy`` resources attached to it (in any stack of the
assembly), and from ``ManagedPolicyArns``. Actions are grouped by service;
resources are named by logical ID. Wildcard actions and resources, ``NotAction``
/ ``NotResource`` and AWS managed policies are flagged.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from tools.developer.review.intrinsics import AssemblyIndex, ResourceKey

ROLE = "AWS::IAM::Role"
POLICY = "AWS::IAM::Policy"
MANAGED_POLICY = "AWS::IAM::ManagedPolicy"
_TOKEN = re.compile(r"\$\{[^}]*\}")
_AWS_MANAGED = re.compile(r":iam::aws:policy/(.+)$")

FLAG_ACTION_WILDCARD = "action wildcard"
FLAG_RESOURCE_STAR = 'resource "*"'
FLAG_RESOURCE_PATTERN = "resource pattern"
FLAG_NOT_ACTION = "NotAction"
FLAG_NOT_RESOURCE = "NotResource"
FLAG_AWS_MANAGED = "AWS managed policy"


@dataclass(frozen=True)
class Permission:
    """Actions of one service, from one statement."""

    effect: str
    service: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    condition: str
    source: str  # the policy the statement came from
    flags: tuple[str, ...]


@dataclass
class RoleSummary:
    key: ResourceKey
    path: str
    trust: list[str]
    managed_policies: list[str] = field(default_factory=list)
    permissions: list[Permission] = field(default_factory=list)

    @property
    def flags(self) -> list[str]:
        found = {flag for permission in self.permissions for flag in permission.flags}
        if any(policy.startswith("AWS managed: ") for policy in self.managed_policies):
            found.add(FLAG_AWS_MANAGED)
        return sorted(found)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _principals(statement: dict[str, Any], index: AssemblyIndex, stack: str) -> list[str]:
    principal = statement.get("Principal", {})
    if principal == "*":
        return ["anyone (*)"]
    described = []
    for kind, values in sorted(principal.items()):
        for value in _as_list(values):
            described.append(f"{kind}: {index.render(stack, value)}")
    condition = statement.get("Condition")
    actions = ", ".join(str(a) for a in _as_list(statement.get("Action", [])))
    suffix = f" ({actions}" + (f"; if {_condition(condition, index, stack)})" if condition else ")")
    return [d + suffix for d in described]


def _condition(condition: Any, index: AssemblyIndex, stack: str) -> str:
    if not condition:
        return ""
    parts = []
    for operator, tests in sorted(condition.items()):
        for key, value in sorted(tests.items()):
            parts.append(f"{operator} {key} = {index.render(stack, value)}")
    return "; ".join(parts)


def _resource_flags(resources: Iterable[str]) -> list[str]:
    flags = []
    for resource in resources:
        literal = _TOKEN.sub("", resource)
        if resource == "*":
            flags.append(FLAG_RESOURCE_STAR)
        elif "*" in literal:
            flags.append(FLAG_RESOURCE_PATTERN)
    return flags


def permissions_of(document: dict[str, Any], source: str, index: AssemblyIndex, stack: str) -> list[Permission]:
    """One ``Permission`` per (statement, service): actions grouped by service, resources rendered."""
    found = []
    for statement in _as_list(document.get("Statement", [])):
        effect = statement.get("Effect", "Allow")
        negated_action = "NotAction" in statement
        actions = [str(a) for a in _as_list(statement.get("NotAction" if negated_action else "Action", []))]
        negated_resource = "NotResource" in statement
        resources = tuple(
            index.render(stack, r)
            for r in _as_list(statement.get("NotResource" if negated_resource else "Resource", []))
        )
        condition = _condition(statement.get("Condition"), index, stack)
        by_service: dict[str, list[str]] = {}
        for action in actions:
            service, _, name = action.partition(":") if action != "*" else ("*", "", "*")
            by_service.setdefault(service, []).append(name or "*")
        for service, names in sorted(by_service.items()):
            flags = []
            if any("*" in name for name in names):
                flags.append(FLAG_ACTION_WILDCARD)
            flags.extend(_resource_flags(resources))
            if negated_action:
                flags.append(FLAG_NOT_ACTION)
            if negated_resource:
                flags.append(FLAG_NOT_RESOURCE)
            if effect == "Deny":
                flags = [f for f in flags if f in (FLAG_NOT_ACTION, FLAG_NOT_RESOURCE)]  # a broad Deny is not a risk
            found.append(
                Permission(
                    effect=effect,
                    service=service,
                    actions=tuple(sorted(set(names))),
                    resources=resources,
                    condition=condition,
                    source=source,
                    flags=tuple(dict.fromkeys(flags)),
                )
            )
    return found


def _attached_roles(index: AssemblyIndex, stack: str, resource: dict[str, Any]) -> set[ResourceKey]:
    roles = resource.get("Properties", {}).get("Roles", [])
    return {ref.target for ref in index.references(stack, roles) if ref.attribute is None}


def summarize_roles(index: AssemblyIndex, stack: str) -> list[RoleSummary]:
    """A summary of every ``AWS::IAM::Role`` in ``stack``, in template order."""
    resources = index.stacks[stack].resources
    summaries: dict[ResourceKey, RoleSummary] = {}
    for logical_id, resource in resources.items():
        if resource.get("Type") != ROLE:
            continue
        key = ResourceKey(stack, logical_id)
        props = resource.get("Properties", {})
        trust = [
            principal
            for statement in _as_list(props.get("AssumeRolePolicyDocument", {}).get("Statement", []))
            for principal in _principals(statement, index, stack)
        ]
        summary = RoleSummary(key, resource.get("Metadata", {}).get("aws:cdk:path", logical_id), trust)
        for policy in _as_list(props.get("Policies", [])):
            name = index.render(stack, policy.get("PolicyName", "inline"))
            summary.permissions.extend(permissions_of(policy.get("PolicyDocument", {}), f"inline {name}", index, stack))
        for arn in _as_list(props.get("ManagedPolicyArns", [])):
            targets = [r.target for r in index.references(stack, arn)]
            managed = next((t for t in targets if (index.resource(t) or {}).get("Type") == MANAGED_POLICY), None)
            if managed is not None:
                continue  # described below, with the managed policies that name this role
            rendered = index.render(stack, arn)
            aws_managed = _AWS_MANAGED.search(rendered)
            summary.managed_policies.append(f"AWS managed: {aws_managed.group(1)}" if aws_managed else rendered)
        summaries[key] = summary

    # Policies anywhere in the assembly that attach to these roles.
    for other in index.stacks:
        for logical_id, resource in index.stacks[other].resources.items():
            kind = resource.get("Type")
            if kind not in (POLICY, MANAGED_POLICY):
                continue
            props = resource.get("Properties", {})
            attached = _attached_roles(index, other, resource)
            if kind == MANAGED_POLICY:
                attached |= {
                    role_key
                    for role_key, role in summaries.items()
                    if any(
                        r.target == ResourceKey(other, logical_id)
                        for r in index.references(
                            stack, (index.resource(role_key) or {}).get("Properties", {}).get("ManagedPolicyArns", [])
                        )
                    )
                }
            label = "managed policy" if kind == MANAGED_POLICY else "policy"
            source = f"{label} {logical_id}" if other == stack else f"{label} {other}/{logical_id}"
            for role_key in attached & summaries.keys():
                summaries[role_key].permissions.extend(
                    permissions_of(props.get("PolicyDocument", {}), source, index, other)
                )
    return list(summaries.values())
