"""The chaos monkey's pure decision rules: settings, gates, group eligibility and the choice."""

from __future__ import annotations

import random
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest
from chaos_monkey.rules import (
    BusinessHours,
    ConfigurationError,
    Decision,
    Group,
    Member,
    Settings,
    Skipped,
    choose,
    eligibility,
    gate,
)

ENV = {
    "ENVIRONMENT": "dev",
    "KILL_SWITCH_PARAMETER": "/showrunner/dev/chaos-monkey/state",
    "DRY_RUN": "false",
    "BUSINESS_DAYS": "MON,TUE,WED,THU,FRI",
    "BUSINESS_HOURS": "10:00-16:00",
    "TIME_ZONE": "America/New_York",
}
# Wednesday 2026-11-25, 15:00 UTC = 10:00 in New York (EST, UTC-5): the first minute of business hours.
OPENING = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
TAGS = {"showrunner:chaos-monkey": "opt-in", "environment": "dev"}


def settings(**overrides: str) -> Settings:
    return Settings.from_env({**ENV, **overrides})


def member(instance_id: str, state: str = "InService", health: str = "Healthy", zone: str = "us-east-1a") -> Member:
    return Member(instance_id, state, health, zone)


def group(
    name: str = "dev-origin",
    *ids: str,
    desired: int | None = None,
    members: tuple[Member, ...] | None = None,
    tags: dict[str, str] = TAGS,
    active_refresh: str | None = None,
) -> Group:
    """A group of in-service instances ``ids`` (i-1..i-3 by default), desired capacity = their number."""
    if members is None:
        members = tuple(member(i) for i in ids or ("i-1", "i-2", "i-3"))
    return Group(
        name=name,
        desired_capacity=len(members) if desired is None else desired,
        members=members,
        tags=tags,
        active_refresh=active_refresh,
    )


# --- settings from the environment -----------------------------------------------------------


def test_settings_from_the_functions_environment():
    parsed = settings()
    assert parsed.environment == "dev"
    assert parsed.kill_switch_parameter == "/showrunner/dev/chaos-monkey/state"
    assert parsed.dry_run is False
    assert parsed.hours == BusinessHours(
        frozenset({0, 1, 2, 3, 4}), time(10, 0), time(16, 0), ZoneInfo("America/New_York")
    )
    assert settings(DRY_RUN="TRUE").dry_run is True


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"ENVIRONMENT": ""}, "ENVIRONMENT is not set"),
        ({"ENVIRONMENT": "Dev Env"}, "ENVIRONMENT must be an environment name such as 'dev', got 'Dev Env'"),
        ({"KILL_SWITCH_PARAMETER": "state"}, "KILL_SWITCH_PARAMETER must be an SSM parameter name starting with '/'"),
        ({"DRY_RUN": "yes"}, "DRY_RUN must be 'true' or 'false', got 'yes'"),
        ({"BUSINESS_DAYS": "MON,FUNDAY"}, "BUSINESS_DAYS must be days such as 'MON,TUE', got ['FUNDAY']"),
        ({"BUSINESS_HOURS": "10-16"}, "BUSINESS_HOURS must be 'HH:MM-HH:MM', got '10-16'"),
        ({"BUSINESS_HOURS": "16:00-10:00"}, "BUSINESS_HOURS must end after it starts, got '16:00-10:00'"),
        ({"TIME_ZONE": "Mars/Olympus"}, "TIME_ZONE must be an IANA time zone, got 'Mars/Olympus'"),
        ({"TIME_ZONE": "../etc/passwd"}, "TIME_ZONE must be an IANA time zone"),
    ],
)
def test_bad_settings_name_the_variable(overrides: dict[str, str], message: str):
    with pytest.raises(ConfigurationError) as error:
        settings(**overrides)
    assert message in str(error.value)


def test_a_missing_variable_is_named():
    env = dict(ENV)
    del env["TIME_ZONE"]
    with pytest.raises(ConfigurationError, match=r"^TIME_ZONE is not set$"):
        Settings.from_env(env)


# --- gates: kill switch and business hours ---------------------------------------------------


def test_the_gate_opens_only_for_enabled_within_business_hours():
    assert gate(settings(), now=OPENING, kill_switch="enabled") is None
    assert gate(settings(), now=OPENING, kill_switch=" enabled\n") is None


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (None, "kill-switch-missing"),
        ("disabled", "kill-switch-off"),
        ("ENABLED", "kill-switch-off"),
        ("", "kill-switch-off"),
        ("enabled please", "kill-switch-off"),
    ],
)
def test_anything_but_enabled_in_the_kill_switch_stops_the_run(value: str | None, reason: str):
    decision = gate(settings(), now=OPENING, kill_switch=value)
    assert decision is not None
    assert (decision.action, decision.reason) == ("skip", reason)
    assert "/showrunner/dev/chaos-monkey/state" in decision.message


@pytest.mark.parametrize(
    ("moment", "inside"),
    [
        (datetime(2026, 11, 25, 14, 59, tzinfo=UTC), False),  # Wed 09:59 New York
        (datetime(2026, 11, 25, 15, 0, tzinfo=UTC), True),  # Wed 10:00
        (datetime(2026, 11, 25, 20, 59, tzinfo=UTC), True),  # Wed 15:59
        (datetime(2026, 11, 25, 21, 0, tzinfo=UTC), False),  # Wed 16:00: the window is half-open
        (datetime(2026, 11, 28, 16, 0, tzinfo=UTC), False),  # Sat 11:00
        (datetime(2026, 7, 1, 14, 0, tzinfo=UTC), True),  # Wed 10:00 EDT (UTC-4): daylight saving time
        (datetime(2026, 7, 1, 20, 30, tzinfo=UTC), False),  # Wed 16:30 EDT
    ],
)
def test_business_hours_are_local_days_and_a_half_open_window(moment: datetime, inside: bool):
    decision = gate(settings(), now=moment, kill_switch="enabled")
    if inside:
        assert decision is None
    else:
        assert decision is not None
        assert decision.reason == "outside-business-hours"
        assert "MON,TUE,WED,THU,FRI 10:00-16:00 America/New_York" in decision.message


def test_the_kill_switch_is_checked_before_the_clock():
    saturday = datetime(2026, 11, 28, 16, 0, tzinfo=UTC)
    decision = gate(settings(), now=saturday, kill_switch="disabled")
    assert decision is not None
    assert decision.reason == "kill-switch-off"


# --- group eligibility -----------------------------------------------------------------------


def test_a_steady_opted_in_group_of_this_environment_is_eligible():
    assert eligibility(group(), "dev") is None


@pytest.mark.parametrize(
    ("candidate", "reason", "detail"),
    [
        (group(tags={"environment": "dev"}), "not-opted-in", "tag showrunner:chaos-monkey is not 'opt-in'"),
        (group(tags={**TAGS, "showrunner:chaos-monkey": "yes"}), "not-opted-in", "is not 'opt-in'"),
        (group(tags={**TAGS, "environment": "prod"}), "other-environment", "tag environment is 'prod'"),
        (group(tags={"showrunner:chaos-monkey": "opt-in"}), "other-environment", "tag environment is None"),
        (group(active_refresh="InProgress"), "instance-refresh", "an instance refresh is InProgress"),
        (group(active_refresh="Baking"), "instance-refresh", "an instance refresh is Baking"),
        (group(desired=4), "below-desired-capacity", "3 in service, desired capacity 4"),
        (group(desired=0, members=()), "below-desired-capacity", "0 in service, desired capacity 0"),
        (
            group(members=(member("i-1"), member("i-2"), member("i-3", health="Unhealthy"))),
            "below-desired-capacity",
            "2 in service, desired capacity 3",
        ),
        (
            group(desired=2, members=(member("i-1"), member("i-2"), member("i-3", state="Pending"))),
            "instances-in-transition",
            "i-3=Pending/Healthy",
        ),
        (
            group(desired=2, members=(member("i-1"), member("i-2"), member("i-9", state="Terminating"))),
            "instances-in-transition",
            "i-9=Terminating/Healthy",
        ),
    ],
)
def test_groups_that_are_not_safe_to_touch_are_skipped_with_the_reason(candidate: Group, reason: str, detail: str):
    skipped = eligibility(candidate, "dev")
    assert skipped is not None
    assert (skipped.group, skipped.reason) == ("dev-origin", reason)
    assert detail in skipped.detail


# --- the choice ------------------------------------------------------------------------------


def test_one_in_service_instance_is_chosen_and_the_choice_follows_the_random_source():
    groups = [group("dev-origin", "i-1", "i-2", "i-3"), group("dev-api", "i-4", "i-5")]
    picks = set()
    for seed in range(40):
        decision = choose(settings(), groups, random.Random(seed), dry_run=False)
        assert decision.action == "terminate"
        assert decision.reason == "selected"
        assert decision.candidates == 5
        assert (decision.group, decision.instance) in {
            ("dev-origin", "i-1"),
            ("dev-origin", "i-2"),
            ("dev-origin", "i-3"),
            ("dev-api", "i-4"),
            ("dev-api", "i-5"),
        }
        picks.add(decision.instance)
        # Same seed, same input order or not: the same choice.
        again = choose(settings(), list(reversed(groups)), random.Random(seed), dry_run=False)
        assert again.instance == decision.instance
    assert picks == {"i-1", "i-2", "i-3", "i-4", "i-5"}


def test_only_eligible_groups_supply_candidates_and_the_others_are_reported():
    groups = [group("dev-origin", "i-1", "i-2", "i-3"), group("dev-batch", "i-7", "i-8", desired=3)]
    for seed in range(20):
        decision = choose(settings(), groups, random.Random(seed), dry_run=False)
        assert decision.group == "dev-origin"
        assert decision.candidates == 3
        assert decision.skipped == (Skipped("dev-batch", "below-desired-capacity", "2 in service, desired capacity 3"),)


def test_dry_run_decides_the_same_but_says_it_would():
    decision = choose(settings(), [group()], random.Random(7), dry_run=True)
    real = choose(settings(), [group()], random.Random(7), dry_run=False)
    assert decision.action == "dry-run"
    assert decision.instance == real.instance
    assert decision.message == f"would terminate {real.instance} of dev-origin"


def test_no_groups_and_no_eligible_group_are_skips():
    none = choose(settings(), [], random.Random(0), dry_run=False)
    assert (none.action, none.reason) == ("skip", "no-opted-in-groups")
    assert "showrunner:chaos-monkey=opt-in and environment=dev" in none.message
    blocked = choose(settings(), [group(active_refresh="Pending")], random.Random(0), dry_run=False)
    assert (blocked.action, blocked.reason, blocked.instance) == ("skip", "no-eligible-group", None)
    assert [s.reason for s in blocked.skipped] == ["instance-refresh"]


def test_the_log_record_carries_the_whole_decision():
    decision = Decision(
        "terminate",
        "selected",
        "terminating i-2 of dev-origin",
        group="dev-origin",
        instance="i-2",
        availability_zone="us-east-1b",
        candidates=3,
        skipped=(Skipped("dev-batch", "instance-refresh", "an instance refresh is InProgress"),),
    )
    assert decision.to_log(environment="dev", dry_run=False, at=OPENING) == {
        "event": "chaos-monkey-decision",
        "environment": "dev",
        "action": "terminate",
        "reason": "selected",
        "message": "terminating i-2 of dev-origin",
        "dryRun": False,
        "group": "dev-origin",
        "instance": "i-2",
        "availabilityZone": "us-east-1b",
        "candidates": 3,
        "skippedGroups": [
            {"group": "dev-batch", "reason": "instance-refresh", "detail": "an instance refresh is InProgress"}
        ],
        "time": "2026-11-25T15:00:00+00:00",
    }
