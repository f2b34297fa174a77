"""Before ``cdk destroy``: undo what AWS services added to the stacks' resources outside CloudFormation.

EMR adds rules to the security groups it manages (the Analytics stack's primary,
worker and service-access groups) that refer to one another. CloudFormation did
not create those rules, so it does not remove them, and a security group that
another group's rule refers to cannot be deleted: ``cdk destroy`` would stop on
the Analytics stack. So ``make destroy`` runs this first:

1. terminate the environment's EMR clusters that are still running (a nightly
   run in progress holds network interfaces in those groups), and wait;
2. revoke, in the environment's EMR-managed security groups, every rule that
   refers to another security group.

Resources are found by their tags (``project``, ``environment`` and, for the
groups, EMR's managed-policy tag), so nothing of another environment or
project is touched. Usage::

    python -m tools.operator.teardown --env dev
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stacks.config import load_config
from stacks.names import EMR_TAG, ENVIRONMENT_NAMES, PROJECT_TAG

if TYPE_CHECKING:
    from types_boto3_ec2 import EC2Client
    from types_boto3_emr import EMRClient

ROOT = Path(__file__).resolve().parents[2]
ACTIVE_CLUSTER_STATES = ["STARTING", "BOOTSTRAPPING", "RUNNING", "WAITING", "TERMINATING"]


@dataclass
class Report:
    terminated_clusters: list[str] = field(default_factory=list)
    revoked: list[str] = field(default_factory=list)  # "<group> ingress|egress <protocol> <ports> <- <group>"


def _ours(tags: Sequence[Any], environment: str) -> bool:
    found = {t["Key"]: t["Value"] for t in tags}
    return found.get("project") == PROJECT_TAG and found.get("environment") == environment


def terminate_clusters(emr: EMRClient, environment: str, *, wait: bool = True) -> list[str]:
    """Terminate the environment's EMR clusters that have not terminated yet; return their IDs."""
    ids = []
    for page in emr.get_paginator("list_clusters").paginate(ClusterStates=ACTIVE_CLUSTER_STATES):  # type: ignore[arg-type]
        for summary in page["Clusters"]:
            cluster = emr.describe_cluster(ClusterId=summary["Id"])["Cluster"]
            if _ours(cluster.get("Tags", []), environment):
                ids.append(summary["Id"])
    if ids:
        emr.terminate_job_flows(JobFlowIds=ids)
        if wait:
            for cluster_id in ids:
                emr.get_waiter("cluster_terminated").wait(ClusterId=cluster_id, WaiterConfig={"Delay": 30})
    return ids


def _group_references(permissions: Sequence[Any]) -> list[Any]:
    """The parts of ``permissions`` that refer to security groups (CIDR and prefix-list parts are left alone)."""
    kept = []
    for permission in permissions:
        pairs = permission.get("UserIdGroupPairs", [])
        if pairs:
            rule = {k: v for k, v in permission.items() if k in ("IpProtocol", "FromPort", "ToPort")}
            kept.append({**rule, "UserIdGroupPairs": [{"GroupId": p["GroupId"]} for p in pairs]})
    return kept


def revoke_emr_group_rules(ec2: EC2Client, environment: str) -> list[str]:
    """Revoke every group-referencing rule of the environment's EMR-managed security groups."""
    revoked = []
    filters = [
        {"Name": f"tag:{EMR_TAG}", "Values": ["true"]},
        {"Name": "tag:environment", "Values": [environment]},
        {"Name": "tag:project", "Values": [PROJECT_TAG]},
    ]
    for page in ec2.get_paginator("describe_security_groups").paginate(Filters=filters):  # type: ignore[arg-type]
        for group in page["SecurityGroups"]:
            if not _ours(group.get("Tags", []), environment):
                continue  # filters ignored by a mock or a future API change must not widen this
            group_id = group["GroupId"]
            for direction, permissions in (
                ("ingress", _group_references(group.get("IpPermissions", []))),
                ("egress", _group_references(group.get("IpPermissionsEgress", []))),
            ):
                if not permissions:
                    continue
                if direction == "ingress":
                    ec2.revoke_security_group_ingress(GroupId=group_id, IpPermissions=permissions)
                else:
                    ec2.revoke_security_group_egress(GroupId=group_id, IpPermissions=permissions)
                for p in permissions:
                    ports = f"{p.get('FromPort', 'all')}-{p.get('ToPort', 'all')}"
                    sources = ",".join(pair["GroupId"] for pair in p["UserIdGroupPairs"])
                    revoked.append(f"{group_id} {direction} {p['IpProtocol']} {ports} {sources}")
    return revoked


def prepare(environment: str, *, ec2: EC2Client, emr: EMRClient, wait: bool = True) -> Report:
    report = Report()
    report.terminated_clusters = terminate_clusters(emr, environment, wait=wait)
    report.revoked = revoke_emr_group_rules(ec2, environment)
    return report


def _region(environment: str) -> str:
    """The environment's region, with the same cdk.json context (config_file, overrides) the app reads."""
    context: dict[str, Any] = json.loads((ROOT / "cdk.json").read_text(encoding="utf-8")).get("context", {})
    configs = load_config(config_file=context.get("config_file"), overrides=context.get("overrides"))
    return configs[environment].region


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", required=True, choices=ENVIRONMENT_NAMES)
    parser.add_argument("--region", help="default: the environment's region from configuration")
    args = parser.parse_args(argv)

    import boto3  # only when run: the module imports without AWS libraries' start-up cost

    region = args.region or _region(args.env)
    report = prepare(
        args.env,
        ec2=boto3.client("ec2", region_name=region),
        emr=boto3.client("emr", region_name=region),
    )
    print(f"{args.env}: terminated EMR clusters: {', '.join(report.terminated_clusters) or 'none'}")
    print(f"{args.env}: revoked {len(report.revoked)} EMR security group rule(s)")
    for line in report.revoked:
        print(f"  {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
