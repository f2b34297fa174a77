"""The base class of every Showrunner stack."""

from __future__ import annotations

from typing import Any, ClassVar

from aws_cdk import CfnOutput, CfnParameter, Environment, Stack
from constructs import Construct

from stacks.compliance import Ack
from stacks.config import EnvironmentConfig
from stacks.constructs.props import EnvironmentProps
from stacks.names import PRODUCER_OUTPUTS_PARAMETER, PRODUCER_OUTPUTS_UNSET


class ShowrunnerStack(Stack):
    """A stack bound to one environment's configuration.

    * Region (and account, when configured) come from the config, so synth
      needs no credentials.
    * Availability zones come from the config too, so no stack ever performs
      an AZ context lookup, even when an account is set.
    * Production stacks have termination protection.
    * A ``ProducerOutputs`` parameter, echoed as an output: `make deploy` sets it to a fingerprint of
      the other stacks' outputs this stack reads (CDK's weak references, ``Fn::GetStackOutput``),
      so that a replaced producer reaches this stack on the same deploy (tools/operator/deploy.py).
    * ``acknowledgments`` (cdk-nag) and ``checkov_skips``: each with its reason, paths relative to the
      stack (``stacks/compliance.py``); the app builder applies them.
    """

    acknowledgments: ClassVar[tuple[Ack, ...]] = ()
    checkov_skips: ClassVar[tuple[Ack, ...]] = ()

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: EnvironmentConfig,
        description: str,
        region: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            scope,
            construct_id,
            env=Environment(account=config.account, region=region or config.region),
            description=f"Showrunner {config.name}: {description}",
            termination_protection=config.production,
            **kwargs,
        )
        self.config = config
        self.env_props = EnvironmentProps(
            name=config.name,
            retain_data=config.retain_data,
            log_retention_days=config.retention.cloudwatch_logs_days,
            noncurrent_versions_days=config.retention.noncurrent_versions_days,
        )
        producer_outputs = CfnParameter(
            self,
            PRODUCER_OUTPUTS_PARAMETER,
            type="String",
            default=PRODUCER_OUTPUTS_UNSET,
            allowed_pattern=f"^({PRODUCER_OUTPUTS_UNSET}|[0-9a-f]{{64}})$",
            description="SHA-256 of the other stacks' outputs this stack reads; set by make deploy",
        )
        # Read by nothing: it keeps the parameter in use (cfn-lint W2001).
        CfnOutput(self, f"{PRODUCER_OUTPUTS_PARAMETER}Fingerprint", value=producer_outputs.value_as_string)

    @property
    def availability_zones(self) -> list[str]:
        if self.region == self.config.region:
            return list(self.config.availability_zones)
        return list(super().availability_zones)
