"""Operations stack: chaos monkey, FIS experiments with stop conditions, alarms to SNS, dashboard, budget."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import App, Stack
from aws_cdk.assertions import Template

from stacks.app_builder import configs_from_context
from stacks.config import load_config
from stacks.constructs.chaos_monkey import BusinessHours, business_hours_cron
from stacks.constructs.props import EnvironmentProps
from stacks.constructs.python_function import PythonFunction
from stacks.stage import ShowrunnerStage
from tests.support.synth import Synthesized, cdk_context
from tests.support.templates import logical_id_by_path, resources_of_type

ALL_WEEKDAYS = "MON,TUE,WED,THU,FRI"
# The Kinesis streams of each environment (dev leaves the CDN log stream out), by display name and construct id.
STREAMS = {
    "dev": {"player-events": "PlayerEvents"},
    "staging": {"player-events": "PlayerEvents", "cdn-logs": "CdnLogs"},
    "prod": {"player-events": "PlayerEvents", "cdn-logs": "CdnLogs"},
}


def _one(template: dict[str, Any], resource_type: str) -> tuple[str, dict[str, Any]]:
    found = resources_of_type(template, resource_type)
    assert len(found) == 1, f"expected one {resource_type}, found {sorted(found)}"
    ((logical_id, resource),) = found.items()
    return logical_id, resource


def _output(synthesized: Synthesized, env: str, value: Any) -> tuple[str, Any]:
    """(producer stack, what the producer's output holds) for a ``Fn::GetStackOutput``."""
    reference = value["Fn::GetStackOutput"]
    stack_name = reference["StackName"]
    (producer,) = [s for s in synthesized.stacks if s.stage == env and s.stack_name == stack_name]
    return stack_name, producer.template["Outputs"][reference["OutputName"]]["Value"]


def _alerts_topic(synthesized: Synthesized, env: str) -> tuple[str, Any]:
    topic_id, _ = _one(synthesized.stack(env, "Alerts").template, "AWS::SNS::Topic")
    return f"{env}-Alerts", {"Ref": topic_id}


def _alb_full_name(synthesized: Synthesized, env: str) -> tuple[str, Any]:
    alb_id, _ = _one(synthesized.stack(env, "Origin").template, "AWS::ElasticLoadBalancingV2::LoadBalancer")
    return f"{env}-Origin", {"Fn::GetAtt": [alb_id, "LoadBalancerFullName"]}


def _render(value: Any) -> str:
    """A ``Fn::Join`` of literal strings and intrinsics, each intrinsic written as ``<its JSON, quoted with '>``.

    Single quotes keep a rendered JSON document (a dashboard body) parseable; ``_intrinsic`` reads one back.
    """
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and set(value) == {"Fn::Join"}:
        separator: str = value["Fn::Join"][0]
        return separator.join(_render(part) for part in value["Fn::Join"][1])
    return "<" + json.dumps(value, sort_keys=True, separators=(",", ":")).replace('"', "'") + ">"


def _intrinsic(rendered: str) -> Any:
    assert rendered.startswith("<"), rendered
    assert rendered.endswith(">"), rendered
    return json.loads(rendered[1:-1].replace("'", '"'))


def _metric(props: dict[str, Any]) -> dict[str, Any]:
    """Namespace, name, dimensions, statistic and period of a single-metric alarm, in either template form."""
    if "MetricName" in props:
        return {
            "namespace": props["Namespace"],
            "name": props["MetricName"],
            "dimensions": props["Dimensions"],
            "stat": props.get("Statistic") or props.get("ExtendedStatistic"),
            "period": props["Period"],
        }
    ((query,),) = [props["Metrics"]]
    stat = query["MetricStat"]
    return {
        "namespace": stat["Metric"]["Namespace"],
        "name": stat["Metric"]["MetricName"],
        "dimensions": stat["Metric"]["Dimensions"],
        "stat": stat["Stat"],
        "period": stat["Period"],
    }


def _metric_namespaces(props: dict[str, Any]) -> set[str]:
    """The namespaces of every metric an alarm reads."""
    if "Namespace" in props:
        return {props["Namespace"]}
    return {m["MetricStat"]["Metric"]["Namespace"] for m in props["Metrics"] if "MetricStat" in m}


def _dashboard(template: dict[str, Any]) -> list[dict[str, Any]]:
    _, dashboard = _one(template, "AWS::CloudWatch::Dashboard")
    body: dict[str, Any] = json.loads(_render(dashboard["Properties"]["DashboardBody"]))
    widgets: list[dict[str, Any]] = body["widgets"]
    return widgets


def _statements(policy: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in policy["Properties"]["PolicyDocument"]["Statement"] if "Sid" in s}


# --- place in the stage ------------------------------------------------------------------------


def test_operations_comes_last_and_nothing_depends_on_it(synthesized: Synthesized, env: str):
    operations = synthesized.stack(env, "Operations")
    origin = synthesized.stack(env, "Origin")
    alerts = synthesized.stack(env, "Alerts")
    assert {origin.artifact_id, alerts.artifact_id} <= set(operations.dependencies)
    assert not [s.display_name for s in synthesized.stacks if operations.artifact_id in s.dependencies]
    assert operations.termination_protection is (env == "prod")


# --- chaos monkey ------------------------------------------------------------------------------


def _stand_down_alarms(template: dict[str, Any]) -> list[str]:
    """The logical ids of the alarms the chaos monkey stands down on, in order: the origin's, then the edge's."""
    paths = ["Origin5xx", "OriginLatency", "FleetBelowMinimum", "Edge5xx"]
    alarms = resources_of_type(template, "AWS::CloudWatch::Alarm")
    return [
        logical_id
        for path in paths
        for logical_id, alarm in alarms.items()
        if alarm["Metadata"]["aws:cdk:path"].endswith(f"/Alarms/{path}/Resource")
    ]


def test_reserved_concurrency_only_from_its_setting_and_named_in_the_metadata():
    overrides = {"dev": {"operations": {"chaos_monkey": {"reserved_concurrency": 2}}}}
    app = App(context=cdk_context(overrides=overrides))
    stage = ShowrunnerStage(app, configs_from_context(app)["dev"])
    _, function = _one(dict(Template.from_stack(stage.operations).to_json()), "AWS::Lambda::Function")
    assert function["Properties"]["ReservedConcurrentExecutions"] == 2
    assert function["Metadata"]["showrunner:settings"] == {
        "ReservedConcurrentExecutions": "operations.chaos_monkey.reserved_concurrency"
    }


def test_a_function_cannot_reserve_concurrency_but_from_a_setting():
    stack = Stack(App(context=cdk_context()), "Probe")
    env = EnvironmentProps(name="probe", retain_data=False, log_retention_days=14, noncurrent_versions_days=7)
    with pytest.raises(TypeError, match="from a configuration setting"):
        PythonFunction(stack, "Fn", env=env, source="chaos_monkey", description="d", reserved_concurrent_executions=1)


def test_chaos_monkey_function_and_its_settings(synthesized: Synthesized, env: str):
    config = synthesized.configs[env]
    template = synthesized.stack(env, "Operations").template
    _, function = _one(template, "AWS::Lambda::Function")
    parameter_id = logical_id_by_path(template, "ChaosMonkey/KillSwitch/Resource")
    terminations_id = logical_id_by_path(template, "ChaosMonkey/Terminations/Resource")
    alarms = _stand_down_alarms(template)
    assert len(alarms) == 2 + (config.origin.min_capacity > 0) + (config.region == "us-east-1")
    props = function["Properties"]
    assert props["Handler"] == "chaos_monkey.handler.handler"
    assert (props["Runtime"], props["Architectures"]) == ("python3.14", ["arm64"])
    assert "ReservedConcurrentExecutions" not in props  # off unless configured (new accounts' quotas)
    assert props["Timeout"] == 60
    (invoke_config,) = resources_of_type(template, "AWS::Lambda::EventInvokeConfig").values()
    assert invoke_config["Properties"]["MaximumRetryAttempts"] == 0  # a retried run could terminate twice
    assert (
        props["Environment"]["Variables"]
        == {
            "ENVIRONMENT": env,
            "KILL_SWITCH_PARAMETER": {"Ref": parameter_id},  # its name
            "DRY_RUN": "false",
            "BUSINESS_DAYS": ALL_WEEKDAYS,
            "BUSINESS_HOURS": "10:00-16:00",
            "TIME_ZONE": "America/New_York",
            "TERMINATIONS_PARAMETER": {"Ref": terminations_id},
            "MIN_INTERVAL_MINUTES": "1440",
            "STAND_DOWN_ALARMS": {"Fn::Join": ["", [part for a in alarms for part in (",", {"Ref": a})][1:]]},
        }
    )
    assert config.chaos_time_zone == "America/New_York"
    terminations = template["Resources"][terminations_id]["Properties"]
    assert (terminations["Name"], terminations["Value"]) == (f"/showrunner/{env}/chaos-monkey/terminations", "{}")


def test_kill_switch_and_schedule_run_in_dev_and_staging_and_are_off_in_prod(synthesized: Synthesized, env: str):
    template = synthesized.stack(env, "Operations").template
    parameter = template["Resources"][logical_id_by_path(template, "ChaosMonkey/KillSwitch/Resource")]
    assert parameter["Properties"]["Name"] == f"/showrunner/{env}/chaos-monkey/state"
    assert parameter["Properties"]["Value"] == ("disabled" if env == "prod" else "enabled")

    function_id, _ = _one(template, "AWS::Lambda::Function")
    _, schedule = _one(template, "AWS::Scheduler::Schedule")
    props = schedule["Properties"]
    assert props["State"] == ("DISABLED" if env == "prod" else "ENABLED")
    assert props["ScheduleExpression"] == f"cron(0 10-15 ? * {ALL_WEEKDAYS} *)"
    assert props["ScheduleExpressionTimezone"] == "America/New_York"
    assert props["FlexibleTimeWindow"] == {"Mode": "OFF"}
    target = props["Target"]
    assert target["Arn"] == {"Fn::GetAtt": [function_id, "Arn"]}
    assert target["RetryPolicy"] == {"MaximumRetryAttempts": 0, "MaximumEventAgeInSeconds": 300}


def test_chaos_monkey_may_only_read_its_switch_and_terminate_in_opted_in_groups_of_its_environment(
    synthesized: Synthesized, env: str
):
    template = synthesized.stack(env, "Operations").template
    parameter_id = logical_id_by_path(template, "ChaosMonkey/KillSwitch/Resource")
    terminations_id = logical_id_by_path(template, "ChaosMonkey/Terminations/Resource")
    policy_id = logical_id_by_path(template, "ChaosMonkey/FunctionRole/DefaultPolicy/Resource")
    statements = template["Resources"][policy_id]["Properties"]["PolicyDocument"]["Statement"]
    logs = [s for s in statements if "Sid" not in s]
    assert [s["Action"] for s in logs] == [["logs:CreateLogStream", "logs:PutLogEvents"]]
    named = {s["Sid"]: s for s in statements if "Sid" in s}
    alarms = named["ReadStandDownAlarms"]
    alarms["Resource"] = sorted(alarms["Resource"], key=json.dumps)  # CDK orders a statement's resources itself
    assert named == {
        "ReadKillSwitch": {
            "Sid": "ReadKillSwitch",
            "Effect": "Allow",
            "Action": "ssm:GetParameter",
            "Resource": {
                "Fn::Join": [
                    "",
                    ["arn:aws:ssm:us-east-1:", {"Ref": "AWS::AccountId"}, ":parameter", {"Ref": parameter_id}],
                ]
            },
        },
        "RecordTerminations": {
            "Sid": "RecordTerminations",
            "Effect": "Allow",
            "Action": ["ssm:GetParameter", "ssm:PutParameter"],
            "Resource": {
                "Fn::Join": [
                    "",
                    ["arn:aws:ssm:us-east-1:", {"Ref": "AWS::AccountId"}, ":parameter", {"Ref": terminations_id}],
                ]
            },
        },
        "ReadStandDownAlarms": {
            "Sid": "ReadStandDownAlarms",
            "Effect": "Allow",
            "Action": "cloudwatch:DescribeAlarms",
            "Resource": sorted(({"Fn::GetAtt": [a, "Arn"]} for a in _stand_down_alarms(template)), key=json.dumps),
        },
        "DescribeGroups": {
            "Sid": "DescribeGroups",
            "Effect": "Allow",
            "Action": ["autoscaling:DescribeAutoScalingGroups", "autoscaling:DescribeInstanceRefreshes"],
            "Resource": "*",
        },
        "TerminateInOptedInGroupsOfThisEnvironment": {
            "Sid": "TerminateInOptedInGroupsOfThisEnvironment",
            "Effect": "Allow",
            "Action": "autoscaling:TerminateInstanceInAutoScalingGroup",
            "Resource": {
                "Fn::Join": [
                    "",
                    [
                        "arn:aws:autoscaling:us-east-1:",
                        {"Ref": "AWS::AccountId"},
                        ":autoScalingGroup:*:autoScalingGroupName/*",
                    ],
                ]
            },
            "Condition": {
                "StringEquals": {
                    "autoscaling:ResourceTag/showrunner:chaos-monkey": "opt-in",
                    "autoscaling:ResourceTag/environment": env,
                }
            },
        },
    }


@pytest.mark.parametrize(
    ("start", "end", "days", "expected"),
    [
        ("10:00", "16:00", ["MON", "FRI"], {"minute": "0", "hour": "10-15", "week_day": "MON,FRI"}),
        ("13:30", "15:00", ["TUE"], {"minute": "30", "hour": "13-14", "week_day": "TUE"}),
        ("13:30", "14:00", ["TUE"], {"minute": "30", "hour": "13", "week_day": "TUE"}),
        ("09:15", "17:45", ["SAT", "SUN"], {"minute": "15", "hour": "9-17", "week_day": "SAT,SUN"}),
        ("09:15", "17:15", ["WED"], {"minute": "15", "hour": "9-16", "week_day": "WED"}),
    ],
)
def test_the_schedule_fires_hourly_inside_business_hours(
    start: str, end: str, days: list[str], expected: dict[str, str]
):
    hours = BusinessHours(days=days, start=start, end=end, time_zone="UTC")
    assert business_hours_cron(hours) == expected


def test_the_origin_group_opts_in_and_tags_its_instances_for_fis(synthesized: Synthesized, env: str):
    template = synthesized.stack(env, "Origin").template
    _, group = _one(template, "AWS::AutoScaling::AutoScalingGroup")
    tags = {t["Key"]: (t["Value"], t["PropagateAtLaunch"]) for t in group["Properties"]["Tags"]}
    assert tags["showrunner:chaos-monkey"] == ("opt-in", False)
    assert tags["showrunner:component"] == ("origin", True)
    assert tags["environment"] == (env, True)
    assert tags["project"] == ("showrunner", True)


def test_burstable_dev_instances_never_bill_surplus_credits(synthesized: Synthesized, env: str):
    _, launch_template = _one(synthesized.stack(env, "Origin").template, "AWS::EC2::LaunchTemplate")
    data = launch_template["Properties"]["LaunchTemplateData"]
    if env == "dev":
        assert data["CreditSpecification"] == {"CpuCredits": "standard"}
        assert data["InstanceType"] == "t4g.micro"
    else:
        assert "CreditSpecification" not in data


# --- FIS ---------------------------------------------------------------------------------------


def test_fis_templates_terminate_30_percent_each_zone_and_stress_cpu_and_stop_on_the_5xx_alarm(
    synthesized: Synthesized, env: str
):
    config = synthesized.configs[env]
    template = synthesized.stack(env, "Operations").template
    alarm_id = logical_id_by_path(template, "Alarms/Origin5xx/Resource")
    role_id = logical_id_by_path(template, "Experiments/Role/Resource")
    experiments = {
        r["Properties"]["Tags"]["Name"].removeprefix(f"showrunner-{env}-"): r["Properties"]
        for r in resources_of_type(template, "AWS::FIS::ExperimentTemplate").values()
    }
    zones = {f"OriginZoneOutage{z[-1].upper()}": z for z in config.availability_zones}
    assert set(experiments) == {"TerminateOriginPercent", "OriginCpuStress", *zones}
    for props in experiments.values():
        assert props["StopConditions"] == [
            {"Source": "aws:cloudwatch:alarm", "Value": {"Fn::GetAtt": [alarm_id, "Arn"]}}
        ]
        assert props["RoleArn"] == {"Fn::GetAtt": [role_id, "Arn"]}
        (target,) = props["Targets"].values()
        assert target["ResourceType"] == "aws:ec2:instance"
        assert target["ResourceTags"] == {"showrunner:component": "origin", "environment": env}
        assert {"Path": "State.Name", "Values": ["running"]} in target["Filters"]
        (action,) = props["Actions"].values()
        assert action["Targets"] == {"Instances": "OriginInstances"}

    terminate = experiments["TerminateOriginPercent"]
    assert terminate["Targets"]["OriginInstances"]["SelectionMode"] == "PERCENT(30)"
    assert terminate["Actions"]["Inject"]["ActionId"] == "aws:ec2:terminate-instances"

    for name, zone in zones.items():
        target = experiments[name]["Targets"]["OriginInstances"]
        assert target["SelectionMode"] == "ALL"
        assert target["Filters"] == [
            {"Path": "State.Name", "Values": ["running"]},
            {"Path": "Placement.AvailabilityZone", "Values": [zone]},
        ]
        assert experiments[name]["Actions"]["Inject"]["ActionId"] == "aws:ec2:terminate-instances"

    stress = experiments["OriginCpuStress"]
    assert stress["Targets"]["OriginInstances"]["SelectionMode"] == "ALL"
    action = stress["Actions"]["Inject"]
    assert action["ActionId"] == "aws:ssm:send-command"
    assert action["Parameters"]["documentArn"] == "arn:aws:ssm:us-east-1::document/AWSFIS-Run-CPU-Stress"
    assert json.loads(action["Parameters"]["documentParameters"]) == {
        "DurationSeconds": "300",
        "CPU": "0",
        "InstallDependencies": "True",
    }
    assert action["Parameters"]["duration"] == "PT6M"


def test_fis_role_trusts_only_this_accounts_experiments_and_touches_only_tagged_origin_instances(
    synthesized: Synthesized, env: str
):
    template = synthesized.stack(env, "Operations").template
    role = template["Resources"][logical_id_by_path(template, "Experiments/Role/Resource")]
    (trust,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "fis.amazonaws.com"}
    assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    assert _render(trust["Condition"]["ArnLike"]["aws:SourceArn"]) == (
        "arn:aws:fis:us-east-1:<{'Ref':'AWS::AccountId'}>:experiment/*"
    )
    assert "ManagedPolicyArns" not in role["Properties"]

    policy = template["Resources"][logical_id_by_path(template, "Experiments/Policy/Resource")]
    statements = _statements(policy)
    instances = "arn:aws:ec2:us-east-1:<{'Ref':'AWS::AccountId'}>:instance/*"
    tags = {"showrunner:component": "origin", "environment": env}
    assert set(statements) == {
        "ResolveTargets",
        "TerminateOriginInstances",
        "SendCpuStressDocument",
        "SendCommandsToOriginInstances",
        "FollowAndCancelCommands",
    }
    assert statements["ResolveTargets"]["Action"] == ["ec2:DescribeInstances", "tag:GetResources"]
    assert statements["TerminateOriginInstances"]["Action"] == "ec2:TerminateInstances"
    assert _render(statements["TerminateOriginInstances"]["Resource"]) == instances
    assert statements["TerminateOriginInstances"]["Condition"] == {
        "StringEquals": {f"aws:ResourceTag/{k}": v for k, v in tags.items()}
    }
    assert statements["SendCpuStressDocument"]["Action"] == "ssm:SendCommand"
    assert statements["SendCpuStressDocument"]["Resource"] == "arn:aws:ssm:us-east-1::document/AWSFIS-Run-CPU-Stress"
    assert _render(statements["SendCommandsToOriginInstances"]["Resource"]) == instances
    assert statements["SendCommandsToOriginInstances"]["Condition"] == {
        "StringEquals": {f"ssm:resourceTag/{k}": v for k, v in tags.items()}
    }
    assert statements["FollowAndCancelCommands"]["Action"] == ["ssm:CancelCommand", "ssm:ListCommands"]
    wildcard = [sid for sid, s in statements.items() if s["Resource"] == "*"]
    assert sorted(wildcard) == ["FollowAndCancelCommands", "ResolveTargets"]
    assert all(s["Effect"] == "Allow" for s in statements.values())


# --- alarms ------------------------------------------------------------------------------------


def test_every_alarm_notifies_the_alerts_topic_when_it_fires_and_clears(synthesized: Synthesized, env: str):
    template = synthesized.stack(env, "Operations").template
    alarms = resources_of_type(template, "AWS::CloudWatch::Alarm")
    names = sorted(a["Properties"]["AlarmName"] for a in alarms.values())
    assert names == sorted(
        f"showrunner-{env}-{n}"
        for n in (
            "origin-5xx",
            "origin-p99-latency",
            "origin-fleet-below-minimum",
            "chaos-monkey-failed",
            "cloudfront-5xx",
            "signed-url-errors",
            "signed-url-throttles",
            "catalog-api-errors",
            "catalog-api-throttles",
            "manifest-rewriter-errors",
            "manifest-rewriter-throttles",
            "key-service-errors",
            "key-service-throttles",
            "event-ingest-errors",
            "event-ingest-throttles",
            "rows-api-errors",
            "rows-api-throttles",
            *(f"{stream}-{alarm}" for stream in STREAMS[env] for alarm in STREAM_ALARMS),
            "nightly-run-failed",
        )
    )
    assert len(names) == {"dev": 21, "staging": 24, "prod": 24}[env]
    topic = _alerts_topic(synthesized, env)
    for alarm in alarms.values():
        props = alarm["Properties"]
        assert [_output(synthesized, env, a) for a in props["AlarmActions"]] == [topic]
        assert [_output(synthesized, env, a) for a in props["OKActions"]] == [topic]


def test_origin_5xx_alarm_is_a_rate_of_alb_requests(synthesized: Synthesized, env: str):
    template = synthesized.stack(env, "Operations").template
    props = template["Resources"][logical_id_by_path(template, "Alarms/Origin5xx/Resource")]["Properties"]
    assert (props["Threshold"], props["ComparisonOperator"]) == (5, "GreaterThanThreshold")
    assert (props["EvaluationPeriods"], props["DatapointsToAlarm"]) == (3, 2)
    assert props["TreatMissingData"] == "notBreaching"
    expression, *inputs = props["Metrics"]
    assert expression["Expression"] == (
        "IF(FILL(requests, 0) >= 10, 100 * (FILL(target5xx, 0) + FILL(elb5xx, 0)) / requests, 0)"
    )
    alb = _alb_full_name(synthesized, env)
    by_id = {m["Id"]: m["MetricStat"] for m in inputs}
    assert {i: s["Metric"]["MetricName"] for i, s in by_id.items()} == {
        "requests": "RequestCount",
        "target5xx": "HTTPCode_Target_5XX_Count",
        "elb5xx": "HTTPCode_ELB_5XX_Count",
    }
    for stat in by_id.values():
        assert (stat["Period"], stat["Stat"], stat["Metric"]["Namespace"]) == (60, "Sum", "AWS/ApplicationELB")
        ((dimension,),) = [stat["Metric"]["Dimensions"]]
        assert dimension["Name"] == "LoadBalancer"
        assert _output(synthesized, env, dimension["Value"]) == alb


def test_fleet_alarm_fires_below_the_configured_minimum_for_ten_minutes(synthesized: Synthesized, env: str):
    template = synthesized.stack(env, "Operations").template
    props = template["Resources"][logical_id_by_path(template, "Alarms/FleetBelowMinimum/Resource")]["Properties"]
    metric = _metric(props)
    assert (metric["namespace"], metric["name"]) == ("AWS/AutoScaling", "GroupInServiceInstances")
    assert (metric["stat"], metric["period"], props["EvaluationPeriods"]) == ("Minimum", 60, 10)
    assert (
        props["Threshold"] == synthesized.configs[env].origin.min_capacity == {"dev": 1, "staging": 2, "prod": 3}[env]
    )
    assert props["ComparisonOperator"] == "LessThanThreshold"
    assert props["TreatMissingData"] == "breaching"
    ((dimension,),) = [metric["dimensions"]]
    group_id, _ = _one(synthesized.stack(env, "Origin").template, "AWS::AutoScaling::AutoScalingGroup")
    assert _output(synthesized, env, dimension["Value"]) == (f"{env}-Origin", {"Ref": group_id})


def test_latency_and_chaos_monkey_alarms(synthesized: Synthesized, env: str):
    template = synthesized.stack(env, "Operations").template
    latency = template["Resources"][logical_id_by_path(template, "Alarms/OriginLatency/Resource")]["Properties"]
    metric = _metric(latency)
    assert (metric["name"], metric["stat"], metric["period"]) == ("TargetResponseTime", "p99", 300)
    assert (latency["Threshold"], latency["EvaluationPeriods"]) == (1, 3)
    chaos = template["Resources"][logical_id_by_path(template, "Alarms/ChaosMonkeyFailed/Resource")]["Properties"]
    function_id, _ = _one(template, "AWS::Lambda::Function")
    metric = _metric(chaos)
    assert (metric["name"], metric["stat"], chaos["Threshold"]) == ("Errors", "Sum", 1)
    assert chaos["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert metric["dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": function_id}}]


# Each stream's alarms: metric, statistic (over 5 minutes) and the description after "<stream> ".
STREAM_ALARMS = {
    "iterator-age": (
        "GetRecords.IteratorAgeMilliseconds",
        "Maximum",
        "records wait more than {minutes} minutes to be read (is Firehose delivering?)",
    ),
    "write-throttled": (
        "WriteProvisionedThroughputExceeded",
        "Sum",
        "writes were throttled: add shards or switch to on_demand (analytics settings)",
    ),
    "failed-records": (
        "PutRecords.FailedRecords",
        "Sum",
        "PutRecords failed records (internal errors); producers must retry them",
    ),
}


STREAM_ALARM_IDS = ("IteratorAge", "WriteThrottled", "FailedRecords")


def test_each_stream_alarms_on_iterator_age_throttling_and_failed_records(synthesized: Synthesized, env: str):
    template = synthesized.stack(env, "Operations").template
    analytics = synthesized.stack(env, "Analytics").template
    alarms = {
        a["Properties"]["AlarmName"]: a["Properties"]
        for a in resources_of_type(template, "AWS::CloudWatch::Alarm").values()
    }
    kinesis = {name for name, props in alarms.items() if _metric_namespaces(props) == {"AWS/Kinesis"}}
    assert kinesis == {f"showrunner-{env}-{s}-{a}" for s in STREAMS[env] for a in STREAM_ALARMS}
    if env == "dev":
        assert not [name for name in alarms if "cdn-logs" in name]  # dev has no CDN log stream
    minutes = {"dev": 30, "staging": 30, "prod": 15}[env]
    assert synthesized.configs[env].analytics.iterator_age_alarm_minutes == minutes
    thresholds = {"iterator-age": minutes * 60_000, "write-throttled": 1, "failed-records": 1}
    topic = _alerts_topic(synthesized, env)
    for stream, construct in STREAMS[env].items():
        stream_ref = (f"{env}-Analytics", {"Ref": logical_id_by_path(analytics, f"{construct}/Stream/Resource")})
        for alarm, (metric_name, statistic, description) in STREAM_ALARMS.items():
            props = alarms[f"showrunner-{env}-{stream}-{alarm}"]
            metric = _metric(props)
            assert (metric["namespace"], metric["name"], metric["stat"], metric["period"]) == (
                "AWS/Kinesis",
                metric_name,
                statistic,
                300,
            )
            ((dimension,),) = [metric["dimensions"]]
            assert dimension["Name"] == "StreamName"
            assert _output(synthesized, env, dimension["Value"]) == stream_ref
            assert props["Threshold"] == thresholds[alarm]
            assert (props["ComparisonOperator"], props["EvaluationPeriods"]) == ("GreaterThanOrEqualToThreshold", 1)
            assert "DatapointsToAlarm" not in props
            assert props["TreatMissingData"] == "notBreaching"
            assert props["AlarmDescription"] == f"Showrunner {env}: {stream} " + description.format(minutes=minutes)
            assert [_output(synthesized, env, a) for a in props["AlarmActions"]] == [topic]
            assert [_output(synthesized, env, a) for a in props["OKActions"]] == [topic]


def test_nightly_run_alarm_fires_on_a_failed_or_timed_out_execution(synthesized: Synthesized, env: str):
    template = synthesized.stack(env, "Operations").template
    props = template["Resources"][logical_id_by_path(template, "Alarms/NightlyRunFailed/Resource")]["Properties"]
    assert props["AlarmName"] == f"showrunner-{env}-nightly-run-failed"
    assert props["AlarmDescription"] == f"Showrunner {env}: the nightly Spark run failed or timed out"
    assert (props["Threshold"], props["ComparisonOperator"]) == (1, "GreaterThanOrEqualToThreshold")
    assert (props["EvaluationPeriods"], props["TreatMissingData"]) == (1, "notBreaching")
    expression, *inputs = props["Metrics"]
    assert (expression["Expression"], expression["ReturnData"]) == ("failed + timedOut", True)
    analytics = synthesized.stack(env, "Analytics").template
    machine = (f"{env}-Analytics", {"Ref": logical_id_by_path(analytics, "NightlySpark/StateMachine/Resource")})
    assert {m["Id"]: m["MetricStat"]["Metric"]["MetricName"] for m in inputs} == {
        "failed": "ExecutionsFailed",
        "timedOut": "ExecutionsTimedOut",
    }
    for metric in inputs:
        stat = metric["MetricStat"]
        assert (stat["Period"], stat["Stat"], stat["Metric"]["Namespace"]) == (300, "Sum", "AWS/States")
        ((dimension,),) = [stat["Metric"]["Dimensions"]]
        assert dimension["Name"] == "StateMachineArn"
        assert _output(synthesized, env, dimension["Value"]) == machine
    topic = _alerts_topic(synthesized, env)
    assert [_output(synthesized, env, a) for a in props["AlarmActions"]] == [topic]
    assert [_output(synthesized, env, a) for a in props["OKActions"]] == [topic]


# --- dashboard ---------------------------------------------------------------------------------


def test_dashboard_covers_alarms_cloudfront_origin_fleet_lambda_kinesis_and_emr(synthesized: Synthesized, env: str):
    template = synthesized.stack(env, "Operations").template
    _, dashboard = _one(template, "AWS::CloudWatch::Dashboard")
    assert dashboard["Properties"]["DashboardName"] == f"showrunner-{env}"
    widgets = _dashboard(template)
    alarm_widget = widgets[0]
    assert alarm_widget["type"] == "alarm"
    alarm_ids = {logical_id for logical_id in resources_of_type(template, "AWS::CloudWatch::Alarm")}
    assert {_intrinsic(a)["Fn::GetAtt"][0] for a in alarm_widget["properties"]["alarms"]} == alarm_ids
    moved = ["NightlyRunFailed", *(f"{c}{a}" for c in STREAMS[env].values() for a in STREAM_ALARM_IDS)]
    assert {logical_id_by_path(template, f"Alarms/{m}/Resource") for m in moved} <= alarm_ids

    assert not [w for w in widgets if w["type"] == "text"]
    graphs = {w["properties"]["title"]: w["properties"]["metrics"] for w in widgets if w["type"] == "metric"}
    assert set(graphs) == {
        "CloudFront requests",
        "CloudFront error rates (%)",
        "CloudFront cache-hit rate (%)",
        "Origin ALB requests and 5xx",
        "Origin 5xx (% of requests)",
        "Origin target response time (s)",
        "Origin fleet (instances)",
        "Lambda errors",
        "Lambda throttles",
        "Lambda duration p99 (ms)",
        "Kinesis iterator age, maximum (ms)",
        "EMR nightly run (Step Functions executions per day)",
    }
    alb = _alb_full_name(synthesized, env)
    assert [m[:3] for m in graphs["Origin ALB requests and 5xx"]] == [
        ["AWS/ApplicationELB", name, "LoadBalancer"]
        for name in ("RequestCount", "HTTPCode_Target_5XX_Count", "HTTPCode_ELB_5XX_Count")
    ]
    for metric in graphs["Origin ALB requests and 5xx"]:
        assert _output(synthesized, env, _intrinsic(metric[3])) == alb
    assert [m[-1]["stat"] for m in graphs["Origin target response time (s)"]] == ["p50", "p99"]
    assert [m[1] for m in graphs["Origin fleet (instances)"]] == [
        "GroupInServiceInstances",
        "GroupDesiredCapacity",
        "GroupMinSize",
    ]
    edge = synthesized.stack(env, "Edge").template
    distribution = (f"{env}-Edge", {"Ref": logical_id_by_path(edge, "Edge/Distribution/Resource")})
    (requests,) = graphs["CloudFront requests"]
    assert requests[:3] == ["AWS/CloudFront", "Requests", "DistributionId"]
    assert _output(synthesized, env, _intrinsic(requests[3])) == distribution
    assert requests[4:6] == ["Region", "Global"]
    assert requests[-1]["region"] == "us-east-1"  # CloudFront publishes there, whatever the stack's region
    assert [m[1] for m in graphs["CloudFront error rates (%)"]] == ["4xxErrorRate", "5xxErrorRate", "TotalErrorRate"]
    assert [m[1] for m in graphs["CloudFront cache-hit rate (%)"]] == ["CacheHitRate"]
    chaos_id, _ = _one(template, "AWS::Lambda::Function")
    analytics = synthesized.stack(env, "Analytics").template
    playback = synthesized.stack(env, "Playback").template
    observed = {
        "SignedUrl": (f"{env}-Playback", {"Ref": logical_id_by_path(playback, "Issuer/Function/Resource")}),
        "CatalogApi": (f"{env}-Playback", {"Ref": logical_id_by_path(playback, "Catalog/Function/Resource")}),
        "ManifestRewriter": (f"{env}-Edge", {"Ref": logical_id_by_path(edge, "Rewriter/Function/Resource")}),
        "KeyService": (f"{env}-Edge", {"Ref": logical_id_by_path(edge, "KeyService/Function/Resource")}),
        "EventIngest": (f"{env}-Analytics", {"Ref": logical_id_by_path(analytics, "Ingestion/Function/Resource")}),
        "RowsApi": (f"{env}-Analytics", {"Ref": logical_id_by_path(analytics, "RowsApi/Function/Resource")}),
    }
    for title, metric, stat in (
        ("Lambda errors", "Errors", "Sum"),
        ("Lambda throttles", "Throttles", "Sum"),
        ("Lambda duration p99 (ms)", "Duration", "p99"),
    ):
        chaos, *others = graphs[title]
        for namespace, name, dimension, _value, _options in graphs[title]:
            assert (namespace, name, dimension) == ("AWS/Lambda", metric, "FunctionName")
        assert _intrinsic(chaos[3]) == {"Ref": chaos_id}
        assert [_output(synthesized, env, _intrinsic(m[3])) for m in others] == list(observed.values())
        # the 5-minute period is the dashboard's default, so it is not written
        assert [m[4] for m in graphs[title]] == [{"label": label, "stat": stat} for label in ("ChaosMonkey", *observed)]
    with_cdn_logs = synthesized.configs[env].analytics.cdn_logs is not None
    streams = {
        name: (f"{env}-Analytics", {"Ref": logical_id_by_path(analytics, f"{construct}/Stream/Resource")})
        for name, construct in (("player-events", "PlayerEvents"), ("cdn-logs", "CdnLogs"))
        if with_cdn_logs or name == "player-events"
    }
    ages = graphs["Kinesis iterator age, maximum (ms)"]
    assert [(m[1], m[-1]["label"], m[-1]["stat"]) for m in ages] == [
        ("GetRecords.IteratorAgeMilliseconds", name, "Maximum") for name in streams
    ]
    assert [_output(synthesized, env, _intrinsic(m[3])) for m in ages] == list(streams.values())
    runs = graphs["EMR nightly run (Step Functions executions per day)"]
    machine = (f"{env}-Analytics", {"Ref": logical_id_by_path(analytics, "NightlySpark/StateMachine/Resource")})
    assert [m[1] for m in runs] == [
        "ExecutionsSucceeded",
        "ExecutionsFailed",
        "ExecutionsTimedOut",
        "ExecutionsAborted",
    ]
    assert {json.dumps(_output(synthesized, env, _intrinsic(m[3]))) for m in runs} == {json.dumps(machine)}


# --- budget ------------------------------------------------------------------------------------


def test_every_environment_has_a_budget_with_actual_and_forecast_alerts_to_the_topic(
    synthesized: Synthesized, env: str
):
    template = synthesized.stack(env, "Operations").template
    _, budget = _one(template, "AWS::Budgets::Budget")
    props = budget["Properties"]
    assert props["Budget"] == {
        "BudgetName": f"showrunner-{env}-monthly",
        "BudgetType": "COST",
        "TimeUnit": "MONTHLY",
        "BudgetLimit": {"Amount": {"dev": 150, "staging": 400, "prod": 2500}[env], "Unit": "USD"},
        "CostFilters": {"TagKeyValue": [f"user:environment${env}"]},
    }
    notifications = [
        (n["Notification"]["NotificationType"], n["Notification"]["Threshold"])
        for n in props["NotificationsWithSubscribers"]
    ]
    assert notifications == [("ACTUAL", 80), ("ACTUAL", 100), ("FORECASTED", 100)]
    topic = _alerts_topic(synthesized, env)
    for notification in props["NotificationsWithSubscribers"]:
        assert notification["Notification"]["ComparisonOperator"] == "GREATER_THAN"
        assert notification["Notification"]["ThresholdType"] == "PERCENTAGE"
        ((subscriber,),) = [notification["Subscribers"]]
        assert subscriber["SubscriptionType"] == "SNS"
        assert _output(synthesized, env, subscriber["Address"]) == topic


# --- alarms on CloudFront and the functions --------------------------------------------------------


def test_cloudfront_and_per_function_alarms(synthesized: Synthesized):
    template = synthesized.stack("staging", "Operations").template
    alarms = {
        a["Properties"]["AlarmName"]: a["Properties"]
        for a in resources_of_type(template, "AWS::CloudWatch::Alarm").values()
    }
    edge = alarms["showrunner-staging-cloudfront-5xx"]
    assert edge["Metrics"][0]["Expression"] == "IF(FILL(requests, 0) >= 50, rate, 0)"
    assert {m["Id"]: m["MetricStat"]["Metric"]["MetricName"] for m in edge["Metrics"][1:]} == {
        "requests": "Requests",
        "rate": "5xxErrorRate",
    }
    assert (edge["Threshold"], edge["EvaluationPeriods"]) == (5, 3)
    errors = alarms["showrunner-staging-signed-url-errors"]
    assert errors["Metrics"][0]["Expression"] == "IF(FILL(invocations, 0) > 0, 100 * FILL(errors, 0) / invocations, 0)"
    assert (errors["Threshold"], errors["EvaluationPeriods"], errors["DatapointsToAlarm"]) == (1, 3, 2)
    playback = synthesized.stack("staging", "Playback").template
    issuer = ("staging-Playback", {"Ref": logical_id_by_path(playback, "Issuer/Function/Resource")})
    for metric in errors["Metrics"][1:]:
        assert _output(synthesized, "staging", metric["MetricStat"]["Metric"]["Dimensions"][0]["Value"]) == issuer
    throttles = alarms["showrunner-staging-event-ingest-throttles"]
    assert (_metric(throttles)["name"], throttles["Threshold"], throttles["DatapointsToAlarm"]) == ("Throttles", 1, 2)


def _operations_in(overrides: dict[str, Any]) -> dict[str, Any]:
    config = load_config(overrides={"staging": overrides})["staging"]
    stage = ShowrunnerStage(App(context=cdk_context()), config)
    return dict(Template.from_stack(stage.operations).to_json())


def test_no_cloudfront_alarm_outside_us_east_1_where_its_metrics_are():
    template = _operations_in(
        {
            "region": "eu-west-1",
            "availability_zones": ["eu-west-1a", "eu-west-1b"],
            "availability_zone_ids": ["euw1-az1", "euw1-az2"],
        }
    )
    names = {a["Properties"]["AlarmName"] for a in resources_of_type(template, "AWS::CloudWatch::Alarm").values()}
    assert "showrunner-staging-cloudfront-5xx" not in names
    assert "showrunner-staging-signed-url-errors" in names
    graphs = {w["properties"]["title"]: w["properties"] for w in _dashboard(template) if w["type"] == "metric"}
    (requests,) = graphs["CloudFront requests"]["metrics"]
    assert requests[-1]["region"] == "us-east-1"  # CloudFront publishes there, whatever the stack's region
    assert _intrinsic(graphs["Lambda errors"]["region"]) == {"Ref": "AWS::Region"}
