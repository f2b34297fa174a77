"""Cost-allocation tags: every taggable resource of every template carries ``project`` and ``environment``.

Which resource types take tags, and under which property, comes from the CloudFormation
resource schemas bundled with cfn-lint (``tagging.taggable``, ``tagging.tagProperty``),
not from a list kept here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws_cdk import App, CustomResourceProvider, CustomResourceProviderRuntime, Stack, Tags
from aws_cdk.assertions import Template
from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

from stacks.cost_allocation import tag_provider_resources
from tests.support.synth import Synthesized, cdk_context

UNTAGGED_KINDS = ("Custom::", "AWS::CDK::Metadata")


def _tag_property(region: str, resource_type: str) -> str | None:
    """The property holding a resource type's tags, or None if the type takes no tags."""
    tagging = PROVIDER_SCHEMA_MANAGER.get_resource_schema(region, resource_type).schema.get("tagging") or {}
    if not tagging.get("taggable"):
        return None
    pointer: str = tagging.get("tagProperty", "/properties/Tags")
    return pointer.removeprefix("/properties/")


def _tags(value: Any) -> dict[str, Any]:
    if isinstance(value, list):  # [{"Key": ..., "Value": ...}], the usual shape
        return {tag["Key"]: tag["Value"] for tag in value}
    if isinstance(value, dict):  # {key: value}, e.g. SSM parameters and FIS templates
        return dict(value)
    return {}


def _untagged(template: dict[str, Any], region: str, environment: str) -> tuple[list[str], int]:
    missing, checked = [], 0
    for logical_id, resource in template.get("Resources", {}).items():
        if resource["Type"].startswith(UNTAGGED_KINDS):
            continue
        prop = _tag_property(region, resource["Type"])
        if prop is None:
            continue
        checked += 1
        tags = _tags(resource.get("Properties", {}).get(prop))
        if tags.get("project") != "showrunner" or tags.get("environment") != environment:
            missing.append(f"{logical_id} ({resource['Type']}): {tags}")
    return missing, checked


def test_every_taggable_resource_of_every_stack_has_the_cost_allocation_tags(synthesized: Synthesized):
    checked = 0
    for stack in synthesized.stacks:
        missing, count = _untagged(stack.template, stack.region, stack.stage)
        assert missing == [], stack.display_name
        checked += count
    assert checked > 150  # the check covers the whole app (190 resources today), not a handful


def _provider_template(code: Path, *, tagged: bool) -> dict[str, Any]:
    """A stack holding only a CDK custom-resource provider (a raw role and function), tagged like a stage."""
    (code / "index.js").write_text("exports.handler = async () => ({});\n")
    app = App(context=cdk_context())
    stack = Stack(app, "Probe")
    CustomResourceProvider.get_or_create_provider(
        stack, "Custom::Probe", code_directory=str(code), runtime=CustomResourceProviderRuntime.NODEJS_22_X
    )
    Tags.of(stack).add("project", "showrunner")
    Tags.of(stack).add("environment", "dev")
    if tagged:
        tag_provider_resources(stack, {"project": "showrunner", "environment": "dev"})
    return dict(Template.from_stack(stack).to_json())


def test_custom_resource_provider_roles_and_functions_get_the_tags_too(tmp_path: Path):
    missing, checked = _untagged(_provider_template(tmp_path, tagged=False), "us-east-1", "dev")
    assert (len(missing), checked) == (2, 2)  # Tags.of alone misses the provider's role and function

    template = _provider_template(tmp_path, tagged=True)
    assert _untagged(template, "us-east-1", "dev") == ([], 2)
    for resource in template["Resources"].values():
        assert resource["Properties"]["Tags"] == [
            {"Key": "environment", "Value": "dev"},
            {"Key": "project", "Value": "showrunner"},
        ]
