"""The rows' retention (``personalization.*``): defaults, the schedule it must outlast, bad input."""

from __future__ import annotations

from typing import Any

import pytest

from stacks.config import load_config
from stacks.config.personalization import longest_gap_days
from tests.stacks.config.test_config import test_bad_values_stop_with_one_message_naming_the_setting as check_bad_input


def test_defaults_outlast_each_environments_run_schedule():
    configs = load_config()
    assert {env: c.personalization.rows_retention_days for env, c in configs.items()} == {
        "dev": 21,
        "staging": 7,
        "prod": 7,
    }
    for config in configs.values():
        assert config.personalization.rows_retention_days > longest_gap_days(config.analytics.emr.schedule)


@pytest.mark.parametrize(
    ("schedule", "days"),
    [
        ("cron(0 3 * * ? *)", 1),
        ("cron(0 3 ? * SUN *)", 7),
        ("cron(0 3 ? * MON-FRI *)", 3),  # Friday to Monday
        ("cron(0 3 ? * FRI-MON *)", 4),  # Monday to Friday, through the week's end
        ("cron(0 3 ? * 1,4 *)", 4),  # Wednesday (4) to Sunday (1)
        ("cron(0 3 ? * 2#1 *)", 7),  # the first Monday is counted as every Monday: a lower bound
        ("cron(0 3 1 * ? *)", 31),
    ],
)
def test_longest_gap_between_runs(schedule: str, days: int):
    assert longest_gap_days(schedule) == days


def test_a_weekly_run_needs_more_than_a_week_of_retention():
    weekly = {"analytics": {"emr": {"schedule": "cron(0 3 ? * SUN *)"}}}
    assert load_config(overrides={"staging": {**weekly, "personalization": {"rows_retention_days": 8}}})
    check_bad_input(
        "personalization",
        {"staging": weekly},
        "staging.personalization.rows_retention_days: is 7 days, not more than the longest gap between two runs "
        "of analytics.emr.schedule (7 days): the rows viewers see would expire before the next run replaces them",
    )


@pytest.mark.parametrize(
    ("personalization", "message"),
    [
        ({"rows_retention_days": 1}, "rows_retention_days: Input should be greater than or equal to 2"),
        ({"rows_retention_days": 91}, "rows_retention_days: Input should be less than or equal to 90"),
        ({"rows_retention_days": "a week"}, "rows_retention_days: Input should be a valid integer"),
        ({"row_length": 10}, "row_length: Extra inputs are not permitted"),
    ],
)
def test_bad_personalization_values(personalization: dict[str, Any], message: str):
    overrides = {"prod": {"personalization": personalization}}
    check_bad_input("personalization", overrides, f"prod.personalization.{message}")


def test_a_day_of_week_that_is_not_one_stops_synth():
    check_bad_input(
        "personalization",
        {"staging": {"analytics": {"emr": {"schedule": "cron(0 3 ? * FUNDAY *)"}}}},
        "'FUNDAY' is not a day of the week",
    )
