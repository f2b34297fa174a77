"""What each environment provisions that bills while idle: the inventory docs/cost.md prices.

If a template change adds or removes something here, this fails until the
inventory, and the idle cost in docs/cost.md, are updated together.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from aws_cdk import App, Duration, Stack
from aws_cdk import aws_emr as emr
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from aws_cdk.assertions import Template

from tests.support.synth import Synthesized, cdk_context
from tests.support.templates import resources_of_type

PROVISIONED_ONE_SHARD = [("PROVISIONED", 1), ("PROVISIONED", 1)]
# KMS keys: the alerts topic's, the data lake's, the signing-key secret's, the catalog's, the rows table's and the
# content keys'. Alarm metrics include the ingest dead-letter queue's, the catalog API's, the rows API's and the key
# service's (3, like every API function's).
# Mirrors the "Idle cost per environment" table of docs/cost.md.
EXPECTED: dict[str, dict[str, Any]] = {
    "dev": {
        "nat_gateways": 0,
        "nat_instances": ["t4g.nano"],
        "public_ipv4_addresses": 3,  # the NAT instance, and the ALB in 2 AZs
        "load_balancers": 1,
        "origin_minimum": (1, "t4g.micro", "standard"),
        "prime_time_minimum": 2,
        "kms_keys": 6,
        "secrets": 2,
        "web_acl_rules": [4],
        "interface_endpoints": 0,
        "dashboards": 1,
        "alarm_metrics": 32,
        "kinesis_streams": [("PROVISIONED", 1)],  # no CDN log stream in dev
    },
    "staging": {
        "nat_gateways": 1,
        "nat_instances": [],
        "public_ipv4_addresses": 3,  # the NAT gateway's, and the ALB in 2 AZs
        "load_balancers": 1,
        "origin_minimum": (2, "c7g.medium", None),
        "prime_time_minimum": 3,
        "kms_keys": 6,
        "secrets": 2,
        "web_acl_rules": [4],
        "interface_endpoints": 0,
        "dashboards": 1,
        "alarm_metrics": 35,
        "kinesis_streams": PROVISIONED_ONE_SHARD,
    },
    "prod": {
        "nat_gateways": 3,
        "nat_instances": [],
        "public_ipv4_addresses": 6,  # 3 NAT gateways', and the ALB in 3 AZs
        "load_balancers": 1,
        "origin_minimum": (3, "c7g.medium", None),
        "prime_time_minimum": 6,
        "kms_keys": 6,
        "secrets": 2,
        "web_acl_rules": [4],
        "interface_endpoints": 0,
        "dashboards": 1,
        "alarm_metrics": 35,
        "kinesis_streams": [("ON_DEMAND", None), ("ON_DEMAND", None)],
    },
}


def _alarm_metrics(alarm: dict[str, Any]) -> int:
    """CloudWatch bills an alarm per metric it reads; a metric-math alarm reads every metric it uses."""
    metrics = alarm["Properties"].get("Metrics")
    if not metrics:
        return 1
    return sum(1 for m in metrics if "MetricStat" in m)


def inventory(synthesized: Synthesized, env: str) -> dict[str, Any]:
    templates = [s.template for s in synthesized.stacks if s.stage == env]
    counts: Counter[str] = Counter()
    found: dict[str, Any] = {"nat_instances": [], "web_acl_rules": [], "kinesis_streams": []}
    for template in templates:
        for resource in template["Resources"].values():
            kind, props = resource["Type"], resource.get("Properties", {})
            counts[kind] += 1
            if kind == "AWS::EC2::Instance":
                found["nat_instances"].append(props["InstanceType"])
            elif kind == "AWS::Kinesis::Stream":
                mode = props.get("StreamModeDetails", {}).get("StreamMode", "PROVISIONED")
                found["kinesis_streams"].append((mode, props.get("ShardCount")))
            elif kind == "AWS::WAFv2::WebACL":
                found["web_acl_rules"].append(len(props["Rules"]))
            elif kind == "AWS::EC2::VPCEndpoint" and props.get("VpcEndpointType") == "Interface":
                counts["interface"] += 1
            elif kind == "AWS::CloudWatch::Alarm":
                counts["alarm_metrics"] += _alarm_metrics(resource)
            elif kind == "AWS::ElasticLoadBalancingV2::LoadBalancer" and props["Scheme"] == "internet-facing":
                counts["alb_addresses"] += len(props["Subnets"])
            elif kind == "AWS::EC2::LaunchTemplate" and "UserData" in props["LaunchTemplateData"]:
                data = props["LaunchTemplateData"]
                found["origin_type"] = (data["InstanceType"], data.get("CreditSpecification", {}).get("CpuCredits"))
            elif kind == "AWS::AutoScaling::AutoScalingGroup":
                found["origin_min"] = int(props["MinSize"])
            elif kind == "AWS::AutoScaling::ScheduledAction":
                found["prime_time_minimum"] = max(found.get("prime_time_minimum", 0), props["MinSize"])
    return {
        "nat_gateways": counts["AWS::EC2::NatGateway"],
        "nat_instances": found["nat_instances"],
        "public_ipv4_addresses": counts["AWS::EC2::EIP"] + len(found["nat_instances"]) + counts["alb_addresses"],
        "load_balancers": counts["AWS::ElasticLoadBalancingV2::LoadBalancer"],
        "origin_minimum": (found["origin_min"], *found["origin_type"]),
        "prime_time_minimum": found["prime_time_minimum"],
        "kms_keys": counts["AWS::KMS::Key"],
        "secrets": counts["AWS::SecretsManager::Secret"],
        "web_acl_rules": found["web_acl_rules"],
        "interface_endpoints": counts["interface"],
        "dashboards": counts["AWS::CloudWatch::Dashboard"],
        "alarm_metrics": counts["alarm_metrics"],
        "kinesis_streams": sorted(found["kinesis_streams"], key=str),
    }


def test_idle_inventory_matches_docs_cost_md(synthesized: Synthesized, env: str):
    assert inventory(synthesized, env) == EXPECTED[env]


def test_the_nat_instance_has_a_public_address_and_no_elastic_ip(synthesized: Synthesized):
    template = synthesized.stack("dev", "Network").template
    assert not resources_of_type(template, "AWS::EC2::EIP")
    public = [
        s
        for s in resources_of_type(template, "AWS::EC2::Subnet").values()
        if s["Properties"].get("MapPublicIpOnLaunch")
    ]
    assert len(public) == 2  # so the NAT instance launched there gets an auto-assigned (billed) public IPv4


# --- EMR can never idle --------------------------------------------------------------------------


def idle_emr(template: dict[str, Any]) -> list[str]:
    """EMR clusters in ``template`` that could outlive their work: each needs an idle auto-termination policy.

    Covers ``AWS::EMR::Cluster`` resources and clusters that Step Functions creates
    (``elasticmapreduce:createCluster`` tasks inside a state machine definition).
    """
    problems = []
    for logical_id, cluster in resources_of_type(template, "AWS::EMR::Cluster").items():
        props = cluster["Properties"]
        if "IdleTimeout" not in props.get("AutoTerminationPolicy", {}):
            problems.append(f"{logical_id}: no AutoTerminationPolicy.IdleTimeout")
    for logical_id, machine in resources_of_type(template, "AWS::StepFunctions::StateMachine").items():
        definition = json.dumps(machine["Properties"].get("DefinitionString", ""))
        for task in definition.split("elasticmapreduce:createCluster")[1:]:
            if "AutoTerminationPolicy" not in task.split("elasticmapreduce:")[0]:
                problems.append(f"{logical_id}: a createCluster task without AutoTerminationPolicy")
    return problems


def test_no_emr_cluster_in_any_template_can_idle(synthesized: Synthesized):
    assert [p for s in synthesized.stacks for p in idle_emr(s.template)] == []


def test_the_emr_idle_check_finds_clusters_that_could_idle():
    stack = Stack(App(context=cdk_context()), "Probe")
    for name, guard in (("Guarded", {"auto_termination_policy_idle_timeout": Duration.minutes(30)}), ("Idler", {})):
        create = tasks.EmrCreateCluster(
            stack,
            f"Create{name}",
            name=name,
            instances=tasks.EmrCreateCluster.InstancesConfigProperty(),
            release_label="emr-7.13.0",
            **guard,  # type: ignore[arg-type]
        )
        step = tasks.EmrAddStep(
            stack, f"Step{name}", cluster_id=sfn.JsonPath.string_at("$.ClusterId"), name="job", jar="command-runner.jar"
        )
        sfn.StateMachine(stack, f"Nightly{name}", definition_body=sfn.DefinitionBody.from_chainable(create.next(step)))
    emr.CfnCluster(
        stack,
        "Cluster",
        name="always-on",
        release_label="emr-7.13.0",
        instances=emr.CfnCluster.JobFlowInstancesConfigProperty(),
        job_flow_role="role",
        service_role="role",
    )
    template = dict(Template.from_stack(stack).to_json())
    problems = idle_emr(template)
    logical_ids = [problem.split(":")[0] for problem in problems]
    assert [problem.split(": ", 1)[1] for problem in problems] == [
        "no AutoTerminationPolicy.IdleTimeout",
        "a createCluster task without AutoTerminationPolicy",
    ]
    assert logical_ids[0].startswith("Cluster")
    assert logical_ids[1].startswith("NightlyIdler")
