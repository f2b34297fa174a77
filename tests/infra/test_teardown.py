"""Safe teardown: buckets go last with writes denied; ``make destroy`` takes one environment, prod only if confirmed.

What is proven here is the template and Makefile side: deletion order, the retained
bucket policy that keeps CDK's write deny in place until each bucket is gone, and
the destroy guard. (Deploying and destroying a stage in moto is the moto deployer's
teardown test.)
"""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest

from tests.infra.conftest import ROOT, Synthesized
from tests.infra.helpers import resources_of_type


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
