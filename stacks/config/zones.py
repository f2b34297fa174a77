"""Which instance types an environment launches, and whether its zones offer them (no CDK: tools use it too).

Zone *names* (us-east-1a) map to different physical zones in different accounts; zone *IDs*
(use1-az4) do not. The configuration names each zone both ways (``availability_zones``,
``availability_zone_ids``). Synth checks the instance types against the offerings recorded in
``cdk.context.json`` (``showrunner:instance-type-offerings``: region -> zone ID -> instance types,
written by ``python -m tools.operator.zones record``); ``make deploy`` checks the names against the
account's IDs first (``python -m tools.operator.zones check``).
"""

from __future__ import annotations

from stacks.config.environment import EnvironmentConfig

OFFERINGS_CONTEXT_KEY = "showrunner:instance-type-offerings"


def launched_instance_types(config: EnvironmentConfig) -> dict[str, str]:
    """Every instance type the environment launches -> the setting it comes from."""
    emr = config.analytics.emr
    settings = {
        "origin.instance_types": config.origin.instance_types,
        "analytics.emr.primary_instance_types": emr.primary_instance_types,
        "analytics.emr.core_instance_types": emr.core_instance_types,
        "analytics.emr.task_instance_types": emr.task_instance_types,
    }
    if config.nat.mode == "instance":
        settings["nat.instance_type"] = [config.nat.instance_type]
    return {t: setting for setting, types in settings.items() for t in types}


def zone_problems(config: EnvironmentConfig, offerings: dict[str, list[str]]) -> list[str]:
    """What is wrong with the environment's zones, given the region's offerings (zone ID -> types)."""
    launched = launched_instance_types(config)
    problems = []
    for name, zone_id in zip(config.availability_zones, config.availability_zone_ids, strict=True):
        if zone_id not in offerings:
            problems.append(f"{zone_id} ({name}) is not a zone of {config.region}: its zones are {sorted(offerings)}")
            continue
        for instance_type, setting in launched.items():
            if instance_type not in offerings[zone_id]:
                offered = sorted(z for z, types in offerings.items() if instance_type in types)
                problems.append(
                    f"{instance_type} ({setting}) is not offered in {zone_id} ({name}); "
                    f"zones of {config.region} that offer it: {', '.join(offered) or 'none'}"
                )
    return problems
