"""The chaos monkey's safety rules against moto (Auto Scaling, SSM, CloudWatch), the real ``run``.

Like Netflix's Chaos Monkey (at most one termination a group per work day by default) and the FIS
experiments of this stack (stopped by the origin 5xx alarm): a dry run is asked for only with a real
boolean, the kill switch opens only on exactly "enabled", a group that lost an instance recently is
left alone, and nothing happens while a watched alarm fires.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from chaos_monkey.monkey import run
from chaos_monkey.rules import Settings
from moto import mock_aws
from moto.autoscaling.responses import AutoScalingResponse
from moto.core.responses import ActionResult

REGION = "us-east-1"
KILL_SWITCH = "/showrunner/dev/chaos-monkey/state"
TERMINATIONS = "/showrunner/dev/chaos-monkey/terminations"
ALARMS = ("showrunner-dev-origin-5xx", "showrunner-dev-origin-p99-latency")
ENV = {
    "ENVIRONMENT": "dev",
    "KILL_SWITCH_PARAMETER": KILL_SWITCH,
    "DRY_RUN": "false",
    "BUSINESS_DAYS": "MON,TUE,WED,THU,FRI",
    "BUSINESS_HOURS": "10:00-16:00",
    "TIME_ZONE": "America/New_York",
    "TERMINATIONS_PARAMETER": TERMINATIONS,
    "MIN_INTERVAL_MINUTES": "1440",
    "STAND_DOWN_ALARMS": ",".join(ALARMS),
}
WEDNESDAY_NOON = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)  # 12:00 in New York


class Fleet:
    def __init__(self) -> None:
        self.clients = {
            name: boto3.client(name, region_name=REGION) for name in ("ssm", "autoscaling", "cloudwatch", "ec2")
        }

    def __getitem__(self, name: str) -> Any:
        return self.clients[name]

    def running(self) -> set[str]:
        reservations = self["ec2"].describe_instances()["Reservations"]
        return {i["InstanceId"] for r in reservations for i in r["Instances"] if i["State"]["Name"] == "running"}

    def alarm(self, name: str, state: str) -> None:
        self["cloudwatch"].set_alarm_state(AlarmName=name, StateValue=state, StateReason="test")

    def monkey(self, event: Any = None, now: datetime = WEDNESDAY_NOON, **env: str) -> dict[str, Any]:
        return run(
            {} if event is None else event,
            settings=Settings.from_env({**ENV, **env}),
            now=now,
            ssm=self["ssm"],
            autoscaling=self["autoscaling"],
            cloudwatch=self["cloudwatch"],
            rng=random.Random(1),
        )


@pytest.fixture
def fleet(monkeypatch: pytest.MonkeyPatch) -> Iterator[Fleet]:
    def no_refreshes(_self: AutoScalingResponse) -> ActionResult:  # moto 5.2 lacks DescribeInstanceRefreshes
        return ActionResult({"InstanceRefreshes": []})

    monkeypatch.setattr(AutoScalingResponse, "describe_instance_refreshes", no_refreshes, raising=False)
    with mock_aws():
        fleet = Fleet()
        fleet["ssm"].put_parameter(Name=KILL_SWITCH, Value="enabled", Type="String")
        fleet["ssm"].put_parameter(Name=TERMINATIONS, Value="{}", Type="String")
        for name in ALARMS:
            fleet["cloudwatch"].put_metric_alarm(
                AlarmName=name,
                MetricName="m",
                Namespace="Showrunner",
                Statistic="Sum",
                Period=60,
                EvaluationPeriods=1,
                Threshold=1,
                ComparisonOperator="GreaterThanThreshold",
            )
            fleet.alarm(name, "OK")
        fleet["ec2"].create_launch_template(
            LaunchTemplateName="origin", LaunchTemplateData={"ImageId": "ami-12c6146b", "InstanceType": "t4g.micro"}
        )
        fleet["autoscaling"].create_auto_scaling_group(
            AutoScalingGroupName="dev-origin",
            LaunchTemplate={"LaunchTemplateName": "origin"},
            MinSize=3,
            MaxSize=6,
            DesiredCapacity=3,
            AvailabilityZones=["us-east-1a", "us-east-1b"],
            Tags=[
                {"Key": "showrunner:chaos-monkey", "Value": "opt-in", "PropagateAtLaunch": True},
                {"Key": "environment", "Value": "dev", "PropagateAtLaunch": True},
            ],
        )
        yield fleet


def _untouched(fleet: Fleet, before: set[str], record: dict[str, Any], reason: str) -> None:
    assert (record["action"], record["reason"]) == ("skip", reason), record
    assert fleet.running() == before


# --- dryRun: a real boolean, or nothing happens -------------------------------------------------------------


@pytest.mark.parametrize("value", ["true", "false", "yes", 1, 0, None, [], {"dryRun": True}])
def test_dry_run_is_asked_only_with_a_boolean_anything_else_is_refused(fleet: Fleet, value: Any):
    before = fleet.running()
    record = fleet.monkey({"dryRun": value})
    _untouched(fleet, before, record, "invalid-event")
    assert record["message"].startswith("dryRun must be true or false, got ")


@pytest.mark.parametrize("event", [["dryRun"], "dryRun", 42])
def test_an_event_that_is_not_an_object_is_refused(fleet: Fleet, event: Any):
    before = fleet.running()
    _untouched(fleet, before, fleet.monkey(event), "invalid-event")


def test_a_boolean_dry_run_decides_and_records_nothing(fleet: Fleet):
    before = fleet.running()
    record = fleet.monkey({"dryRun": True})
    assert (record["action"], record["dryRun"]) == ("dry-run", True)
    assert fleet.running() == before
    assert fleet["ssm"].get_parameter(Name=TERMINATIONS)["Parameter"]["Value"] == "{}"


# --- the kill switch means exactly "enabled" ------------------------------------------------------------------


@pytest.mark.parametrize("value", [" enabled", "enabled\n", "Enabled", "ENABLED", "enabled "])
def test_the_kill_switch_opens_only_on_exactly_enabled(fleet: Fleet, value: str):
    fleet["ssm"].put_parameter(Name=KILL_SWITCH, Value=value, Type="String", Overwrite=True)
    before = fleet.running()
    _untouched(fleet, before, fleet.monkey(), "kill-switch-off")


# --- one termination a group per interval ---------------------------------------------------------------------


def test_a_group_loses_at_most_one_instance_per_interval(fleet: Fleet):
    first = fleet.monkey()
    assert first["action"] == "terminate"
    assert fleet["ssm"].get_parameter(Name=TERMINATIONS)["Parameter"]["Value"] == (
        '{"dev-origin":"2026-11-25T17:00:00+00:00"}'
    )
    before = fleet.running()
    an_hour_later = fleet.monkey(now=WEDNESDAY_NOON + timedelta(hours=1))
    assert (an_hour_later["action"], an_hour_later["reason"]) == ("skip", "no-eligible-group")
    assert an_hour_later["skippedGroups"] == [
        {
            "group": "dev-origin",
            "reason": "terminated-recently",
            "detail": "last termination 2026-11-25T17:00:00+00:00; next not before 2026-11-26T17:00:00+00:00",
        }
    ]
    assert fleet.running() == before
    next_day = fleet.monkey(now=WEDNESDAY_NOON + timedelta(days=1))
    assert next_day["action"] == "terminate"


@pytest.mark.parametrize(
    "value", ["not json", "[]", '{"dev-origin": "yesterday"}', '{"dev-origin": "2026-11-25T17:00:00"}']
)
def test_an_unreadable_termination_record_stops_the_run(fleet: Fleet, value: str):
    fleet["ssm"].put_parameter(Name=TERMINATIONS, Value=value, Type="String", Overwrite=True)
    before = fleet.running()
    _untouched(fleet, before, fleet.monkey(), "terminations-unreadable")


def test_the_termination_is_recorded_before_it_is_made(fleet: Fleet, monkeypatch: pytest.MonkeyPatch):
    def refused(**_: Any) -> None:
        raise RuntimeError("PutParameter refused")

    monkeypatch.setattr(fleet["ssm"], "put_parameter", refused)
    before = fleet.running()
    with pytest.raises(RuntimeError, match="PutParameter refused"):
        fleet.monkey()
    assert fleet.running() == before


# --- stand down while the origin or the edge is in trouble ----------------------------------------------------


@pytest.mark.parametrize("firing", ALARMS)
def test_it_stands_down_while_a_watched_alarm_is_in_alarm(fleet: Fleet, firing: str):
    fleet.alarm(firing, "ALARM")
    before = fleet.running()
    record = fleet.monkey()
    _untouched(fleet, before, record, "stand-down")
    assert firing in record["message"]
    fleet.alarm(firing, "OK")
    assert fleet.monkey()["action"] == "terminate"


def test_insufficient_data_does_not_stand_it_down_but_a_missing_alarm_does(fleet: Fleet):
    fleet.alarm(ALARMS[0], "INSUFFICIENT_DATA")
    assert fleet.monkey()["action"] == "terminate"
    fleet["cloudwatch"].delete_alarms(AlarmNames=[ALARMS[1]])
    before = fleet.running()
    _untouched(fleet, before, fleet.monkey(now=WEDNESDAY_NOON + timedelta(days=2)), "stand-down-alarm-missing")
