"""The chaos monkey against moto: a 3-instance group loses one instance and gets it back; every safety rule blocks.

The real ``run`` is exercised end to end: the SSM kill switch, DescribeAutoScalingGroups
with its tag filters, DescribeInstanceRefreshes, TerminateInstanceInAutoScalingGroup,
and the structured log record. moto 5.2 does not implement DescribeInstanceRefreshes,
so ``refreshes`` below answers it in moto's own response class, through the real API
shape, with whatever refreshes a test sets.
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import chaos_monkey.handler as handler_module
import pytest
from chaos_monkey.monkey import run
from chaos_monkey.rules import Settings
from moto import mock_aws
from moto.autoscaling.responses import AutoScalingResponse
from moto.core.responses import ActionResult

from tests.support.aws import client

PARAMETER = "/showrunner/dev/chaos-monkey/state"
ENV = {
    "ENVIRONMENT": "dev",
    "KILL_SWITCH_PARAMETER": PARAMETER,
    "DRY_RUN": "false",
    "BUSINESS_DAYS": "MON,TUE,WED,THU,FRI",
    "BUSINESS_HOURS": "10:00-16:00",
    "TIME_ZONE": "America/New_York",
}
WEDNESDAY_NOON = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)  # 12:00 in New York
SATURDAY_NOON = datetime(2026, 11, 28, 17, 0, tzinfo=UTC)
OPT_IN = {"showrunner:chaos-monkey": "opt-in"}


_CLIENTS: dict[str, Any] = {}


def _client(service: str) -> Any:
    """One client per service and test (creating boto3 clients is most of these tests' time)."""
    if service not in _CLIENTS:
        _CLIENTS[service] = client(service)
    return _CLIENTS[service]


@pytest.fixture
def refreshes(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, list[dict[str, Any]]]]:
    """Instance refreshes per group name, served by moto's Auto Scaling API."""
    by_group: dict[str, list[dict[str, Any]]] = {}

    def describe_instance_refreshes(self: AutoScalingResponse) -> ActionResult:
        group = self._get_param("AutoScalingGroupName")
        return ActionResult({"InstanceRefreshes": by_group.get(group, [])})

    monkeypatch.setattr(AutoScalingResponse, "describe_instance_refreshes", describe_instance_refreshes, raising=False)
    _CLIENTS.clear()
    with mock_aws():
        yield by_group
    _CLIENTS.clear()


@pytest.fixture
def aws(refreshes: dict[str, list[dict[str, Any]]]) -> None:
    _client("ssm").put_parameter(Name=PARAMETER, Value="enabled", Type="String")
    # moto does not validate image IDs (and listing its images costs seconds per test).
    _client("ec2").create_launch_template(
        LaunchTemplateName="origin", LaunchTemplateData={"ImageId": "ami-12c6146b", "InstanceType": "t4g.micro"}
    )


def make_group(name: str, tags: dict[str, str], size: int = 3) -> None:
    _client("autoscaling").create_auto_scaling_group(
        AutoScalingGroupName=name,
        LaunchTemplate={"LaunchTemplateName": "origin"},
        MinSize=size,
        MaxSize=size * 2,
        DesiredCapacity=size,
        AvailabilityZones=["us-east-1a", "us-east-1b"],
        Tags=[{"Key": k, "Value": v, "PropagateAtLaunch": True} for k, v in tags.items()],
    )


def members(name: str) -> list[dict[str, Any]]:
    group = _client("autoscaling").describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"][0]
    instances: list[dict[str, Any]] = group["Instances"]
    return instances


def in_service(name: str) -> set[str]:
    return {
        i["InstanceId"] for i in members(name) if (i["LifecycleState"], i["HealthStatus"]) == ("InService", "Healthy")
    }


def ec2_state(instance_id: str) -> str:
    reservations = _client("ec2").describe_instances(InstanceIds=[instance_id])["Reservations"]
    state: str = reservations[0]["Instances"][0]["State"]["Name"]
    return state


def monkey(
    now: datetime = WEDNESDAY_NOON, event: dict[str, Any] | None = None, seed: int = 1, **env: str
) -> dict[str, Any]:
    return run(
        event or {},
        settings=Settings.from_env({**ENV, **env}),
        now=now,
        ssm=_client("ssm"),
        autoscaling=_client("autoscaling"),
        rng=random.Random(seed),
    )


@pytest.mark.usefixtures("aws")
def test_one_instance_is_terminated_and_the_group_returns_to_three_in_service(caplog: pytest.LogCaptureFixture):
    make_group("dev-origin", {**OPT_IN, "environment": "dev"})
    before = in_service("dev-origin")
    assert len(before) == 3

    with caplog.at_level(logging.INFO, logger="chaos_monkey"):
        record = monkey()

    victim = record["instance"]
    assert (record["action"], record["reason"], record["group"]) == ("terminate", "selected", "dev-origin")
    assert victim in before
    assert record["candidates"] == 3
    assert ec2_state(victim) == "terminated"
    after = in_service("dev-origin")
    assert len(after) == 3
    assert victim not in after
    assert len(after - before) == 1  # the replacement
    assert before - after == {victim}  # and nothing else was touched
    (logged,) = [r for r in caplog.records if r.getMessage() == "chaos-monkey decision"]
    assert logged.decision == record  # type: ignore[attr-defined]
    # Lambda's JSON log format writes extra record attributes as top-level JSON fields.
    assert json.loads(json.dumps(logged.decision)) == record  # type: ignore[attr-defined]
    assert record["time"] == "2026-11-25T17:00:00+00:00"


@pytest.mark.usefixtures("aws")
def test_at_most_one_termination_per_run_across_groups_and_only_in_its_own_opted_in_groups():
    make_group("dev-origin", {**OPT_IN, "environment": "dev"})
    make_group("dev-api", {**OPT_IN, "environment": "dev"})
    make_group("staging-origin", {**OPT_IN, "environment": "staging"})
    make_group("dev-batch", {"environment": "dev"})
    names = ("dev-origin", "dev-api", "staging-origin", "dev-batch")
    before = {name: in_service(name) for name in names}

    record = monkey(seed=5)

    terminated = {i for ids in before.values() for i in ids if ec2_state(i) == "terminated"}
    assert terminated == {record["instance"]}
    assert record["group"] in {"dev-origin", "dev-api"}
    assert record["candidates"] == 6
    for name in ("staging-origin", "dev-batch"):
        assert in_service(name) == before[name]


@pytest.mark.usefixtures("aws")
def test_the_handler_reads_its_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch):
    make_group("dev-origin", {**OPT_IN, "environment": "dev"})
    for key, value in {**ENV, "DRY_RUN": "true"}.items():
        monkeypatch.setenv(key, value)

    class Frozen(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> Frozen:
            return cls.fromtimestamp(WEDNESDAY_NOON.timestamp(), tz)

    monkeypatch.setattr(handler_module, "datetime", Frozen)
    handler_module._clients.cache_clear()  # clients of this test's moto
    record = handler_module.handler(None, None)
    assert (record["environment"], record["dryRun"], record["action"]) == ("dev", True, "dry-run")
    assert record["time"] == "2026-11-25T17:00:00+00:00"
    assert len(in_service("dev-origin")) == 3
    assert {ec2_state(i["InstanceId"]) for i in members("dev-origin")} == {"running"}


# --- every safety rule blocks, and nothing is terminated -------------------------------------


def _assert_untouched(record: dict[str, Any], reason: str, before: set[str], *, action: str = "skip") -> None:
    assert (record["action"], record["reason"]) == (action, reason)
    assert in_service("dev-origin") >= before
    assert all(ec2_state(i) == "running" for i in before)


@pytest.mark.usefixtures("aws")
@pytest.mark.parametrize(("value", "reason"), [("disabled", "kill-switch-off"), (None, "kill-switch-missing")])
def test_the_kill_switch_blocks(value: str | None, reason: str):
    make_group("dev-origin", {**OPT_IN, "environment": "dev"})
    before = in_service("dev-origin")
    if value is None:
        _client("ssm").delete_parameter(Name=PARAMETER)
    else:
        _client("ssm").put_parameter(Name=PARAMETER, Value=value, Type="String", Overwrite=True)
    _assert_untouched(monkey(), reason, before)


@pytest.mark.usefixtures("aws")
def test_outside_business_hours_blocks():
    make_group("dev-origin", {**OPT_IN, "environment": "dev"})
    before = in_service("dev-origin")
    _assert_untouched(monkey(now=SATURDAY_NOON), "outside-business-hours", before)


@pytest.mark.usefixtures("aws")
@pytest.mark.parametrize("how", ["setting", "event"])
def test_dry_run_decides_but_never_terminates(how: str):
    make_group("dev-origin", {**OPT_IN, "environment": "dev"})
    before = in_service("dev-origin")
    record = monkey(DRY_RUN="true") if how == "setting" else monkey(event={"dryRun": True})
    _assert_untouched(record, "selected", before, action="dry-run")
    assert record["dryRun"] is True
    assert record["instance"] in before
    assert in_service("dev-origin") == before


@pytest.mark.usefixtures("aws")
def test_an_event_cannot_turn_dry_run_off():
    make_group("dev-origin", {**OPT_IN, "environment": "dev"})
    before = in_service("dev-origin")
    _assert_untouched(monkey(event={"dryRun": False}, DRY_RUN="true"), "selected", before, action="dry-run")


@pytest.mark.usefixtures("aws")
def test_a_group_below_its_desired_capacity_is_left_alone():
    make_group("dev-origin", {**OPT_IN, "environment": "dev"})
    before = in_service("dev-origin")
    sick = sorted(before)[0]
    _client("autoscaling").set_instance_health(InstanceId=sick, HealthStatus="Unhealthy")
    record = monkey()
    assert (record["action"], record["reason"]) == ("skip", "no-eligible-group")
    assert record["skippedGroups"] == [
        {"group": "dev-origin", "reason": "below-desired-capacity", "detail": "2 in service, desired capacity 3"}
    ]
    assert all(ec2_state(i) == "running" for i in before)


@pytest.mark.usefixtures("aws")
def test_a_group_with_an_instance_in_standby_is_left_alone():
    make_group("dev-origin", {**OPT_IN, "environment": "dev"})
    before = in_service("dev-origin")
    parked = sorted(before)[0]
    _client("autoscaling").enter_standby(
        AutoScalingGroupName="dev-origin", InstanceIds=[parked], ShouldDecrementDesiredCapacity=False
    )
    record = monkey()
    assert (record["action"], record["reason"]) == ("skip", "no-eligible-group")
    (skipped,) = record["skippedGroups"]
    assert (skipped["reason"], skipped["detail"]) == ("instances-in-transition", f"{parked}=Standby/Healthy")
    assert all(ec2_state(i) == "running" for i in before)


@pytest.mark.usefixtures("aws")
@pytest.mark.parametrize("status", ["Pending", "InProgress", "Baking", "Cancelling", "RollbackInProgress"])
def test_an_instance_refresh_under_way_blocks(refreshes: dict[str, list[dict[str, Any]]], status: str):
    make_group("dev-origin", {**OPT_IN, "environment": "dev"})
    before = in_service("dev-origin")
    refreshes["dev-origin"] = [
        {"InstanceRefreshId": "r-2", "AutoScalingGroupName": "dev-origin", "Status": status},
        {"InstanceRefreshId": "r-1", "AutoScalingGroupName": "dev-origin", "Status": "Successful"},
    ]
    record = monkey()
    assert record["skippedGroups"] == [
        {"group": "dev-origin", "reason": "instance-refresh", "detail": f"an instance refresh is {status}"}
    ]
    assert all(ec2_state(i) == "running" for i in before)


@pytest.mark.usefixtures("aws")
def test_finished_instance_refreshes_do_not_block(refreshes: dict[str, list[dict[str, Any]]]):
    make_group("dev-origin", {**OPT_IN, "environment": "dev"})
    refreshes["dev-origin"] = [
        {"InstanceRefreshId": "r-2", "AutoScalingGroupName": "dev-origin", "Status": "Successful"},
        {"InstanceRefreshId": "r-1", "AutoScalingGroupName": "dev-origin", "Status": "Failed"},
    ]
    assert monkey()["action"] == "terminate"


@pytest.mark.usefixtures("aws")
def test_no_opted_in_group_in_this_environment():
    make_group("prod-origin", {**OPT_IN, "environment": "prod"})
    before = in_service("prod-origin")
    record = monkey()
    assert (record["action"], record["reason"]) == ("skip", "no-opted-in-groups")
    assert in_service("prod-origin") == before


@pytest.mark.usefixtures("aws")
def test_an_aws_error_is_logged_and_raised(caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch):
    make_group("dev-origin", {**OPT_IN, "environment": "dev"})

    def broken(self: AutoScalingResponse) -> ActionResult:
        raise NotImplementedError("DescribeInstanceRefreshes is down")

    monkeypatch.setattr(AutoScalingResponse, "describe_instance_refreshes", broken)
    with caplog.at_level(logging.INFO, logger="chaos_monkey"), pytest.raises(Exception, match="is down"):
        monkey()
    (logged,) = [r for r in caplog.records if r.getMessage() == "chaos-monkey decision"]
    assert logged.levelno == logging.ERROR
    assert logged.decision["reason"] == "error"  # type: ignore[attr-defined]
    assert "is down" in logged.decision["message"]  # type: ignore[attr-defined]
    assert len(in_service("dev-origin")) == 3
