"""Alerts stack: one encrypted topic per environment that AWS services may publish to."""

from __future__ import annotations

from aws_cdk import App
from aws_cdk.assertions import Template

from stacks.config import load_config
from stacks.stage import ShowrunnerStage
from tests.support.synth import Synthesized, cdk_context
from tests.support.templates import resources_of_type

PUBLISHERS = ["budgets.amazonaws.com", "cloudwatch.amazonaws.com", "events.amazonaws.com"]


def test_topic_is_encrypted_with_its_own_rotated_key(synthesized: Synthesized, env: str):
    template = synthesized.stack(env, "Alerts").template
    (key_id,) = resources_of_type(template, "AWS::KMS::Key")
    (topic,) = resources_of_type(template, "AWS::SNS::Topic").values()
    assert topic["Properties"]["KmsMasterKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
    assert template["Resources"][key_id]["Properties"]["EnableKeyRotation"] is True


def test_only_aws_services_of_this_account_publish_and_only_over_tls(synthesized: Synthesized, env: str):
    template = synthesized.stack(env, "Alerts").template
    (topic_id,) = resources_of_type(template, "AWS::SNS::Topic")
    (policy,) = resources_of_type(template, "AWS::SNS::TopicPolicy").values()
    statements = {s["Sid"]: s for s in policy["Properties"]["PolicyDocument"]["Statement"]}
    assert statements["AllowPublishThroughSSLOnly"]["Effect"] == "Deny"
    assert statements["AllowPublishThroughSSLOnly"]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    publish = statements["AllowAwsServicesToPublish"]
    assert publish["Principal"] == {"Service": PUBLISHERS}
    assert publish["Action"] == "sns:Publish"
    assert publish["Resource"] == {"Ref": topic_id}
    assert publish["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}

    (key,) = resources_of_type(template, "AWS::KMS::Key").values()
    service_statements = [s for s in key["Properties"]["KeyPolicy"]["Statement"] if "Service" in s["Principal"]]
    assert len(service_statements) == 1
    assert service_statements[0]["Action"] == ["kms:Decrypt", "kms:GenerateDataKey*"]
    assert service_statements[0]["Condition"] == publish["Condition"]


def test_no_subscription_without_an_alarm_email(synthesized: Synthesized, env: str):
    assert not resources_of_type(synthesized.stack(env, "Alerts").template, "AWS::SNS::Subscription")


def test_alarm_email_is_subscribed():
    config = load_config(overrides={"dev": {"alarm_email": "oncall@example.com"}})["dev"]
    stage = ShowrunnerStage(App(context=cdk_context()), config)
    template = Template.from_stack(stage.alerts)
    template.resource_count_is("AWS::SNS::Subscription", 1)
    template.has_resource_properties("AWS::SNS::Subscription", {"Protocol": "email", "Endpoint": "oncall@example.com"})
