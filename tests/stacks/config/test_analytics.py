"""Analytics settings (stacks/config/analytics.py): defaults and every kind of bad input."""

from __future__ import annotations

from typing import Any

import pytest

from stacks.config import load_config
from tests.stacks.config.test_config import test_bad_values_stop_with_one_message_naming_the_setting as check_bad_input


def test_defaults_choose_capacity_by_cost_and_scale_emr_by_environment():
    configs = load_config()
    dev, prod = configs["dev"].analytics, configs["prod"].analytics
    assert (dev.player_events.mode, dev.player_events.shards) == ("provisioned", 1)
    assert prod.cdn_logs is not None
    assert prod.player_events.mode == prod.cdn_logs.mode == "on_demand"
    assert dev.cdn_logs is None  # no CloudFront real-time logs in dev (docs/cost.md)
    assert (dev.stream_retention_hours, prod.stream_retention_hours) == (24, 168)
    assert dev.emr.release_label == prod.emr.release_label == "emr-7.13.0"
    assert (dev.emr.core_units, dev.emr.task_spot_units, dev.emr.max_units) == (1, 1, 4)
    assert (prod.emr.core_units, prod.emr.task_spot_units, prod.emr.max_units) == (2, 4, 20)


def test_overrides_reach_the_analytics_settings():
    config = load_config(overrides={"prod": {"analytics": {"player_events": {"mode": "provisioned", "shards": 24}}}})
    assert config["prod"].analytics.player_events.shards == 24
    cdn_logs = config["prod"].analytics.cdn_logs
    assert cdn_logs is not None
    assert cdn_logs.mode == "on_demand"
    staging = load_config(overrides={"staging": {"analytics": {"cdn_logs": None}}})["staging"].analytics
    assert staging.cdn_logs is None


def _emr(**changes: Any) -> dict[str, Any]:
    return {"dev": {"analytics": {"emr": changes}}}


BAD_INPUTS = [
    (
        "unknown mode",
        {"dev": {"analytics": {"cdn_logs": {"mode": "auto"}}}},
        "dev.analytics.cdn_logs.mode: Input should be 'provisioned' or 'on_demand'",
    ),
    (
        "zero shards",
        {"dev": {"analytics": {"player_events": {"shards": 0}}}},
        "dev.analytics.player_events.shards: Input should be greater than or equal to 1",
    ),
    (
        "retention under a day",
        {"dev": {"analytics": {"stream_retention_hours": 12}}},
        "dev.analytics.stream_retention_hours: Input should be greater than or equal to 24",
    ),
    (
        "retention over a year",
        {"dev": {"analytics": {"stream_retention_hours": 9000}}},
        "dev.analytics.stream_retention_hours: Input should be less than or equal to 8760",
    ),
    (
        "alarm after data expires",
        {"dev": {"analytics": {"iterator_age_alarm_minutes": 1440}}},
        "dev.analytics.iterator_age_alarm_minutes: is 1440 minutes, not less than the stream retention (24 hours)",
    ),
    (
        "buffer over 900 s",
        {"dev": {"analytics": {"firehose_buffer_seconds": 901}}},
        "dev.analytics.firehose_buffer_seconds: Input should be less than or equal to 900",
    ),
    (
        "buffer over 128 MiB",
        {"dev": {"analytics": {"firehose_buffer_mib": 129}}},
        "dev.analytics.firehose_buffer_mib: Input should be less than or equal to 128",
    ),
    ("EMR 6", _emr(release_label="emr-6.15.0"), "dev.analytics.emr.release_label: String should match pattern"),
    ("not a cron", _emr(schedule="rate(1 day)"), "dev.analytics.emr.schedule: must be an EventBridge cron expression"),
    (
        "five-field cron",
        _emr(schedule="cron(0 3 * * *)"),
        "dev.analytics.emr.schedule: must be an EventBridge cron expression",
    ),
    (
        "bad instance type",
        _emr(task_instance_types=["m7g-xlarge"]),
        "dev.analytics.emr.task_instance_types: must be EC2 instance types such as m7g.xlarge, got ['m7g-xlarge']",
    ),
    (
        "repeated instance type",
        _emr(core_instance_types=["m7g.xlarge", "m7g.xlarge"]),
        "dev.analytics.emr.core_instance_types: lists an instance type more than once",
    ),
    (
        "no task types",
        _emr(task_instance_types=[]),
        "dev.analytics.emr.task_instance_types: List should have at least 1 item",
    ),
    (
        "no spot capacity",
        _emr(task_spot_units=0),
        "dev.analytics.emr.task_spot_units: Input should be greater than or equal to 1",
    ),
    ("max below start", _emr(max_units=1), "dev.analytics.emr.max_units: Input should be greater than or equal to 2"),
    (
        "max below core + task",
        _emr(core_units=3, task_spot_units=3, max_units=5),
        "dev.analytics.emr.max_units: is 5, below core_units + task_spot_units (3 + 3)",
    ),
    (
        "step timeout too short",
        _emr(step_timeout_minutes=5),
        "dev.analytics.emr.step_timeout_minutes: Input should be greater than or equal to 10",
    ),
    ("unknown key", {"dev": {"analytics": {"shards": 2}}}, "dev.analytics.shards: Extra inputs are not permitted"),
]


@pytest.mark.parametrize(("case", "overrides", "message"), BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS])
def test_bad_analytics_values_stop_with_one_message_naming_the_setting(
    case: str, overrides: dict[str, Any], message: str
):
    check_bad_input(case, overrides, message)
