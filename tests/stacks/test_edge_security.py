"""EdgeSecurity stack: the CloudFront WebACL in us-east-1."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_cdk import App
from aws_cdk.assertions import Template

from stacks.config import load_config
from stacks.stage import ShowrunnerStage
from tests.support.synth import Synthesized, cdk_context
from tests.support.templates import physical_name, resources_of_type


def _web_acl(template: Mapping[str, Any]) -> dict[str, Any]:
    (acl,) = resources_of_type(template, "AWS::WAFv2::WebACL").values()
    props: dict[str, Any] = acl["Properties"]
    return props


def test_web_acl_is_for_cloudfront_in_us_east_1(synthesized: Synthesized, env: str):
    stack = synthesized.stack(env, "EdgeSecurity")
    assert stack.region == "us-east-1"
    acl = _web_acl(stack.template)
    assert acl["Scope"] == "CLOUDFRONT"
    assert acl["DefaultAction"] == {"Allow": {}}


def test_rules_managed_groups_then_rate_limit(synthesized: Synthesized, env: str):
    rules = _web_acl(synthesized.stack(env, "EdgeSecurity").template)["Rules"]
    assert [(r["Name"], r["Priority"]) for r in rules] == [
        ("AWSManagedRulesAmazonIpReputationList", 0),
        ("AWSManagedRulesCommonRuleSet", 1),
        ("AWSManagedRulesKnownBadInputsRuleSet", 2),
        ("RateLimitPerIp", 3),
    ]
    for rule in rules[:3]:
        group = rule["Statement"]["ManagedRuleGroupStatement"]
        assert group["VendorName"] == "AWS"
        assert group["Name"] == rule["Name"]
        assert rule["OverrideAction"] == {"None": {}}
    common = rules[1]["Statement"]["ManagedRuleGroupStatement"]
    assert common["RuleActionOverrides"] == [{"Name": "SizeRestrictions_BODY", "ActionToUse": {"Count": {}}}]
    assert "RuleActionOverrides" not in rules[0]["Statement"]["ManagedRuleGroupStatement"]
    rate = rules[3]
    assert rate["Action"] == {"Block": {}}
    assert rate["Statement"]["RateBasedStatement"] == {
        "AggregateKeyType": "IP",
        "EvaluationWindowSec": 300,
        "Limit": synthesized.configs[env].edge.waf_rate_limit,
    }
    assert all(r["VisibilityConfig"]["CloudWatchMetricsEnabled"] for r in rules)


def test_waf_logs_redact_credentials_and_tokens(synthesized: Synthesized, env: str):
    template = synthesized.stack(env, "EdgeSecurity").template
    (acl_id,) = resources_of_type(template, "AWS::WAFv2::WebACL")
    (logging,) = resources_of_type(template, "AWS::WAFv2::LoggingConfiguration").values()
    props = logging["Properties"]
    assert props["ResourceArn"] == {"Fn::GetAtt": [acl_id, "Arn"]}
    assert props["RedactedFields"] == [
        {"SingleHeader": {"Name": "authorization"}},
        {"SingleHeader": {"Name": "cookie"}},
        {"QueryString": {}},
    ]
    (log_group,) = resources_of_type(template, "AWS::Logs::LogGroup").values()
    name = log_group["Properties"]["LogGroupName"]
    assert name == physical_name(f"aws-waf-logs-showrunner-{env}", synthesized.configs[env].retain_data)
    destination = props["LogDestinationConfigs"][0]["Fn::Join"][1]
    assert destination[-2:] == [":log-group:", name] or destination[-1] == f":log-group:{name}"
    assert log_group["Properties"]["RetentionInDays"] == synthesized.configs[env].retention.cloudwatch_logs_days


def _acl_for(overrides: dict[str, Any]) -> dict[str, Any]:
    config = load_config(overrides={"staging": overrides})["staging"]
    stage = ShowrunnerStage(App(context=cdk_context()), config)
    return _web_acl(Template.from_stack(stage.edge_security).to_json())


def test_blocked_countries_become_a_geo_block_rule():
    rules = _acl_for({"blocked_countries": ["KP", "IR"]})["Rules"]
    geo = rules[-1]
    assert geo["Name"] == "GeoBlock"
    assert geo["Action"] == {"Block": {}}
    assert geo["Statement"] == {"GeoMatchStatement": {"CountryCodes": ["KP", "IR"]}}


def test_allowed_countries_block_everything_else():
    rules = _acl_for({"allowed_countries": ["US", "CA"]})["Rules"]
    assert rules[-1]["Statement"] == {
        "NotStatement": {"Statement": {"GeoMatchStatement": {"CountryCodes": ["US", "CA"]}}}
    }


def test_web_acl_stays_in_us_east_1_when_the_environment_does_not():
    config = load_config(
        overrides={
            "staging": {
                "region": "eu-west-1",
                "availability_zones": ["eu-west-1a", "eu-west-1b"],
                "availability_zone_ids": ["euw1-az1", "euw1-az2"],
            }
        }
    )["staging"]
    stage = ShowrunnerStage(App(context=cdk_context()), config)
    assert stage.edge_security.region == "us-east-1"
    assert stage.storage.region == "eu-west-1"
