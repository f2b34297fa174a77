"""The base class of every Showrunner stack."""

from __future__ import annotations

from typing import Any, ClassVar

from aws_cdk import Environment, Stack
from constructs import Construct

from stacks.compliance import Ack
from stacks.config import EnvironmentConfig
from stacks.constructs.props import EnvironmentProps


class ShowrunnerStack(Stack):
    """A stack bound to one environment's configuration.

    * Region (and account, when configured) come from the config, so synth
      needs no credentials.
    * Availability zones come from the config too, so no stack ever performs
      an AZ context lookup, even when an account is set.
    * Production stacks have termination protection.
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

    @property
    def availability_zones(self) -> list[str]:
        if self.region == self.config.region:
            return list(self.config.availability_zones)
        return list(super().availability_zones)
