"""Synth fails unless every instance type an environment launches is offered in every zone it uses.

The offerings come from committed context, the way CloudFront's prefix lists do (stacks/config/zones.py).
"""

from __future__ import annotations

from typing import Any

from constructs import Construct

from stacks.config import ConfigError, EnvironmentConfig
from stacks.config.zones import OFFERINGS_CONTEXT_KEY, launched_instance_types, zone_problems


def check_zones(scope: Construct, config: EnvironmentConfig) -> None:
    """Fail synth, naming the environment, every instance type and zone, unless each type is offered in each zone."""
    recorded: Any = scope.node.try_get_context(OFFERINGS_CONTEXT_KEY) or {}
    offerings = recorded.get(config.region) if isinstance(recorded, dict) else None
    if not isinstance(offerings, dict):
        raise ConfigError(
            f"{config.name}: no instance-type offerings for {config.region} in cdk.context.json "
            f"({OFFERINGS_CONTEXT_KEY}); record them with: "
            f"python -m tools.operator.zones record --region {config.region}"
        )
    missing = sorted(set(launched_instance_types(config)) - {t for types in offerings.values() for t in types})
    if missing:
        raise ConfigError(
            f"{config.name}: {OFFERINGS_CONTEXT_KEY} for {config.region} does not list {missing}; record them with: "
            f"python -m tools.operator.zones record --region {config.region}"
        )
    problems = zone_problems(config, offerings)
    if problems:
        raise ConfigError(
            f"{config.name}: availability zones: {'; '.join(problems)} (choose zones: docs/operations.md, "
            '"Choosing availability zones")'
        )
