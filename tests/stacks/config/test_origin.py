"""The origin fleet's settings (``origin.*``): defaults, overrides and every kind of bad input."""

from __future__ import annotations

from typing import Any

import pytest

from stacks.config import REGION_TIME_ZONES, ConfigError, available_time_zones, known_regions, load_config
from tests.stacks.config.test_config import test_bad_values_stop_with_one_message_naming_the_setting as check_bad_input

REGIONAL_CERT = "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-0a1b-0a1b-0a1b-0a1b2c3d4e5f"


def test_defaults_put_dev_and_staging_on_spot_and_prod_on_an_on_demand_base():
    configs = load_config()
    for name in ("dev", "staging"):
        origin = configs[name].origin
        assert (origin.on_demand_base_capacity, origin.on_demand_percentage_above_base) == (0, 0)
    prod = configs["prod"].origin
    assert prod.on_demand_base_capacity == prod.min_capacity == 3
    assert prod.on_demand_percentage_above_base == 50
    assert prod.instance_types[0] == "c7g.medium"


def test_dev_runs_burstable_instances_with_cpu_tracking_at_their_baseline():
    dev = load_config()["dev"].origin
    assert dev.instance_types == ["t4g.micro", "t4g.small"]
    assert dev.burstable
    assert dev.cpu_target_percent == 10  # t4g.micro's baseline
    assert not any(c.origin.burstable for c in load_config().values() if c.name != "dev")
    small = load_config(overrides={"staging": {"origin": {"instance_types": ["t4g.small"], "cpu_target_percent": 20}}})
    assert small["staging"].origin.burstable


def test_default_prime_time_is_the_evening_in_the_regions_time_zone():
    configs = load_config()
    for config in configs.values():
        assert config.origin.prime_time is not None
        assert (config.origin.prime_time.start, config.origin.prime_time.end) == ("18:00", "23:00")
        assert config.origin_time_zone == "America/New_York"
    assert [c.origin.prime_time.min_capacity for c in configs.values() if c.origin.prime_time] == [2, 3, 6]


def test_prime_time_zone_follows_the_region_unless_set():
    moved = load_config(overrides={"dev": {"region": "eu-west-1", "availability_zones": ["eu-west-1a", "eu-west-1b"]}})[
        "dev"
    ]
    assert moved.origin_time_zone == "Europe/Dublin"
    pinned = load_config(overrides={"dev": {"origin": {"prime_time": {"time_zone": "Asia/Tokyo"}}}})["dev"]
    assert pinned.origin_time_zone == "Asia/Tokyo"


def test_every_known_region_has_a_valid_default_time_zone():
    assert set(REGION_TIME_ZONES) == set(known_regions())
    assert set(REGION_TIME_ZONES.values()) <= available_time_zones()


def test_prime_time_can_be_switched_off():
    assert load_config(overrides={"staging": {"origin": {"prime_time": None}}})["staging"].origin.prime_time is None


def test_origin_https_certificate_of_the_environments_region():
    origin = load_config(
        overrides={"prod": {"origin": {"certificate_arn": REGIONAL_CERT, "domain_name": "origin.example.com"}}}
    )["prod"].origin
    assert origin.certificate_arn == REGIONAL_CERT
    assert origin.domain_name == "origin.example.com"


BAD_ORIGIN_INPUTS: list[tuple[str, dict[str, Any], str]] = [
    (
        "x86 instance type",
        {"dev": {"origin": {"instance_types": ["c7g.medium", "c5.large"]}}},
        "dev.origin.instance_types: must be Graviton (arm64) instance types such as c7g.medium, got ['c5.large']",
    ),
    (
        "burstable mixed with fixed-performance types",
        {"dev": {"origin": {"instance_types": ["t4g.small", "c7g.medium"]}}},
        "dev.origin.instance_types: mixes burstable and non-burstable types",
    ),
    (
        "unknown burstable size",
        {"dev": {"origin": {"instance_types": ["t4g.huge"]}}},
        "dev.origin.instance_types: burstable types must be one of ['t4g.2xlarge', 't4g.large', 't4g.medium'",
    ),
    (
        "CPU target above the burstable baseline",
        {"dev": {"origin": {"cpu_target_percent": 20}}},
        "dev.origin.cpu_target_percent: is 20, above the 10% CPU baseline of ['t4g.micro', 't4g.small']",
    ),
    (
        "no instance type",
        {"dev": {"origin": {"instance_types": []}}},
        "dev.origin.instance_types: List should have at least 1 item",
    ),
    (
        "repeated instance type",
        {"dev": {"origin": {"instance_types": ["c7g.medium", "c7g.medium"]}}},
        "dev.origin.instance_types: lists an instance type more than once",
    ),
    (
        "on-demand percentage",
        {"dev": {"origin": {"on_demand_percentage_above_base": 101}}},
        "dev.origin.on_demand_percentage_above_base: Input should be less than or equal to 100",
    ),
    (
        "on-demand base above max",
        {"dev": {"origin": {"on_demand_base_capacity": 3}}},
        "dev.origin.on_demand_base_capacity: is 3, more than max_capacity 2",
    ),
    (
        "prod minimum on Spot",
        {"prod": {"origin": {"on_demand_base_capacity": 2}}},
        "prod.origin.on_demand_base_capacity: is 2 in a production environment; it must cover min_capacity (3)",
    ),
    (
        "CPU target",
        {"dev": {"origin": {"cpu_target_percent": 95}}},
        "dev.origin.cpu_target_percent: Input should be less than or equal to 90",
    ),
    (
        "request target",
        {"dev": {"origin": {"requests_per_target": 0}}},
        "dev.origin.requests_per_target: Input should be greater than or equal to 10",
    ),
    (
        "prime time clock",
        {"dev": {"origin": {"prime_time": {"start": "6pm"}}}},
        "dev.origin.prime_time.start: must be a 24-hour time HH:MM such as '18:30', got '6pm'",
    ),
    (
        "prime time hour 24",
        {"dev": {"origin": {"prime_time": {"end": "24:00"}}}},
        "dev.origin.prime_time.end: must be a 24-hour time HH:MM",
    ),
    (
        "empty prime time window",
        {"dev": {"origin": {"prime_time": {"start": "23:00"}}}},
        "dev.origin.prime_time: start and end are both 23:00",
    ),
    (
        "prime time zone",
        {"dev": {"origin": {"prime_time": {"time_zone": "Eastern"}}}},
        "dev.origin.prime_time.time_zone: unknown IANA time zone 'Eastern'",
    ),
    (
        "prime time above max",
        {"dev": {"origin": {"prime_time": {"min_capacity": 3}}}},
        "dev.origin.prime_time.min_capacity: is 3; it must lie between min_capacity 1 and max_capacity 2",
    ),
    (
        "prime time below min",
        {"prod": {"origin": {"prime_time": {"min_capacity": 2}}}},
        "prod.origin.prime_time.min_capacity: is 2; it must lie between min_capacity 3 and max_capacity 12",
    ),
    (
        "prime time without a window",
        {"dev": {"origin": {"prime_time": {"min_capacity": 2, "start": None}}}},
        "dev.origin.prime_time.start: Input should be a valid string",
    ),
    (
        "header generation",
        {"dev": {"origin": {"header_generation": -1}}},
        "dev.origin.header_generation: Input should be greater than or equal to 0",
    ),
    (
        "origin certificate without domain",
        {"prod": {"origin": {"certificate_arn": REGIONAL_CERT}}},
        "prod.origin.certificate_arn: certificate_arn and domain_name must be set together",
    ),
    (
        "origin certificate of another region",
        {
            "prod": {
                "origin": {
                    "certificate_arn": REGIONAL_CERT.replace("us-east-1", "eu-west-1"),
                    "domain_name": "origin.example.com",
                }
            }
        },
        "prod.origin.certificate_arn: must be the ARN of an ACM certificate in us-east-1",
    ),
    (
        "origin domain",
        {"prod": {"origin": {"certificate_arn": REGIONAL_CERT, "domain_name": "Origin_Host"}}},
        "prod.origin.domain_name: must be a lowercase DNS name",
    ),
    ("typo in an origin key", {"dev": {"origin": {"spot": True}}}, "dev.origin.spot: Extra inputs are not permitted"),
]


@pytest.mark.parametrize(("case", "overrides", "message"), BAD_ORIGIN_INPUTS, ids=[c[0] for c in BAD_ORIGIN_INPUTS])
def test_bad_origin_values_stop_with_one_message_naming_the_setting(case: str, overrides: dict[str, Any], message: str):
    check_bad_input(case, overrides, message)


def test_a_region_without_a_default_time_zone_asks_for_one(monkeypatch: pytest.MonkeyPatch):
    import stacks.config

    monkeypatch.delitem(stacks.config.REGION_TIME_ZONES, "us-east-1")
    with pytest.raises(ConfigError, match=r"dev\.origin\.prime_time\.time_zone: has no default for region us-east-1"):
        load_config()
    pinned_chaos = {"chaos_monkey": {"business_hours": {"time_zone": "UTC"}}}
    assert load_config(
        overrides={
            env: {"origin": {"prime_time": None}, "operations": pinned_chaos} for env in ("dev", "staging", "prod")
        }
    )
