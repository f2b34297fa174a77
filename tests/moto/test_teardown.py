"""Teardown: delete the stacks in reverse order, then assert what remains.

Dev (and staging) leave nothing behind. Prod keeps what its templates retain (its data
buckets with their objects, the data-lake key, the replica bucket, log groups); nothing else.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from moto import mock_aws

from tests.support.aws import client
from tests.support.synth import Synthesized
from tools.developer.rehearsal.deployer import Deployer
from tools.developer.rehearsal.inventory import inventory


@pytest.fixture
def isolated_aws() -> Iterator[None]:
    with mock_aws():
        yield


# How the inventory names each kind of resource a template may retain. A log stream is not
# listed on its own: it stays if its log group stays, and goes with it otherwise; likewise a
# bucket policy, which every bucket retains so its write-deny outlives the emptying (docs/operations.md).
_INVENTORY_NAME = {
    "AWS::S3::Bucket": "bucket {}",
    "AWS::KMS::Key": "kms-key {} (Enabled)",
    "AWS::Logs::LogGroup": "log-group {}",
    "AWS::Kinesis::Stream": "kinesis-stream {}",
    "AWS::DynamoDB::GlobalTable": "dynamodb-table {}",
    "AWS::Cognito::UserPool": "user-pool {}",
    "AWS::SecretsManager::Secret": "secret {}",
    "AWS::Logs::LogStream": "",
    "AWS::S3::BucketPolicy": "",
}


@dataclass
class TornDown:
    before: set[str]
    after: set[str]
    buckets: dict[str, str]  # construct ID -> bucket name, in Storage
    retained: set[str]  # inventory lines of the resources the templates retain
    deployed: set[str]  # the inventory while the stage was up


def _deploy_write_and_destroy(synthesized: Synthesized, env: str) -> TornDown:
    deployer = Deployer.for_stage(synthesized.outdir, env, client)
    regions = {s.region for s in deployer.stacks}
    deployer.bootstrap()
    toolkit = frozenset(deployer.assets_bucket(region) for region in regions)
    before = inventory(client, regions, toolkit_buckets=toolkit)
    records = deployer.deploy()
    retained = set()
    for stack, record in zip(deployer.stacks, records, strict=True):
        for resource in record.resources:
            if stack.resources[resource.logical_id].get("DeletionPolicy") == "Retain":
                assert resource.resource_type in _INVENTORY_NAME, f"add {resource.resource_type} to the inventory"
                if _INVENTORY_NAME[resource.resource_type]:
                    retained.add(_INVENTORY_NAME[resource.resource_type].format(resource.physical_id))
    storage = next(r for r in records if r.display_name == f"{env}/Storage")
    buckets = {r.logical_id[:-8]: r.physical_id for r in storage.resources if r.resource_type == "AWS::S3::Bucket"}
    s3 = client("s3")
    for bucket in buckets.values():
        s3.put_object(Bucket=bucket, Key="vod/t-1/master.m3u8", Body=b"#EXTM3U\n")
    deployed = inventory(client, regions, toolkit_buckets=toolkit)
    deployer.destroy()
    return TornDown(before, inventory(client, regions, toolkit_buckets=toolkit), buckets, retained, deployed)


@pytest.mark.usefixtures("isolated_aws")
@pytest.mark.parametrize("env", ["dev", "staging"])
def test_a_destroyable_environment_leaves_nothing(synthesized: Synthesized, env: str):
    result = _deploy_write_and_destroy(synthesized, env)
    assert result.retained == set()
    assert result.after - result.before == set()
    assert result.before - result.after == set()
    # What it left nothing of included the Operations stack: dashboard, alarms, budget, FIS templates,
    # the chaos monkey's function, kill switch and schedule.
    created = result.deployed - result.before
    assert {
        f"dashboard showrunner-{env}",
        f"budget showrunner-{env}-monthly",
        f"ssm-parameter /showrunner/{env}/chaos-monkey/state",
        f"alarm showrunner-{env}-origin-5xx",
    } <= created
    kinds = Counter(item.split(" ", 1)[0] for item in created)
    assert (kinds["fis-template"], kinds["schedule"]) == (2 + len(synthesized.configs[env].availability_zones), 1)


@pytest.mark.usefixtures("isolated_aws")
def test_prod_keeps_its_data_buckets_with_their_objects_and_what_else_it_retains(synthesized: Synthesized):
    result = _deploy_write_and_destroy(synthesized, "prod")
    data = [result.buckets[name] for name in ("LogsBucket", "ContentBucket", "DataLakeBucket")]
    assert {f"bucket {b}" for b in data} <= result.retained
    objects = {f"object {b}/vod/t-1/master.m3u8" for b in data}
    leftover = result.after - result.before
    # Objects written during the run to retained buckets are data: the test's, access-log records,
    # and copies replicated to the retained replica bucket.
    retained_buckets = {line.split(" ", 1)[1] for line in result.retained if line.startswith("bucket ")}
    other_objects = {
        item
        for item in leftover - objects
        if item.startswith("object ") and item.split(" ", 1)[1].split("/", 1)[0] in retained_buckets
    }
    assert leftover - other_objects == result.retained | objects
    assert result.before - result.after == set()
    body = client("s3").get_object(Bucket=result.buckets["DataLakeBucket"], Key="vod/t-1/master.m3u8")["Body"].read()
    assert body == b"#EXTM3U\n"
