"""Teardown: delete the stacks in reverse order, then assert what remains.

Dev (and staging) leave nothing behind. Prod keeps its retained data buckets, with their
objects, and the data-lake key that encrypts them; everything else is gone.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from moto import mock_aws

from stacks.tools.rehearsal.deployer import Deployer
from stacks.tools.rehearsal.inventory import inventory
from tests.conftest import Synthesized
from tests.moto.conftest import ACCOUNT, REGION, client


@pytest.fixture
def isolated_aws() -> Iterator[None]:
    with mock_aws():
        yield


def _deploy_write_and_destroy(synthesized: Synthesized, env: str) -> tuple[set[str], set[str], dict[str, str]]:
    deployer = Deployer.for_stage(synthesized.outdir, env, client)
    deployer.bootstrap()
    toolkit = frozenset({deployer.assets_bucket(REGION)})
    before = inventory(client, {REGION}, toolkit_buckets=toolkit)
    records = deployer.deploy()
    storage = next(r for r in records if r.display_name == f"{env}/Storage")
    buckets = {r.logical_id[:-8]: r.physical_id for r in storage.resources if r.resource_type == "AWS::S3::Bucket"}
    keys = {r.logical_id[:-8]: r.physical_id for r in storage.resources if r.resource_type == "AWS::KMS::Key"}
    s3 = client("s3")
    for bucket in buckets.values():
        s3.put_object(Bucket=bucket, Key="vod/t-1/master.m3u8", Body=b"#EXTM3U\n")
    deployer.destroy()
    after = inventory(client, {REGION}, toolkit_buckets=toolkit)
    return before, after, {**buckets, **keys}


@pytest.mark.usefixtures("isolated_aws")
@pytest.mark.parametrize("env", ["dev", "staging"])
def test_a_destroyable_environment_leaves_nothing(synthesized: Synthesized, env: str):
    before, after, _ = _deploy_write_and_destroy(synthesized, env)
    assert after - before == set()
    assert before - after == set()


@pytest.mark.usefixtures("isolated_aws")
def test_prod_keeps_its_data_buckets_with_their_objects_and_the_data_lake_key(synthesized: Synthesized):
    before, after, retained = _deploy_write_and_destroy(synthesized, "prod")
    buckets = [retained["LogsBucket"], retained["ContentBucket"], retained["DataLakeBucket"]]
    key = retained["DataLakeKey"]
    expected = {f"bucket {b}" for b in buckets} | {f"object {b}/vod/t-1/master.m3u8" for b in buckets}
    expected |= {f"kms-key {key} (Enabled)"}
    leftover = after - before
    # Access-log records written to the logs bucket during the run are data too; they stay.
    log_records = {item for item in leftover if item.startswith(f"object {retained['LogsBucket']}/s3-access/")}
    assert leftover - log_records == expected
    assert before - after == set()
    body = client("s3").get_object(Bucket=retained["DataLakeBucket"], Key="vod/t-1/master.m3u8")["Body"].read()
    assert body == b"#EXTM3U\n"
    assert client("kms").describe_key(KeyId=key)["KeyMetadata"]["Arn"].startswith(f"arn:aws:kms:{REGION}:{ACCOUNT}:")
