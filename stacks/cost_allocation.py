"""Cost-allocation tags on the resources that ``Tags.of`` cannot reach."""

from __future__ import annotations

import jsii
from aws_cdk import CfnResource, IAspect, TagManager
from constructs import IConstruct

# Types CDK's custom-resource providers (Custom::S3AutoDeleteObjects, Custom::VpcRestrictDefaultSG, ...)
# create as raw CfnResources. Both take Tags as a list of {Key, Value}.
PROVIDER_TYPES = frozenset({"AWS::IAM::Role", "AWS::Lambda::Function"})


@jsii.implements(IAspect)
class TagProviderResources:
    """Adds ``tags`` to the role and function of every custom-resource provider.

    ``Tags.of(stage)`` tags every taggable L1, but a provider's role and function
    are plain ``CfnResource``s without a tag manager, so they would be the only
    untagged resources of a stage (tests/infra/test_cost_allocation_tags.py).
    """

    def __init__(self, tags: dict[str, str]) -> None:
        self.tags = [{"Key": key, "Value": value} for key, value in sorted(tags.items())]

    def visit(self, node: IConstruct) -> None:
        if (
            isinstance(node, CfnResource)
            and node.cfn_resource_type in PROVIDER_TYPES
            and not TagManager.is_taggable(node)
        ):
            node.add_property_override("Tags", self.tags)
