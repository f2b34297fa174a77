"""tools/operator/teardown.py against moto: EMR's own rules and running clusters of one environment, nothing else."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from moto import mock_aws

from stacks.names import EMR_TAG
from tests.support.aws import client
from tools.operator.teardown import main, prepare


@pytest.fixture
def aws() -> Iterator[tuple[Any, Any]]:
    with mock_aws():
        yield client("ec2"), client("emr")


def _tags(environment: str, *, emr_managed: bool = True, project: str = "showrunner") -> list[dict[str, str]]:
    tags = [{"Key": "project", "Value": project}, {"Key": "environment", "Value": environment}]
    return [*tags, {"Key": EMR_TAG, "Value": "true"}] if emr_managed else tags


def _group(ec2: Any, vpc: str, name: str, tags: list[dict[str, str]]) -> str:
    group_id: str = ec2.create_security_group(
        GroupName=name,
        Description=name,
        VpcId=vpc,
        TagSpecifications=[{"ResourceType": "security-group", "Tags": tags}],
    )["GroupId"]
    return group_id


def _refer(ec2: Any, group: str, *sources: str, port: int | None = None) -> None:
    rule: dict[str, Any] = {"IpProtocol": "tcp", "FromPort": port, "ToPort": port} if port else {"IpProtocol": "-1"}
    ec2.authorize_security_group_ingress(
        GroupId=group, IpPermissions=[{**rule, "UserIdGroupPairs": [{"GroupId": s} for s in sources]}]
    )


def _references(ec2: Any, group: str) -> list[tuple[str, str]]:
    (found,) = ec2.describe_security_groups(GroupIds=[group])["SecurityGroups"]
    return sorted(
        (p["IpProtocol"], pair["GroupId"]) for p in found["IpPermissions"] for pair in p.get("UserIdGroupPairs", [])
    )


def _cidr_rules(ec2: Any, group: str) -> list[str]:
    (found,) = ec2.describe_security_groups(GroupIds=[group])["SecurityGroups"]
    return [r["CidrIp"] for p in found["IpPermissions"] for r in p.get("IpRanges", [])]


def _cluster(emr: Any, environment: str) -> str:
    cluster_id: str = emr.run_job_flow(
        Name=f"{environment}-nightly",
        ReleaseLabel="emr-7.13.0",
        Instances={"InstanceCount": 1, "KeepJobFlowAliveWhenNoSteps": True, "MasterInstanceType": "m7g.xlarge"},
        JobFlowRole="EMR_EC2_DefaultRole",
        ServiceRole="EMR_DefaultRole",
        Tags=_tags(environment),
    )["JobFlowId"]
    return cluster_id


def _state(emr: Any, cluster_id: str) -> str:
    state: str = emr.describe_cluster(ClusterId=cluster_id)["Cluster"]["Status"]["State"]
    return state


def test_revokes_only_the_group_references_of_this_environments_emr_groups(aws: tuple[Any, Any]):
    ec2, emr = aws
    vpc = ec2.create_vpc(CidrBlock="10.10.0.0/16")["Vpc"]["VpcId"]
    primary = _group(ec2, vpc, "primary", _tags("dev"))
    worker = _group(ec2, vpc, "worker", _tags("dev"))
    service = _group(ec2, vpc, "service", _tags("dev"))
    # What EMR adds: the managed groups refer to one another.
    _refer(ec2, primary, worker, primary)
    _refer(ec2, worker, primary, worker)
    _refer(ec2, service, primary, port=9443)
    ec2.authorize_security_group_ingress(
        GroupId=primary,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.10.0.0/16"}]}],
    )
    # Not ours to touch: staging's EMR groups, a dev group EMR does not manage, another project's group.
    staging = _group(ec2, vpc, "staging-primary", _tags("staging"))
    _refer(ec2, staging, primary)
    origin = _group(ec2, vpc, "origin", _tags("dev", emr_managed=False))
    _refer(ec2, origin, primary)
    foreign = _group(ec2, vpc, "foreign", _tags("dev", project="other"))
    _refer(ec2, foreign, primary)

    report = prepare("dev", ec2=ec2, emr=emr, wait=False)

    for group in (primary, worker, service):
        assert _references(ec2, group) == []
    assert _cidr_rules(ec2, primary) == ["10.10.0.0/16"]  # not a group reference: kept
    assert _references(ec2, staging) == [("-1", primary)]
    assert _references(ec2, origin) == [("-1", primary)]
    assert _references(ec2, foreign) == [("-1", primary)]
    assert sorted(report.revoked) == sorted(
        [
            f"{primary} ingress -1 all-all {worker},{primary}",
            f"{worker} ingress -1 all-all {primary},{worker}",
            f"{service} ingress tcp 9443-9443 {primary}",
        ]
    )
    # Run again: nothing left to revoke.
    assert prepare("dev", ec2=ec2, emr=emr, wait=False).revoked == []


def test_terminates_this_environments_running_clusters_only(aws: tuple[Any, Any]):
    ec2, emr = aws
    dev = _cluster(emr, "dev")
    staging = _cluster(emr, "staging")
    report = prepare("dev", ec2=ec2, emr=emr)
    assert report.terminated_clusters == [dev]
    assert _state(emr, dev) == "TERMINATED"
    assert _state(emr, staging) != "TERMINATED"


def test_the_command_line_reports_what_it_did(aws: tuple[Any, Any], capsys: pytest.CaptureFixture[str]):
    ec2, _ = aws
    vpc = ec2.create_vpc(CidrBlock="10.10.0.0/16")["Vpc"]["VpcId"]
    primary = _group(ec2, vpc, "primary", _tags("dev"))
    _refer(ec2, primary, primary)
    assert main(["--env", "dev"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "dev: terminated EMR clusters: none",
        "dev: revoked 1 EMR security group rule(s)",
        f"  {primary} ingress -1 all-all {primary}",
    ]


def test_the_command_line_takes_only_known_environments(capsys: pytest.CaptureFixture[str]):
    with pytest.raises(SystemExit) as exit_:
        main(["--env", "qa"])
    assert exit_.value.code == 2
    assert "invalid choice: 'qa'" in capsys.readouterr().err
