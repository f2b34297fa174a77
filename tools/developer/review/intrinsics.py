"""CloudFormation intrinsics: which resources a value refers to, and how to print it for a reader.

References are followed across stacks: ``Fn::GetStackOutput`` (CDK's weak
cross-stack and cross-region references) and ``Fn::ImportValue`` (exports)
resolve to the producing stack's output value, so a resource in another stack
is named by its stack and logical ID, never by an unreadable token.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from tools.developer.assembly import StackArtifact

_SUB_VARIABLE = re.compile(r"\$\{([^}!][^}]*)\}")


@dataclass(frozen=True, order=True)
class ResourceKey:
    stack: str  # stack name, e.g. dev-Storage
    logical_id: str


@dataclass(frozen=True)
class Reference:
    target: ResourceKey
    attribute: str | None  # None for Ref
    property_path: str  # where in the referring resource, e.g. Properties.LoggingConfiguration.DestinationBucketName


@dataclass(frozen=True)
class CrossStackReference:
    consumer: ResourceKey | None  # None when an output of the consumer stack refers to the producer
    kind: str  # "weak" (Fn::GetStackOutput) or "export" (Fn::ImportValue)
    producer_stack: str
    producer_region: str
    output_name: str
    value: str  # the producer's value, rendered


class AssemblyIndex:
    """All stacks of one assembly, to resolve references between them."""

    def __init__(self, stacks: list[StackArtifact]) -> None:
        self.stacks = {stack.stack_name: stack for stack in stacks}
        self._exports: dict[str, tuple[str, str]] = {}
        for stack in stacks:
            for name, output in stack.template.get("Outputs", {}).items():
                export = output.get("Export", {}).get("Name")
                if isinstance(export, str):
                    self._exports[export] = (stack.stack_name, name)

    def resource(self, key: ResourceKey) -> dict[str, Any] | None:
        stack = self.stacks.get(key.stack)
        return None if stack is None else stack.resources.get(key.logical_id)

    def _output(self, stack_name: str, output_name: str) -> Any:
        stack = self.stacks.get(stack_name)
        if stack is None:
            return None
        return stack.template.get("Outputs", {}).get(output_name, {}).get("Value")

    def _producer(self, node: dict[str, Any]) -> tuple[str, str, str, str] | None:
        """(kind, producer stack, region, output name) of a cross-stack intrinsic."""
        if "Fn::GetStackOutput" in node:
            spec = node["Fn::GetStackOutput"]
            stack_name, output_name = spec.get("StackName"), spec.get("OutputName")
            if isinstance(stack_name, str) and isinstance(output_name, str):
                producer = self.stacks.get(stack_name)
                region = spec.get("Region") or (producer.region if producer else "?")
                return "weak", stack_name, str(region), output_name
        if "Fn::ImportValue" in node and isinstance(node["Fn::ImportValue"], str):
            found = self._exports.get(node["Fn::ImportValue"])
            if found:
                producer = self.stacks[found[0]]
                return "export", found[0], producer.region, found[1]
        return None

    def references(self, stack: str, value: Any, path: str = "") -> Iterator[Reference]:
        """Every resource that ``value`` (part of a template of ``stack``) refers to."""
        resources = self.stacks[stack].resources if stack in self.stacks else {}
        if isinstance(value, list):
            for index, item in enumerate(value):
                yield from self.references(stack, item, f"{path}[{index}]")
            return
        if not isinstance(value, dict):
            return
        if len(value) == 1:
            (key, arg), *_ = value.items()
            if key == "Ref" and isinstance(arg, str) and arg in resources:
                yield Reference(ResourceKey(stack, arg), None, path)
                return
            if key == "Fn::GetAtt":
                name, _, attribute = arg.partition(".") if isinstance(arg, str) else (arg[0], ".", arg[1])
                if isinstance(name, str) and name in resources:
                    yield Reference(ResourceKey(stack, name), str(attribute), path)
                return
            if key == "Fn::Sub":
                template, variables = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])
                for variable in _SUB_VARIABLE.findall(template):
                    name, _, attribute = variable.partition(".")
                    if name in resources and name not in variables:
                        yield Reference(ResourceKey(stack, name), attribute or None, path)
                yield from self.references(stack, variables, path)
                return
            producer = self._producer(value)
            if producer is not None:
                _, producer_stack, _, output_name = producer
                yield from self.references(producer_stack, self._output(producer_stack, output_name), path)
                return
        for key, item in value.items():
            yield from self.references(stack, item, f"{path}.{key}" if path else key)

    def cross_stack_references(self, stack: str) -> list[CrossStackReference]:
        """Every value ``stack`` reads from another stack, in template order."""
        found: list[CrossStackReference] = []

        def walk(value: Any, consumer: ResourceKey | None) -> None:
            if isinstance(value, list):
                for item in value:
                    walk(item, consumer)
            elif isinstance(value, dict):
                producer = self._producer(value) if len(value) == 1 else None
                if producer is not None:
                    kind, producer_stack, region, output_name = producer
                    rendered = self.render(producer_stack, self._output(producer_stack, output_name), qualify=True)
                    found.append(CrossStackReference(consumer, kind, producer_stack, region, output_name, rendered))
                    return
                for item in value.values():
                    walk(item, consumer)

        template = self.stacks[stack].template
        for logical_id, resource in template.get("Resources", {}).items():
            walk(resource.get("Properties", {}), ResourceKey(stack, logical_id))
        for output in template.get("Outputs", {}).values():
            walk(output.get("Value"), None)
        return found

    def render(self, stack: str, value: Any, *, qualify: bool = False) -> str:
        """A readable form of ``value``: intrinsics become ``${LogicalId.Attribute}``.

        With ``qualify``, logical IDs carry their stack name (``${dev-Storage/LogsBucket.Arn}``),
        as they do whenever a value crosses a stack boundary.
        """
        prefix = f"{stack}/" if qualify else ""
        if value is None:
            return "?"
        if isinstance(value, str):
            return value
        if isinstance(value, bool):
            return str(value).lower()
        if isinstance(value, int | float):
            return str(value)
        if isinstance(value, list):
            return ", ".join(self.render(stack, item, qualify=qualify) for item in value)
        if isinstance(value, dict) and len(value) == 1:
            (key, arg), *_ = value.items()
            if key == "Ref" and isinstance(arg, str):
                return "${" + (arg if arg.startswith("AWS::") else prefix + arg) + "}"
            if key == "Fn::GetAtt":
                name, attribute = arg.split(".", 1) if isinstance(arg, str) else arg
                return "${" + f"{prefix}{name}.{self.render(stack, attribute)}" + "}"
            if key == "Fn::Join" and isinstance(arg, list) and len(arg) == 2 and isinstance(arg[1], list):
                return str(arg[0]).join(self.render(stack, item, qualify=qualify) for item in arg[1])
            if key == "Fn::Sub":
                template, variables = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])

                def substitute(match: re.Match[str]) -> str:
                    name = match.group(1)
                    if name in variables:
                        return self.render(stack, variables[name], qualify=qualify)
                    return "${" + (name if name.startswith("AWS::") else prefix + name) + "}"

                return _SUB_VARIABLE.sub(substitute, str(template))
            producer = self._producer(value)
            if producer is not None:
                _, producer_stack, region, output_name = producer
                inner = self.render(producer_stack, self._output(producer_stack, output_name), qualify=True)
                own = self.stacks.get(stack)
                return inner if own is None or own.region == region else f"{inner} (from {region})"
            name = key.removeprefix("Fn::")
            return "${" + f"{name}({self.render(stack, arg, qualify=qualify)})" + "}"
        return json.dumps(value, sort_keys=True)
