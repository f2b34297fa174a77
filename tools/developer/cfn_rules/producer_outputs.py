"""E9105: a stack that reads another stack's outputs (Fn::GetStackOutput) declares the ProducerOutputs parameter."""

from __future__ import annotations

from typing import Any, ClassVar

from cfnlint.rules import CloudFormationLintRule, RuleMatch

# stacks.names.PRODUCER_OUTPUTS_PARAMETER: cfn-lint loads rules by file, without the repository on sys.path
# (tests/tools/developer/test_cfn_rules.py keeps the two equal).
PRODUCER_OUTPUTS_PARAMETER = "ProducerOutputs"


class ProducerOutputsParameter(CloudFormationLintRule):  # type: ignore[misc]
    id = "E9105"
    shortdesc = "A weak reference's reader can be refreshed"
    description = (
        "CloudFormation resolves Fn::GetStackOutput only when the reading stack is created or updated, and cdk deploy "
        f"skips a stack whose template did not change; make deploy updates the reader through its "
        f"{PRODUCER_OUTPUTS_PARAMETER} parameter when a producer's output changed (tools/operator/deploy.py)."
    )
    source_url = "https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference-getstackoutput.html"
    tags: ClassVar[list[str]] = ["parameters", "showrunner"]

    def match(self, cfn: Any) -> list[RuleMatch]:
        readers = sorted(
            logical_id
            for logical_id, resource in cfn.template.get("Resources", {}).items()
            if _reads_stack_output(resource)
        )
        declared = cfn.template.get("Parameters", {}).get(PRODUCER_OUTPUTS_PARAMETER, {})
        if not readers or declared.get("Type") == "String":
            return []
        return [
            RuleMatch(
                ["Resources", readers[0]],
                f"{', '.join(readers)} read other stacks' outputs (Fn::GetStackOutput), but the template declares no "
                f"String parameter {PRODUCER_OUTPUTS_PARAMETER}: a replaced producer would not reach them "
                "(make deploy refreshes a reader through it; ShowrunnerStack declares it)",
            )
        ]


def _reads_stack_output(node: Any) -> bool:
    if isinstance(node, dict):
        return "Fn::GetStackOutput" in node or any(_reads_stack_output(value) for value in node.values())
    if isinstance(node, list):
        return any(_reads_stack_output(value) for value in node)
    return False
