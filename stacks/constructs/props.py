"""Props several constructs share.

Constructs never read the environment's configuration: the stage and the stacks
do, and hand each construct only what it uses, as typed, keyword-only props.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Aws, Fn, RemovalPolicy

# CloudFormation metadata naming the configuration settings a resource's properties come from
# ({"<Property>": "<setting>"}); the cfn-lint rules in tools/developer/cfn_rules/ read it.
SETTINGS_METADATA = "showrunner:settings"


@dataclass(frozen=True)
class FromSetting:
    """A value taken from the environment's configuration, with the setting it came from."""

    value: int
    setting: str  # e.g. "operations.chaos_monkey.reserved_concurrency"


@dataclass(frozen=True, kw_only=True)
class EnvironmentProps:
    """What most constructs need to know of their environment."""

    name: str  # dev, staging, prod: in resource names, descriptions and tags
    retain_data: bool  # keep buckets, logs and streams when the stack is destroyed (production)
    log_retention_days: int  # CloudWatch Logs retention, a value CloudWatch accepts
    noncurrent_versions_days: int  # how long a bucket keeps an object's replaced versions

    @property
    def removal_policy(self) -> RemovalPolicy:
        """What ``cdk destroy`` does with data: keep it (production) or delete it."""
        return RemovalPolicy.RETAIN if self.retain_data else RemovalPolicy.DESTROY

    def physical_name(self, name: str) -> str:
        """``name`` for a resource that ``removal_policy`` may keep after its stack is gone.

        Where data is retained, a resource of that name outlives the stack, and the next stack that
        creates it fails ("already exists"): the name then ends in a part of the stack's ID, new at
        every creation. Elsewhere it is ``name`` as it is.
        """
        if not self.retain_data:
            return name
        stack_uuid = Fn.select(2, Fn.split("/", Aws.STACK_ID))
        return Fn.join("-", [name, Fn.select(4, Fn.split("-", stack_uuid))])  # its last 12 hex digits
