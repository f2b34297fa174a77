"""Synth fails unless every instance type an environment launches is offered in every zone it uses (stacks/zones.py),
read from the offerings committed in cdk.context.json."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import App

from stacks.config import ConfigError, load_config
from stacks.config.zones import OFFERINGS_CONTEXT_KEY, launched_instance_types
from stacks.zones import check_zones
from tests.stacks.config.test_config import test_bad_values_stop_with_one_message_naming_the_setting as check_bad_input
from tests.support.synth import ROOT, cdk_context

PROD_ZONES = {"availability_zones": ["us-east-1a", "us-east-1b", "us-east-1e"]}


def _check(env: str, overrides: dict[str, Any] | None = None, **context: Any) -> None:
    check_zones(App(context=cdk_context(**context)), load_config(overrides=overrides)[env])


def test_the_committed_offerings_cover_every_environment_as_configured():
    for env in ("dev", "staging", "prod"):
        _check(env)
    recorded = json.loads((ROOT / "cdk.context.json").read_text())[OFFERINGS_CONTEXT_KEY]["us-east-1"]
    # us-east-1's use1-az3 offers none of the Graviton types the environments launch.
    assert recorded["use1-az3"] == []
    assert set(recorded["use1-az6"]) >= set(launched_instance_types(load_config()["prod"]))


def test_a_zone_without_the_instance_types_fails_synth_naming_each_type_and_the_zones_that_have_it():
    overrides = {"prod": {**PROD_ZONES, "availability_zone_ids": ["use1-az6", "use1-az1", "use1-az3"]}}
    with pytest.raises(ConfigError) as error:
        _check("prod", overrides)
    message = str(error.value)
    assert message.startswith(
        "prod: availability zones: c7g.medium (origin.instance_types) is not offered in use1-az3 (us-east-1e); "
        "zones of us-east-1 that offer it: use1-az1, use1-az2, use1-az4, use1-az5, use1-az6; "
    )
    assert "m7g.xlarge (analytics.emr.primary_instance_types) is not offered in use1-az3 (us-east-1e)" in message
    assert message.endswith('(choose zones: docs/operations.md, "Choosing availability zones")')
    # dev's NAT instance too.
    overrides = {"dev": {"availability_zone_ids": ["use1-az3", "use1-az1"]}}
    with pytest.raises(
        ConfigError, match=r"t4g\.nano \(nat\.instance_type\) is not offered in use1-az3 \(us-east-1a\)"
    ):
        _check("dev", overrides)


def test_a_zone_id_of_another_region_or_offerings_not_recorded_fail_synth():
    with pytest.raises(ConfigError, match=r"usw2-az1 \(us-east-1b\) is not a zone of us-east-1: its zones are \["):
        _check("dev", {"dev": {"availability_zone_ids": ["use1-az6", "usw2-az1"]}})
    with pytest.raises(
        ConfigError,
        match=r"^dev: no instance-type offerings for us-east-1 in cdk.context.json "
        r"\(showrunner:instance-type-offerings\); record them with: "
        r"python -m tools.operator.zones record --region us-east-1$",
    ):
        _check("dev", **{OFFERINGS_CONTEXT_KEY: {"us-west-2": {}}})
    recorded = {"use1-az6": ["m6g.xlarge", "m7g.xlarge", "c7g.xlarge", "r7g.xlarge"], "use1-az1": []}
    with pytest.raises(ConfigError, match=r"does not list \['t4g.micro', 't4g.nano', 't4g.small'\]; record them"):
        _check("dev", **{OFFERINGS_CONTEXT_KEY: {"us-east-1": recorded}})


@pytest.mark.parametrize(
    ("zones", "message"),
    [
        ({"availability_zone_ids": ["use1-az6"]}, "availability_zone_ids: List should have at least 2 items"),
        (
            {"availability_zone_ids": ["use1-az6", "use1-az1", "use1-az2"]},
            "availability_zone_ids: must list the ID of each of the 2 availability_zones, in their order",
        ),
        (
            {"availability_zone_ids": ["use1-az6", "us-east-1b"]},
            "availability_zone_ids: 'us-east-1b' is not an availability zone ID such as use1-az4",
        ),
        ({"availability_zone_ids": ["use1-az6", "use1-az6"]}, "availability_zone_ids: lists a zone more than once"),
    ],
)
def test_bad_zone_ids(zones: dict[str, Any], message: str):
    check_bad_input("zones", {"dev": zones}, f"dev.{message}")
