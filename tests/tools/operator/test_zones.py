"""tools/operator/zones.py against moto: record the zones' offerings, check an account's zone names."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest

from stacks.config import load_config
from stacks.config.zones import OFFERINGS_CONTEXT_KEY
from tools.operator import zones
from tools.operator.zones import main, mapping_problems, offerings, record

pytestmark = pytest.mark.usefixtures("aws")


def test_offerings_list_every_zone_of_the_region_with_the_types_it_offers():
    found = offerings(boto3.client("ec2", region_name="us-east-1"), ["t4g.nano", "c7g.medium", "m5.large"])
    assert sorted(found) == ["use1-az1", "use1-az2", "use1-az3", "use1-az4", "use1-az5", "use1-az6"]
    assert found["use1-az6"] == ["c7g.medium", "m5.large", "t4g.nano"]
    assert found["use1-az3"] == []  # a zone with none of them is still listed


def test_record_replaces_one_region_and_keeps_the_rest_of_the_context(tmp_path: Path):
    context = tmp_path / "cdk.context.json"
    context.write_text(json.dumps({"other": 1, OFFERINGS_CONTEXT_KEY: {"us-west-2": {"usw2-az1": ["t4g.nano"]}}}))
    record(context, "us-east-1", {"use1-az1": ["t4g.nano"]})
    record(context, "us-west-2", {"usw2-az2": []})
    assert json.loads(context.read_text()) == {
        "other": 1,
        OFFERINGS_CONTEXT_KEY: {"us-east-1": {"use1-az1": ["t4g.nano"]}, "us-west-2": {"usw2-az2": []}},
    }


def test_the_check_compares_the_accounts_zone_names_with_the_configured_ids():
    ec2 = boto3.client("ec2", region_name="us-east-1")
    # moto's account maps us-east-1a/b/c to use1-az6/az1/az2, as the defaults assume.
    assert mapping_problems(load_config()["prod"], ec2) == []
    other = load_config(overrides={"prod": {"availability_zone_ids": ["use1-az4", "use1-az1", "use1-az2"]}})["prod"]
    assert mapping_problems(other, ec2) == ["us-east-1a is use1-az6 in this account, not use1-az4"]


def test_the_check_command(capsys: pytest.CaptureFixture[str]):
    assert main(["check", "--env", "prod"]) == 0
    assert (
        capsys.readouterr().out
        == "prod: zones as configured (us-east-1a = use1-az6, us-east-1b = use1-az1, us-east-1c = use1-az2)\n"
    )
    overrides = json.dumps({"dev": {"availability_zone_ids": ["use1-az6", "use1-az4"]}})
    assert main(["check", "--env", "dev", "--overrides", overrides]) == 1
    assert capsys.readouterr().err.startswith(
        "zones: dev: us-east-1b is use1-az1 in this account, not use1-az4. Set availability_zone_ids to the IDs"
    )
    assert main(["check", "--env", "dev", "--overrides", "{not json"]) == 1
    assert "overrides: not valid JSON" in capsys.readouterr().err


def test_the_record_command_writes_every_launched_type(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(zones, "CONTEXT_FILE", tmp_path / "cdk.context.json")
    assert main(["record", "--region", "us-west-2"]) == 0
    recorded = json.loads((tmp_path / "cdk.context.json").read_text())[OFFERINGS_CONTEXT_KEY]
    assert sorted(recorded) == ["us-west-2"]
    assert recorded["us-west-2"]["usw2-az1"] == zones.all_instance_types()
