"""Operations settings (``operations.*``): chaos monkey, budget, alarm thresholds; defaults and bad input."""

from __future__ import annotations

from typing import Any

import pytest

from stacks.config import ConfigError, load_config
from tests.stacks.config.test_config import test_bad_values_stop_with_one_message_naming_the_setting as check_bad_input


def test_chaos_monkey_runs_in_dev_and_staging_and_is_off_in_prod_by_default():
    configs = load_config()
    assert {name: c.operations.chaos_monkey.enabled for name, c in configs.items()} == {
        "dev": True,
        "staging": True,
        "prod": False,
    }
    for config in configs.values():
        hours = config.operations.chaos_monkey.business_hours
        assert (hours.days, hours.start, hours.end) == (["MON", "TUE", "WED", "THU", "FRI"], "10:00", "16:00")
        assert config.chaos_time_zone == "America/New_York"
        assert config.operations.chaos_monkey.dry_run is False


def test_every_environment_has_a_budget_with_actual_and_forecast_alerts():
    configs = load_config()
    assert {n: c.operations.budget.monthly_limit_usd for n, c in configs.items()} == {
        "dev": 150,
        "staging": 400,
        "prod": 2500,
    }
    for config in configs.values():
        assert config.operations.budget.actual_alert_percents == [80, 100]
        assert config.operations.budget.forecast_alert_percent == 100


def test_business_hours_can_be_changed_and_days_are_kept_in_week_order():
    hours = load_config(
        overrides={
            "prod": {
                "operations": {
                    "chaos_monkey": {
                        "enabled": True,
                        "business_hours": {"days": ["THU", "TUE"], "start": "13:30", "end": "15:00"},
                    }
                }
            }
        }
    )["prod"].operations.chaos_monkey.business_hours
    assert (hours.days, hours.start, hours.end) == (["TUE", "THU"], "13:30", "15:00")


def test_business_hours_follow_the_region_unless_pinned():
    moved = load_config(overrides={"dev": {"region": "eu-west-1", "availability_zones": ["eu-west-1a", "eu-west-1b"]}})[
        "dev"
    ]
    assert moved.chaos_time_zone == "Europe/Dublin"
    pinned = load_config(
        overrides={"dev": {"operations": {"chaos_monkey": {"business_hours": {"time_zone": "Asia/Tokyo"}}}}}
    )["dev"]
    assert pinned.chaos_time_zone == "Asia/Tokyo"


def test_a_region_without_a_default_time_zone_asks_for_the_business_hours_zone(monkeypatch: pytest.MonkeyPatch):
    import stacks.config

    monkeypatch.delitem(stacks.config.REGION_TIME_ZONES, "us-east-1")
    no_prime_time = {env: {"origin": {"prime_time": None}} for env in ("dev", "staging", "prod")}
    with pytest.raises(
        ConfigError, match=r"dev\.operations\.chaos_monkey\.business_hours\.time_zone: has no default for region"
    ):
        load_config(overrides=no_prime_time)


def _chaos(**values: Any) -> dict[str, Any]:
    return {"dev": {"operations": {"chaos_monkey": values}}}


def _hours(**values: Any) -> dict[str, Any]:
    return _chaos(business_hours=values)


def _budget(**values: Any) -> dict[str, Any]:
    return {"dev": {"operations": {"budget": values}}}


def _alarms(**values: Any) -> dict[str, Any]:
    return {"dev": {"operations": {"alarms": values}}}


BAD_OPERATIONS_INPUTS: list[tuple[str, dict[str, Any], str]] = [
    (
        "enabled not a boolean",
        _chaos(enabled="sometimes"),
        "dev.operations.chaos_monkey.enabled: Input should be a valid boolean",
    ),
    (
        "dry run not a boolean",
        _chaos(dry_run="maybe"),
        "dev.operations.chaos_monkey.dry_run: Input should be a valid boolean",
    ),
    (
        "no business days",
        _hours(days=[]),
        "dev.operations.chaos_monkey.business_hours.days: List should have at least 1 item",
    ),
    (
        "unknown day",
        _hours(days=["MON", "Funday"]),
        "dev.operations.chaos_monkey.business_hours.days.1: Input should be 'MON'",
    ),
    ("repeated day", _hours(days=["MON", "MON"]), "business_hours.days: lists a day more than once: ['MON', 'MON']"),
    ("bad clock", _hours(start="9am"), "business_hours.start: must be a 24-hour time HH:MM such as '18:30', got '9am'"),
    ("overnight window", _hours(start="22:00", end="02:00"), "business_hours.end: is 02:00, not after start 22:00"),
    ("empty window", _hours(start="10:00", end="10:00"), "business_hours.end: is 10:00, not after start 10:00"),
    ("unknown zone", _hours(time_zone="Eastern"), "business_hours.time_zone: unknown IANA time zone 'Eastern'"),
    ("typo in chaos key", _chaos(enable=True), "dev.operations.chaos_monkey.enable: Extra inputs are not permitted"),
    (
        "zero budget",
        _budget(monthly_limit_usd=0),
        "dev.operations.budget.monthly_limit_usd: Input should be greater than or equal to 1",
    ),
    (
        "fractional budget",
        _budget(monthly_limit_usd=99.5),
        "dev.operations.budget.monthly_limit_usd: Input should be a valid integer",
    ),
    (
        "no actual alert",
        _budget(actual_alert_percents=[]),
        "dev.operations.budget.actual_alert_percents: List should have at least 1 item",
    ),
    (
        "too many actual alerts",
        _budget(actual_alert_percents=[50, 60, 70, 80, 90]),
        "actual_alert_percents: List should have at most 4 items",
    ),
    (
        "unordered actual alerts",
        _budget(actual_alert_percents=[100, 80]),
        "actual_alert_percents: must be distinct and ascending, got [100, 80]",
    ),
    (
        "repeated actual alert",
        _budget(actual_alert_percents=[80, 80]),
        "actual_alert_percents: must be distinct and ascending",
    ),
    (
        "zero percent alert",
        _budget(actual_alert_percents=[0, 100]),
        "dev.operations.budget.actual_alert_percents.0: Input should be greater than or equal to 1",
    ),
    (
        "forecast percent",
        _budget(forecast_alert_percent=2000),
        "dev.operations.budget.forecast_alert_percent: Input should be less than or equal to 1000",
    ),
    (
        "5xx threshold",
        _alarms(origin_5xx_percent=0),
        "dev.operations.alarms.origin_5xx_percent: Input should be greater than 0",
    ),
    (
        "latency threshold",
        _alarms(origin_p99_seconds=120),
        "dev.operations.alarms.origin_p99_seconds: Input should be less than or equal to 60",
    ),
    (
        "error rate threshold",
        _alarms(lambda_error_percent="high"),
        "dev.operations.alarms.lambda_error_percent: Input should be a valid number",
    ),
    ("typo in alarms", _alarms(origin_5xx=1), "dev.operations.alarms.origin_5xx: Extra inputs are not permitted"),
    ("operations not an object", {"dev": {"operations": "on"}}, "dev.operations: Input should be a valid dictionary"),
]


@pytest.mark.parametrize(
    ("case", "overrides", "message"), BAD_OPERATIONS_INPUTS, ids=[c[0] for c in BAD_OPERATIONS_INPUTS]
)
def test_bad_operations_values_stop_with_one_message_naming_the_setting(
    case: str, overrides: dict[str, Any], message: str
):
    check_bad_input(case, overrides, message)
