"""Playback stack: signing-key secret, issuer route, rewriter Function URL, least-privilege grants."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App
from aws_cdk.assertions import Template

from stacks.config import load_config
from stacks.playback_stack import PlaybackStack
from stacks.stage import ShowrunnerStage
from tests.infra.conftest import Synthesized, cdk_context
from tests.infra.helpers import logical_id_by_path, resources_of_type


def _function(template: dict[str, Any], name: str) -> tuple[str, dict[str, Any]]:
    logical_id = logical_id_by_path(template, f"Playback/{name}/Function/Resource")
    return logical_id, template["Resources"][logical_id]["Properties"]


def _statements(template: dict[str, Any], name: str) -> list[dict[str, Any]]:
    policy = template["Resources"][logical_id_by_path(template, f"Playback/{name}/FunctionRole/DefaultPolicy/Resource")]
    statements: list[dict[str, Any]] = policy["Properties"]["PolicyDocument"]["Statement"]
    return statements


def _storage_output(value: dict[str, Any], env: str, synthesized: Synthesized) -> Any:
    """What a Fn::GetStackOutput of the Storage stack resolves to there."""
    reference = value["Fn::GetStackOutput"]
    assert reference["StackName"] == f"{env}-Storage"
    return synthesized.stack(env, "Storage").template["Outputs"][reference["OutputName"]]["Value"]


def _content_bucket_id(synthesized: Synthesized, env: str) -> str:
    return logical_id_by_path(synthesized.stack(env, "Storage").template, "Storage/ContentBucket/Resource")


def test_functions_are_arm64_python_3_14_in_package_layout(synthesized: Synthesized, env: str):
    template = synthesized.stack(env, "Playback").template
    for name, package in (("Issuer", "signed_url"), ("Rewriter", "manifest_rewriter")):
        _, props = _function(template, name)
        assert props["Runtime"] == "python3.14"
        assert props["Architectures"] == ["arm64"]
        assert props["Handler"] == f"{package}.handler.handler"
        assert props["MemorySize"] == 1024


def test_issuer_environment_is_the_contract(synthesized: Synthesized, env: str):
    template = synthesized.stack(env, "Playback").template
    _, props = _function(template, "Issuer")
    variables = props["Environment"]["Variables"]
    assert sorted(variables) == [
        "CONTENT_BUCKET",
        "DISTRIBUTION_DOMAIN",
        "KEY_PAIR_ID",
        "SIGNING_KEY_SECRET_ARN",
        "URL_TTL_SECONDS",
    ]
    secret_id = logical_id_by_path(template, "Playback/SigningKey/Resource")
    assert variables["SIGNING_KEY_SECRET_ARN"] == {"Ref": secret_id}
    assert variables["URL_TTL_SECONDS"] == "21600"
    assert _storage_output(variables["CONTENT_BUCKET"], env, synthesized) == {
        "Ref": _content_bucket_id(synthesized, env)
    }
    # Until the Edge stack (or configuration) supplies them, the issuer answers 503 not_configured.
    assert (variables["DISTRIBUTION_DOMAIN"], variables["KEY_PAIR_ID"]) == ("", "")


def test_issuer_may_read_only_its_secret_and_head_only_manifests(synthesized: Synthesized, env: str):
    template = synthesized.stack(env, "Playback").template
    statements = _statements(template, "Issuer")
    assert [s["Action"] for s in statements] == [
        ["logs:CreateLogStream", "logs:PutLogEvents"],
        "secretsmanager:GetSecretValue",
        "s3:GetObject",
    ]
    assert all(s["Effect"] == "Allow" for s in statements)
    assert statements[1]["Resource"] == {"Ref": logical_id_by_path(template, "Playback/SigningKey/Resource")}
    objects = [resource["Fn::Join"][1] for resource in statements[2]["Resource"]]
    bucket_arn = {"Fn::GetAtt": [_content_bucket_id(synthesized, env), "Arn"]}
    assert [_storage_output(parts[0], env, synthesized) for parts in objects] == [bucket_arn, bucket_arn]
    assert sorted(parts[1] for parts in objects) == ["/vod/*/manifest.mpd", "/vod/*/master.m3u8"]


def test_rewriter_may_read_only_manifests_and_signs_nothing(synthesized: Synthesized, env: str):
    template = synthesized.stack(env, "Playback").template
    statements = _statements(template, "Rewriter")
    assert [s["Action"] for s in statements] == [["logs:CreateLogStream", "logs:PutLogEvents"], "s3:GetObject"]
    assert sorted(resource["Fn::Join"][1][1] for resource in statements[1]["Resource"]) == ["/vod/*.m3u8", "/vod/*.mpd"]
    _, props = _function(template, "Rewriter")
    assert list(props["Environment"]["Variables"]) == ["CONTENT_BUCKET"]
    assert "secretsmanager" not in json.dumps(statements)


def test_no_managed_policies_on_the_function_roles(synthesized: Synthesized, env: str):
    for role in resources_of_type(synthesized.stack(env, "Playback").template, "AWS::IAM::Role").values():
        assert "ManagedPolicyArns" not in role["Properties"]


def test_rewriter_function_url_needs_iam_auth_and_nobody_is_granted_it_here(synthesized: Synthesized, env: str):
    template = synthesized.stack(env, "Playback").template
    rewriter_id, _ = _function(template, "Rewriter")
    (url,) = resources_of_type(template, "AWS::Lambda::Url").values()
    assert url["Properties"] == {"AuthType": "AWS_IAM", "TargetFunctionArn": {"Fn::GetAtt": [rewriter_id, "Arn"]}}
    permissions = resources_of_type(template, "AWS::Lambda::Permission").values()
    assert all(p["Properties"]["Action"] != "lambda:InvokeFunctionUrl" for p in permissions)
    url_id = logical_id_by_path(template, "Playback/Rewriter/Function/FunctionUrl/Resource")
    assert template["Outputs"]["RewriterFunctionUrl"]["Value"] == {"Fn::GetAtt": [url_id, "FunctionUrl"]}


def test_route_is_get_playback_title_behind_the_jwt_authorizer(synthesized: Synthesized, env: str):
    template = synthesized.stack(env, "Playback").template
    api = synthesized.stack(env, "Api").template
    (route,) = resources_of_type(template, "AWS::ApiGatewayV2::Route").values()
    props = route["Properties"]
    assert props["RouteKey"] == "GET /playback/{titleId}"
    assert props["AuthorizationType"] == "JWT"
    authorizer = props["AuthorizerId"]["Fn::GetStackOutput"]
    assert authorizer["StackName"] == f"{env}-Api"
    assert api["Outputs"][authorizer["OutputName"]]["Value"] == {
        "Ref": logical_id_by_path(api, "Api/JwtAuthorizer/Resource")
    }

    ((integration_id, integration),) = resources_of_type(template, "AWS::ApiGatewayV2::Integration").items()
    issuer_id, _ = _function(template, "Issuer")
    assert integration["Properties"]["IntegrationType"] == "AWS_PROXY"
    assert integration["Properties"]["PayloadFormatVersion"] == "2.0"
    assert integration["Properties"]["IntegrationUri"] == {"Fn::GetAtt": [issuer_id, "Arn"]}
    assert props["Target"] == {"Fn::Join": ["", ["integrations/", {"Ref": integration_id}]]}

    (permission,) = resources_of_type(template, "AWS::Lambda::Permission").values()
    assert permission["Properties"]["Principal"] == "apigateway.amazonaws.com"
    assert permission["Properties"]["Action"] == "lambda:InvokeFunction"
    source_arn = json.dumps(permission["Properties"]["SourceArn"])
    assert source_arn.endswith('"/*/*/playback/{titleId}"]]}')


def test_signing_key_secret_holds_a_generated_placeholder_never_a_key(synthesized: Synthesized, env: str):
    template = synthesized.stack(env, "Playback").template
    (secret,) = resources_of_type(template, "AWS::SecretsManager::Secret").values()
    assert "SecretString" not in secret["Properties"]
    assert secret["Properties"]["GenerateSecretString"] == {
        "ExcludePunctuation": True,
        "IncludeSpace": False,
        "PasswordLength": 32,
    }
    assert secret["DeletionPolicy"] == ("Retain" if env == "prod" else "Delete")
    assert template["Outputs"]["SigningKeySecretArn"]["Value"] == {
        "Ref": logical_id_by_path(template, "Playback/SigningKey/Resource")
    }


def test_no_template_or_asset_manifest_contains_key_material(synthesized: Synthesized):
    for path in Path(synthesized.outdir).rglob("*.json"):
        text = path.read_text()
        assert "PRIVATE KEY" not in text, path


def test_playback_depends_on_storage_and_api_only(synthesized: Synthesized, env: str):
    artifacts = sorted(synthesized.stack(env, "Playback").dependencies)  # artifact IDs such as devApiFFD67DB2
    assert [artifact.removeprefix(env).rstrip("0123456789ABCDEF") for artifact in artifacts] == ["Api", "Storage"]


def _issuer_variables(overrides: dict[str, Any], **wiring: str) -> dict[str, str]:
    """The issuer's environment in dev with ``overrides``; with ``wiring``, of a PlaybackStack given those inputs."""
    config = load_config(overrides={"dev": overrides})["dev"]
    stage = ShowrunnerStage(App(context=cdk_context()), config)
    stack = stage.playback
    if wiring:
        stack = PlaybackStack(
            stage, "Wired", config=config, content_bucket=stage.storage.content_bucket, api=stage.api, **wiring
        )
    template = Template.from_stack(stack).to_json()
    function = template["Resources"][logical_id_by_path(template, "Issuer/Function/Resource")]
    variables: dict[str, str] = function["Properties"]["Environment"]["Variables"]
    return variables


@pytest.mark.parametrize(
    ("overrides", "domain", "key_pair_id"),
    [
        ({"playback": {"distribution_domain": "d111111abcdef8.cloudfront.net", "key_pair_id": "K2JCJMDEHXQW5F"}},
         "d111111abcdef8.cloudfront.net", "K2JCJMDEHXQW5F"),
        ({"domain_name": "watch.example.com",
          "certificate_arn": "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-0a1b-0a1b-0a1b-0a1b2c3d4e5f"},
         "watch.example.com", ""),
        ({"playback": {"url_ttl_seconds": 900}}, "", ""),
    ],
)  # fmt: skip
def test_distribution_and_key_from_configuration(overrides: dict[str, Any], domain: str, key_pair_id: str):
    variables = _issuer_variables(overrides)
    assert (variables["DISTRIBUTION_DOMAIN"], variables["KEY_PAIR_ID"]) == (domain, key_pair_id)
    assert variables["URL_TTL_SECONDS"] == str(overrides.get("playback", {}).get("url_ttl_seconds", 21600))


def test_constructor_inputs_win_over_configuration():
    variables = _issuer_variables(
        {"playback": {"distribution_domain": "configured.example.com", "key_pair_id": "KCONFIGURED1"}},
        distribution_domain="d222222abcdef8.cloudfront.net",
        key_pair_id="KFROMEDGE123",
    )
    assert (variables["DISTRIBUTION_DOMAIN"], variables["KEY_PAIR_ID"]) == (
        "d222222abcdef8.cloudfront.net",
        "KFROMEDGE123",
    )
