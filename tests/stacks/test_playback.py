"""Playback stack (signing key, issuer and catalog routes) and the Edge stack's rewriter: least privilege."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.support.synth import Synthesized
from tests.support.templates import logical_id_by_path, resources_of_type

STACK_OF = {"Issuer": "Playback", "Catalog": "Playback", "Rewriter": "Edge"}


def _function(template: dict[str, Any], name: str) -> tuple[str, dict[str, Any]]:
    logical_id = logical_id_by_path(template, f"{STACK_OF[name]}/{name}/Function/Resource")
    return logical_id, template["Resources"][logical_id]["Properties"]


def _statements(template: dict[str, Any], name: str) -> list[dict[str, Any]]:
    path = f"{STACK_OF[name]}/{name}/FunctionRole/DefaultPolicy/Resource"
    policy = template["Resources"][logical_id_by_path(template, path)]
    statements: list[dict[str, Any]] = policy["Properties"]["PolicyDocument"]["Statement"]
    return statements


def _output(value: dict[str, Any], env: str, synthesized: Synthesized, stack: str = "Storage") -> Any:
    """What a Fn::GetStackOutput of ``stack`` resolves to there."""
    reference = value["Fn::GetStackOutput"]
    assert reference["StackName"] == f"{env}-{stack}"
    return synthesized.stack(env, stack).template["Outputs"][reference["OutputName"]]["Value"]


def _catalog_ids(synthesized: Synthesized, env: str) -> tuple[str, str]:
    storage = synthesized.stack(env, "Storage").template
    return (
        logical_id_by_path(storage, "Storage/Catalog/Table/Resource"),
        logical_id_by_path(storage, "Storage/Catalog/Key/Resource"),
    )


def test_functions_are_arm64_python_3_14_in_package_layout(synthesized: Synthesized, env: str):
    for name, package, memory in (
        ("Issuer", "signed_url", 1024),
        ("Catalog", "catalog_api", 512),
        ("Rewriter", "manifest_rewriter", 1024),
    ):
        _, props = _function(synthesized.stack(env, STACK_OF[name]).template, name)
        assert props["Runtime"] == "python3.14"
        assert props["Architectures"] == ["arm64"]
        assert props["Handler"] == f"{package}.handler.handler"
        assert props["MemorySize"] == memory


def test_issuer_environment_is_the_contract(synthesized: Synthesized, env: str):
    template = synthesized.stack(env, "Playback").template
    _, props = _function(template, "Issuer")
    variables = props["Environment"]["Variables"]
    assert sorted(variables) == [
        "CATALOG_CACHE_SECONDS",
        "CATALOG_TABLE",
        "DISTRIBUTION_DOMAIN",
        "KEY_PAIR_ID",
        "SIGNING_KEY_SECRET_ARN",
        "TOKEN_MARGIN_SECONDS",
        "TOKEN_MIN_SECONDS",
        "URL_TTL_SECONDS",
    ]
    secret_id = logical_id_by_path(template, "Playback/SigningKey/Resource")
    assert variables["SIGNING_KEY_SECRET_ARN"] == {"Ref": secret_id}
    assert (
        variables["URL_TTL_SECONDS"],
        variables["TOKEN_MIN_SECONDS"],
        variables["TOKEN_MARGIN_SECONDS"],
        variables["CATALOG_CACHE_SECONDS"],
    ) == ("21600", "900", "1800", "10")
    table_id, _ = _catalog_ids(synthesized, env)
    assert _output(variables["CATALOG_TABLE"], env, synthesized) == {"Ref": table_id}
    # The Edge stack's distribution domain and its key group's active (first) public key.
    edge = synthesized.stack(env, "Edge").template
    distribution_id = logical_id_by_path(edge, "Edge/Distribution/Resource")
    assert _output(variables["DISTRIBUTION_DOMAIN"], env, synthesized, "Edge") == {
        "Fn::GetAtt": [distribution_id, "DomainName"]
    }
    (public_key_id,) = resources_of_type(edge, "AWS::CloudFront::PublicKey")
    assert _output(variables["KEY_PAIR_ID"], env, synthesized, "Edge") == {"Ref": public_key_id}


def _catalog_statements(
    statements: list[dict[str, Any]], synthesized: Synthesized, env: str
) -> list[tuple[str, Any, Any]]:
    """(action, resource as the Storage stack's logical ID and attribute, condition) of each catalog statement."""
    table_id, key_id = _catalog_ids(synthesized, env)
    names = {json.dumps({"Fn::GetAtt": [table_id, "Arn"]}): "table", json.dumps({"Fn::GetAtt": [key_id, "Arn"]}): "key"}
    found = []
    for statement in statements:
        resource = statement["Resource"]
        if isinstance(resource, dict) and "Fn::GetStackOutput" in resource:
            resource = names[json.dumps(_output(resource, env, synthesized))]
        elif isinstance(resource, dict) and "Fn::Join" in resource:
            head, tail = resource["Fn::Join"][1]
            resource = names[json.dumps(_output(head, env, synthesized))] + tail
        else:
            continue
        found.append((statement["Action"], resource, statement.get("Condition")))
    return found


def test_issuer_may_read_only_its_secret_and_catalog_items(synthesized: Synthesized, env: str):
    template = synthesized.stack(env, "Playback").template
    statements = _statements(template, "Issuer")
    assert [s["Action"] for s in statements] == [
        ["logs:CreateLogStream", "logs:PutLogEvents"],
        "secretsmanager:GetSecretValue",
        "kms:Decrypt",
        "dynamodb:GetItem",
        "kms:Decrypt",
    ]
    assert all(s["Effect"] == "Allow" for s in statements)
    secret_id = logical_id_by_path(template, "Playback/SigningKey/Resource")
    assert statements[1]["Resource"] == {"Ref": secret_id}
    key_id = logical_id_by_path(template, "Playback/SigningKeyEncryption/Resource")
    assert statements[2]["Resource"] == {"Fn::GetAtt": [key_id, "Arn"]}
    assert statements[2]["Condition"] == {
        "StringEquals": {
            "kms:ViaService": "secretsmanager.us-east-1.amazonaws.com",
            "kms:EncryptionContext:SecretARN": {"Ref": secret_id},
        }
    }
    assert _catalog_statements(statements, synthesized, env) == [
        ("dynamodb:GetItem", "table", None),
        ("kms:Decrypt", "key", {"StringEquals": {"kms:ViaService": "dynamodb.us-east-1.amazonaws.com"}}),
    ]
    assert "s3:" not in json.dumps(statements)  # the catalog item replaced the HEAD requests


def test_catalog_api_may_query_the_published_index_and_get_items_only(synthesized: Synthesized, env: str):
    template = synthesized.stack(env, "Playback").template
    statements = _statements(template, "Catalog")
    assert statements[0]["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert _catalog_statements(statements, synthesized, env) == [
        ("dynamodb:Query", "table/index/published-by-name", None),
        ("dynamodb:GetItem", "table", None),
        ("kms:Decrypt", "key", {"StringEquals": {"kms:ViaService": "dynamodb.us-east-1.amazonaws.com"}}),
    ]
    assert len(statements) == 4
    _, props = _function(template, "Catalog")
    variables = props["Environment"]["Variables"]
    assert {name: value for name, value in variables.items() if name != "CATALOG_TABLE"} == {
        "CATALOG_INDEX": "published-by-name",
        "CATALOG_CACHE_SECONDS": "10",
        "CATALOG_PAGE_SIZE": "24",
    }


def test_rewriter_may_read_only_manifests_and_signs_nothing(synthesized: Synthesized, env: str):
    template = synthesized.stack(env, "Edge").template
    statements = _statements(template, "Rewriter")
    assert [s["Action"] for s in statements] == [["logs:CreateLogStream", "logs:PutLogEvents"], "s3:GetObject"]
    assert sorted(resource["Fn::Join"][1][1] for resource in statements[1]["Resource"]) == ["/vod/*.m3u8", "/vod/*.mpd"]
    _, props = _function(template, "Rewriter")
    variables = props["Environment"]["Variables"]
    assert list(variables) == ["CONTENT_BUCKET", "MANIFEST_FRESH_SECONDS"]
    assert variables["MANIFEST_FRESH_SECONDS"] == str(synthesized.configs[env].edge.manifest_fresh_seconds)
    assert "secretsmanager" not in json.dumps(statements)


def test_no_managed_policies_on_the_function_roles(synthesized: Synthesized, env: str):
    for stack in ("Playback", "Edge"):
        for role in resources_of_type(synthesized.stack(env, stack).template, "AWS::IAM::Role").values():
            assert "ManagedPolicyArns" not in role["Properties"]


def test_only_this_distribution_may_call_the_rewriter_function_url(synthesized: Synthesized, env: str):
    template = synthesized.stack(env, "Edge").template
    rewriter_id, _ = _function(template, "Rewriter")
    (url,) = (
        u
        for u in resources_of_type(template, "AWS::Lambda::Url").values()
        if u["Properties"]["TargetFunctionArn"] == {"Fn::GetAtt": [rewriter_id, "Arn"]}
    )
    assert url["Properties"] == {"AuthType": "AWS_IAM", "TargetFunctionArn": {"Fn::GetAtt": [rewriter_id, "Arn"]}}
    distribution_id = logical_id_by_path(template, "Edge/Distribution/Resource")
    source_arn = {
        "Fn::Join": [
            "",
            [
                "arn:",
                {"Ref": "AWS::Partition"},
                ":cloudfront::",
                {"Ref": "AWS::AccountId"},
                ":distribution/",
                {"Ref": distribution_id},
            ],
        ]
    }
    url_id = logical_id_by_path(template, "Edge/Rewriter/Function/FunctionUrl/Resource")
    permissions = sorted(
        (
            p["Properties"]
            for p in resources_of_type(template, "AWS::Lambda::Permission").values()
            if p["Properties"]["FunctionName"] == {"Fn::GetAtt": [url_id, "FunctionArn"]}
        ),
        key=lambda p: p["Action"],
    )
    assert permissions == [
        {
            "Action": "lambda:InvokeFunction",
            "FunctionName": {"Fn::GetAtt": [url_id, "FunctionArn"]},
            "InvokedViaFunctionUrl": True,
            "Principal": "cloudfront.amazonaws.com",
            "SourceArn": source_arn,
        },
        {
            "Action": "lambda:InvokeFunctionUrl",
            "FunctionName": {"Fn::GetAtt": [url_id, "FunctionArn"]},
            "Principal": "cloudfront.amazonaws.com",
            "SourceArn": source_arn,
        },
    ]


def test_routes_are_behind_the_jwt_authorizer(synthesized: Synthesized, env: str):
    template = synthesized.stack(env, "Playback").template
    api = synthesized.stack(env, "Api").template
    routes = sorted(
        resources_of_type(template, "AWS::ApiGatewayV2::Route").values(), key=lambda r: r["Properties"]["RouteKey"]
    )
    assert [route["Properties"]["RouteKey"] for route in routes] == [
        "GET /catalog",
        "GET /catalog/{titleId}",
        "GET /playback/{titleId}",
    ]
    integrations = resources_of_type(template, "AWS::ApiGatewayV2::Integration")
    functions = {
        "GET /catalog": _function(template, "Catalog")[0],
        "GET /catalog/{titleId}": _function(template, "Catalog")[0],
        "GET /playback/{titleId}": _function(template, "Issuer")[0],
    }
    for route in routes:
        props = route["Properties"]
        assert props["AuthorizationType"] == "JWT"
        authorizer = props["AuthorizerId"]["Fn::GetStackOutput"]
        assert authorizer["StackName"] == f"{env}-Api"
        assert api["Outputs"][authorizer["OutputName"]]["Value"] == {
            "Ref": logical_id_by_path(api, "Api/JwtAuthorizer/Resource")
        }
        integration_id = props["Target"]["Fn::Join"][1][1]["Ref"]
        integration = integrations[integration_id]["Properties"]
        assert integration["IntegrationType"] == "AWS_PROXY"
        assert integration["PayloadFormatVersion"] == "2.0"
        assert integration["IntegrationUri"] == {"Fn::GetAtt": [functions[props["RouteKey"]], "Arn"]}

    permissions = resources_of_type(template, "AWS::Lambda::Permission").values()
    assert sorted(json.dumps(p["Properties"]["SourceArn"])[-30:] for p in permissions) == sorted(
        json.dumps(p["Properties"]["SourceArn"])[-30:] for p in permissions
    )
    assert sorted(json.dumps(p["Properties"]["SourceArn"]).rsplit("/*/*", 1)[1] for p in permissions) == [
        '/catalog"]]}',
        '/catalog/{titleId}"]]}',
        '/playback/{titleId}"]]}',
    ]
    for permission in permissions:
        assert permission["Properties"]["Principal"] == "apigateway.amazonaws.com"
        assert permission["Properties"]["Action"] == "lambda:InvokeFunction"


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
    key_id = logical_id_by_path(template, "Playback/SigningKeyEncryption/Resource")
    assert secret["Properties"]["KmsKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
    assert template["Resources"][key_id]["Properties"]["EnableKeyRotation"] is True
    assert template["Outputs"]["SigningKeySecretArn"]["Value"] == {
        "Ref": logical_id_by_path(template, "Playback/SigningKey/Resource")
    }


def test_no_template_or_asset_manifest_contains_key_material(synthesized: Synthesized):
    for path in Path(synthesized.outdir).rglob("*.json"):
        text = path.read_text()
        assert "PRIVATE KEY" not in text, path


def test_playback_comes_after_the_edge_stack(synthesized: Synthesized, env: str):
    artifacts = sorted(synthesized.stack(env, "Playback").dependencies)  # artifact IDs such as devApiFFD67DB2
    assert [artifact.removeprefix(env).rstrip("0123456789ABCDEF") for artifact in artifacts] == [
        "Api",
        "Edge",
        "Storage",
    ]
