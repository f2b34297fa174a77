"""Availability zones by ID: record the instance types each zone offers, and check an account's zone names.

Zone names map to different physical zones in different accounts (``us-east-1a`` is ``use1-az6`` in
one account and ``use1-az3``, which offers no Graviton instances, in another); zone IDs do not. The
configuration names each zone both ways, and:

* ``record`` writes the offerings of every instance type any environment launches, per zone ID of a
  region, into ``cdk.context.json`` (``showrunner:instance-type-offerings``); synth checks every
  environment's instance types against them (stacks/zones.py);
* ``check`` (``make zones``, and ``make deploy`` before it deploys) reads the account's name -> ID
  mapping and fails unless ``availability_zone_ids`` is what the ``availability_zones`` are there.

Usage::

    python -m tools.operator.zones record --region us-east-1 [--region us-west-2]
    python -m tools.operator.zones check --env prod [--overrides JSON] [--config-file FILE]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from stacks.config import ConfigError, EnvironmentConfig, load_config
from stacks.config.zones import OFFERINGS_CONTEXT_KEY, launched_instance_types
from stacks.names import ENVIRONMENT_NAMES

ROOT = Path(__file__).resolve().parents[2]
CONTEXT_FILE = ROOT / "cdk.context.json"


class ZoneError(Exception):
    pass


def offerings(ec2: Any, instance_types: list[str]) -> dict[str, list[str]]:
    """Zone ID -> the given instance types offered there, for every availability zone of the client's region."""
    zones = ec2.describe_availability_zones(Filters=[{"Name": "zone-type", "Values": ["availability-zone"]}])
    found: dict[str, set[str]] = {zone["ZoneId"]: set() for zone in zones["AvailabilityZones"]}
    paginator = ec2.get_paginator("describe_instance_type_offerings")
    for page in paginator.paginate(
        LocationType="availability-zone-id", Filters=[{"Name": "instance-type", "Values": instance_types}]
    ):
        for offering in page["InstanceTypeOfferings"]:
            found.setdefault(offering["Location"], set()).add(offering["InstanceType"])
    return {zone_id: sorted(types) for zone_id, types in sorted(found.items())}


def record(context_file: Path, region: str, recorded: dict[str, list[str]]) -> None:
    """Replace the region's entry of the offerings key in ``cdk.context.json``, keeping everything else."""
    context = json.loads(context_file.read_text()) if context_file.exists() else {}
    regions = context.setdefault(OFFERINGS_CONTEXT_KEY, {})
    regions[region] = recorded
    context[OFFERINGS_CONTEXT_KEY] = dict(sorted(regions.items()))
    context_file.write_text(json.dumps(context, indent=2, sort_keys=True) + "\n")


def mapping_problems(config: EnvironmentConfig, ec2: Any) -> list[str]:
    """Where the account's zone names are not the zone IDs the configuration says."""
    zones = ec2.describe_availability_zones(ZoneNames=list(config.availability_zones))["AvailabilityZones"]
    actual = {zone["ZoneName"]: zone["ZoneId"] for zone in zones}
    return [
        f"{name} is {actual[name]} in this account, not {zone_id}"
        for name, zone_id in zip(config.availability_zones, config.availability_zone_ids, strict=True)
        if actual.get(name) != zone_id
    ]


def all_instance_types() -> list[str]:
    return sorted({t for config in load_config().values() for t in launched_instance_types(config)})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.operator.zones", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    record_parser = commands.add_parser("record", help="write the zones' instance-type offerings to cdk.context.json")
    record_parser.add_argument("--region", action="append", required=True)
    check_parser = commands.add_parser("check", help="check the account's zone names against availability_zone_ids")
    check_parser.add_argument("--env", required=True, choices=ENVIRONMENT_NAMES)
    check_parser.add_argument("--overrides", help="as -c overrides=... of the synth")
    check_parser.add_argument("--config-file", help="as -c config_file=... of the synth")
    args = parser.parse_args(argv)

    import boto3

    try:
        if args.command == "record":
            types = all_instance_types()
            for region in args.region:
                recorded = offerings(boto3.client("ec2", region_name=region), types)
                record(CONTEXT_FILE, region, recorded)
                print(f"{region}: {len(recorded)} zones, {len(types)} instance types -> {CONTEXT_FILE.name}")
            return 0
        config = load_config(config_file=args.config_file, overrides=args.overrides)[args.env]
        ec2 = boto3.client("ec2", region_name=config.region)
        problems = mapping_problems(config, ec2)
        if problems:
            raise ZoneError(
                f"{args.env}: {'; '.join(problems)}. Set availability_zone_ids to the IDs of your zones, or choose "
                'zone names whose IDs offer the instance types (docs/operations.md, "Choosing availability zones")'
            )
        pairs = ", ".join(
            f"{n} = {i}" for n, i in zip(config.availability_zones, config.availability_zone_ids, strict=True)
        )
        print(f"{args.env}: zones as configured ({pairs})")
    except (ZoneError, ConfigError) as error:
        print(f"zones: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
