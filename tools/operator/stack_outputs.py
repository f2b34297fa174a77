"""Reading a deployed stack's outputs, for the operator tools."""

from __future__ import annotations

from typing import Any


def stack_output(cloudformation: Any, stack_name: str, output_key: str) -> str | None:
    """The value of ``output_key`` in the deployed stack ``stack_name``, or None if it has no such output."""
    (stack,) = cloudformation.describe_stacks(StackName=stack_name)["Stacks"]
    for output in stack.get("Outputs", []):
        if output["OutputKey"] == output_key:
            value: str = output["OutputValue"]
            return value
    return None
