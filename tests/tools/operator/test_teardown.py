"""Teardown (docs/operations.md): what the templates and ``make destroy`` guarantee, and what
tools/operator/teardown.py does against moto before ``cdk destroy``.

* Templates and Makefile: buckets go last with writes denied (the retained bucket policy keeps CDK's write deny
  in place until each bucket is gone); ``make destroy`` takes one environment, prod only if confirmed.
* The tool: it removes EMR's own security-group rules and ends running clusters of one environment, nothing else.
  (Deploying and destroying a whole stage in moto: tests/moto/test_teardown.py.)
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
from moto import mock_aws

from stacks.names import EMR_TAG
from tests.support.aws import client
from tests.support.synth import ROOT, Synthesized
from tests.support.templates import resources_of_type
from tools.operator.teardown import main, prepare


def _buckets_and_policies(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each bucket's logical ID -> its bucket policy resource."""
    policies = {}
    for policy in resources_of_type(template, "AWS::S3::BucketPolicy").values():
        policies[policy["Properties"]["Bucket"]["Ref"]] = policy
    assert set(policies) == set(resources_of_type(template, "AWS::S3::Bucket"))
    return policies


def test_every_bucket_policy_is_removed_with_its_bucket_never_before_it(synthesized: Synthesized, env: str):
    buckets = 0
    for stack in synthesized.stacks:
        if stack.stage != env:
            continue
        for policy in _buckets_and_policies(stack.template).values():
            assert (policy["DeletionPolicy"], policy["UpdateReplacePolicy"]) == ("Retain", "Retain")
            buckets += 1
    # logs, content, data lake, ingest; prod adds the content replica and its logs bucket
    assert buckets == (6 if env == "prod" else 4)


@pytest.mark.parametrize("stage", ["dev", "staging"])
def test_each_bucket_is_emptied_while_its_policy_still_exists_then_deleted(synthesized: Synthesized, stage: str):
    template = synthesized.stack(stage, "Storage").template
    policies = _buckets_and_policies(template)
    emptied = {}
    policy_ids = {
        resource["Properties"]["Bucket"]["Ref"]: logical_id
        for logical_id, resource in resources_of_type(template, "AWS::S3::BucketPolicy").items()
    }
    for logical_id, resource in resources_of_type(template, "Custom::S3AutoDeleteObjects").items():
        bucket = resource["Properties"]["BucketName"]["Ref"]
        emptied[bucket] = resource
        policy_id = policy_ids[bucket]
        # Created after the policy, so deleted before it: CDK's handler adds its PutObject deny to a policy that stays.
        assert resource["DependsOn"] == [policy_id], logical_id
    assert set(emptied) == set(policies)
    for bucket_id in policies:
        assert template["Resources"][bucket_id]["DeletionPolicy"] == "Delete"


def test_every_stack_that_writes_to_the_logs_bucket_is_deleted_before_storage(synthesized: Synthesized, env: str):
    storage = synthesized.stack(env, "Storage")
    readers = []
    for stack in synthesized.stacks:
        if stack.stage != env or stack is storage:
            continue
        if f'"StackName": "{storage.stack_name}"' in json.dumps(stack.template):
            readers.append(stack.display_name)
            assert storage.artifact_id in stack.dependencies, stack.display_name
    assert f"{env}/Network" in readers  # flow logs
    assert f"{env}/Origin" in readers  # ALB access logs


# --- make destroy --------------------------------------------------------------------------------


def _make_destroy(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "--no-print-directory", "-s", "destroy", "CDK=echo", "TEARDOWN=echo teardown", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )


@pytest.mark.parametrize("env", ["dev", "staging"])
def test_make_destroy_runs_cdk_destroy_on_one_environment(env: str):
    result = _make_destroy(f"ENV={env}")
    assert result.returncode == 0, result.stderr
    # First EMR's own rules and runs (tools/operator/teardown.py), then the stacks.
    assert result.stdout.strip().splitlines()[-2:] == [f"teardown --env {env}", f"destroy {env}/*"]


def test_make_destroy_refuses_prod_without_confirmation():
    result = _make_destroy("ENV=prod")
    assert result.returncode != 0
    assert "Refusing to destroy prod" in result.stdout
    assert "teardown" not in result.stdout
    assert "destroy prod/*" not in result.stdout
    confirmed = _make_destroy("ENV=prod", "CONFIRM=prod")
    assert confirmed.returncode == 0, confirmed.stderr
    assert confirmed.stdout.strip().splitlines()[-2:] == ["teardown --env prod", "destroy prod/*"]


@pytest.mark.parametrize("selector", ["*", "dev/*", "prod*", "Prod", ""])
def test_make_destroy_takes_exactly_one_environment_name(selector: str):
    result = _make_destroy(f"ENV={selector}", "CONFIRM=prod")
    assert result.returncode != 0
    assert "ENV must be dev, staging or prod" in result.stdout
    assert "teardown" not in result.stdout
    assert "destroy " not in result.stdout.replace("destroy takes", "")


# --- tools/operator/teardown.py against moto ------------------------------------------------------------


@pytest.fixture
def ec2_emr() -> Iterator[tuple[Any, Any]]:
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


def test_revokes_only_the_group_references_of_this_environments_emr_groups(ec2_emr: tuple[Any, Any]):
    ec2, emr = ec2_emr
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


def test_terminates_this_environments_running_clusters_only(ec2_emr: tuple[Any, Any]):
    ec2, emr = ec2_emr
    dev = _cluster(emr, "dev")
    staging = _cluster(emr, "staging")
    report = prepare("dev", ec2=ec2, emr=emr)
    assert report.terminated_clusters == [dev]
    assert _state(emr, dev) == "TERMINATED"
    assert _state(emr, staging) != "TERMINATED"


def test_the_command_line_reports_what_it_did(ec2_emr: tuple[Any, Any], capsys: pytest.CaptureFixture[str]):
    ec2, _ = ec2_emr
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
