"""Api stack: the HTTP API, its stage, and the JWT authorizer."""

from __future__ import annotations

import json

from aws_cdk import App
from aws_cdk.assertions import Template

from stacks.config import load_config
from stacks.stage import ShowrunnerStage
from tests.support.synth import Synthesized, cdk_context
from tests.support.templates import resources_of_type


def test_default_stage_throttles_and_logs_json_without_credentials(synthesized: Synthesized, env: str):
    config = synthesized.configs[env]
    template = synthesized.stack(env, "Api").template
    (stage,) = resources_of_type(template, "AWS::ApiGatewayV2::Stage").values()
    props = stage["Properties"]
    assert props["StageName"] == "$default"
    assert props["AutoDeploy"] is True
    assert props["DefaultRouteSettings"] == {
        "ThrottlingBurstLimit": config.api.throttle_burst_limit,
        "ThrottlingRateLimit": config.api.throttle_rate_limit,
    }
    (log_group_id, log_group) = next(iter(resources_of_type(template, "AWS::Logs::LogGroup").items()))
    assert props["AccessLogSettings"]["DestinationArn"] == {"Fn::GetAtt": [log_group_id, "Arn"]}
    assert log_group["Properties"]["RetentionInDays"] == config.retention.cloudwatch_logs_days
    fields = json.loads(props["AccessLogSettings"]["Format"])
    assert fields["status"] == "$context.status"
    assert fields["ip"] == "$context.identity.sourceIp"
    assert not [v for v in fields.values() if "header" in v or "claims" in v]


def test_jwt_authorizer_trusts_the_created_user_pool(synthesized: Synthesized, env: str):
    template = synthesized.stack(env, "Api").template
    (pool_id,) = resources_of_type(template, "AWS::Cognito::UserPool")
    (client_id, client) = next(iter(resources_of_type(template, "AWS::Cognito::UserPoolClient").items()))
    (authorizer,) = resources_of_type(template, "AWS::ApiGatewayV2::Authorizer").values()
    props = authorizer["Properties"]
    assert props["AuthorizerType"] == "JWT"
    assert props["IdentitySource"] == ["$request.header.Authorization"]
    assert props["JwtConfiguration"] == {
        "Audience": [{"Ref": client_id}],
        "Issuer": {"Fn::Join": ["", ["https://cognito-idp.us-east-1.amazonaws.com/", {"Ref": pool_id}]]},
    }
    client_props = client["Properties"]
    assert client_props["GenerateSecret"] is False
    assert client_props["ExplicitAuthFlows"] == ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
    assert "AllowedOAuthFlows" not in client_props
    assert "CallbackURLs" not in client_props


def test_user_pool_has_strong_passwords_and_threat_protection(synthesized: Synthesized, env: str):
    template = synthesized.stack(env, "Api").template
    (pool,) = resources_of_type(template, "AWS::Cognito::UserPool").values()
    props = pool["Properties"]
    assert props["Policies"]["PasswordPolicy"] == {
        "MinimumLength": 12,
        "RequireLowercase": True,
        "RequireNumbers": True,
        "RequireSymbols": True,
        "RequireUppercase": True,
        "TemporaryPasswordValidityDays": 3,
    }
    assert props["UserPoolTier"] == "PLUS"
    assert props["UserPoolAddOns"] == {"AdvancedSecurityMode": "ENFORCED"}
    assert props["MfaConfiguration"] == "OPTIONAL"
    assert props["EnabledMfas"] == ["SOFTWARE_TOKEN_MFA"]
    retained = env == "prod"
    assert pool["DeletionPolicy"] == ("Retain" if retained else "Delete")
    assert props.get("DeletionProtection") == ("ACTIVE" if retained else "INACTIVE")


def test_an_external_issuer_replaces_the_user_pool():
    config = load_config(
        overrides={"dev": {"api": {"jwt_issuer": "https://login.example.com/", "jwt_audience": ["player", "tv"]}}}
    )["dev"]
    stage = ShowrunnerStage(App(context=cdk_context()), config)
    template = Template.from_stack(stage.api)
    template.resource_count_is("AWS::Cognito::UserPool", 0)
    template.has_resource_properties(
        "AWS::ApiGatewayV2::Authorizer",
        {"JwtConfiguration": {"Issuer": "https://login.example.com/", "Audience": ["player", "tv"]}},
    )
    # No pool: the site gets no sign-in settings, and says so (tests/assets/test_origin.py).
    assert (stage.api.viewer_pool_id, stage.api.viewer_client_id) == ("", "")
    template.resource_count_is("AWS::Cognito::UserPoolGroup", 0)


def test_the_pool_has_one_group_per_plan_and_publishes_its_ids(synthesized: Synthesized, env: str):
    template = synthesized.stack(env, "Api").template
    (pool_id,) = resources_of_type(template, "AWS::Cognito::UserPool")
    (client_id,) = resources_of_type(template, "AWS::Cognito::UserPoolClient")
    groups = sorted(
        (g["Properties"] for g in resources_of_type(template, "AWS::Cognito::UserPoolGroup").values()),
        key=lambda g: g["Precedence"],
    )
    assert [(g["GroupName"], g["Precedence"]) for g in groups] == [
        ("plan-premium", 0),
        ("plan-standard", 1),
        ("plan-free", 2),
    ]
    assert all(g["UserPoolId"] == {"Ref": pool_id} for g in groups)
    assert template["Outputs"]["ViewerPoolId"]["Value"] == {"Ref": pool_id}
    assert template["Outputs"]["ViewerClientId"]["Value"] == {"Ref": client_id}


def test_a_configured_sender_sends_the_pools_email_through_ses():
    sender = {
        "from_address": "no-reply@watch.example.com",
        "from_name": "Showrunner",
        "reply_to": "help@watch.example.com",
        "verified_domain": "watch.example.com",
        "configuration_set": "viewers",
    }
    config = load_config(overrides={"prod": {"api": {"email_sender": sender}}})["prod"]
    stage = ShowrunnerStage(App(context=cdk_context()), config)
    (pool,) = resources_of_type(Template.from_stack(stage.api).to_json(), "AWS::Cognito::UserPool").values()
    assert pool["Properties"]["EmailConfiguration"] == {
        "EmailSendingAccount": "DEVELOPER",
        "From": "Showrunner <no-reply@watch.example.com>",
        "ReplyToEmailAddress": "help@watch.example.com",
        "ConfigurationSet": "viewers",
        "SourceArn": {
            "Fn::Join": [
                "",
                [
                    "arn:aws:ses:us-east-1:",
                    {"Ref": "AWS::AccountId"},
                    ":identity/watch.example.com",
                ],
            ]
        },
    }


def test_without_a_sender_the_pool_uses_cognitos_own(synthesized: Synthesized, env: str):
    (pool,) = resources_of_type(synthesized.stack(env, "Api").template, "AWS::Cognito::UserPool").values()
    assert "EmailConfiguration" not in pool["Properties"]
