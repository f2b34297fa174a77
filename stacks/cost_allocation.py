"""Cost-allocation tags on the resources that ``Tags.of`` cannot reach."""

from __future__ import annotations

from aws_cdk import CfnResource, CustomResourceProviderBase, Stack, TagManager

# Types CDK's custom-resource providers (Custom::S3AutoDeleteObjects, Custom::VpcRestrictDefaultSG, ...)
# create as raw CfnResources. Both take Tags as a list of {Key, Value}.
PROVIDER_TYPES = frozenset({"AWS::IAM::Role", "AWS::Lambda::Function"})


def tag_provider_resources(stack: Stack, tags: dict[str, str]) -> None:
    """Adds ``tags`` to the role and function of every custom-resource provider of ``stack``.

    ``Tags.of(stage)`` tags every taggable L1, but a provider's role and function
    are plain ``CfnResource``s without a tag manager, so they would be the only
    untagged resources of a stage (tests/stacks/test_cost_allocation_tags.py).
    CDK keeps each provider as a child of its stack; call this once the stack is
    built. (Not an Aspect: an Aspect written in Python costs a jsii callback for
    every construct of the app at synth.)
    """
    tag_list = [{"Key": key, "Value": value} for key, value in sorted(tags.items())]
    for provider in stack.node.children:
        if not isinstance(provider, CustomResourceProviderBase):
            continue
        for resource in provider.node.children:
            if (
                isinstance(resource, CfnResource)
                and resource.cfn_resource_type in PROVIDER_TYPES
                and not TagManager.is_taggable(resource)
            ):
                resource.add_property_override("Tags", tag_list)
