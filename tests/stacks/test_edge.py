"""Edge stack: the distribution's behaviors, signed access, policies, WAF, failover and logs, per environment."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App
from aws_cdk.assertions import Template
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from stacks.config import load_config
from stacks.constructs.cdn_realtime_logs import FIELDS
from stacks.constructs.media_policies import TOKEN_PARAMETERS
from stacks.stage import ShowrunnerStage
from tests.support.synth import Synthesized, cdk_context
from tests.support.templates import REPLICA_BUCKET, logical_id_by_path, resources_of_type

CERT = "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-0a1b-0a1b-0a1b-0a1b2c3d4e5f"


def _config(template: dict[str, Any]) -> dict[str, Any]:
    (distribution,) = resources_of_type(template, "AWS::CloudFront::Distribution").values()
    config: dict[str, Any] = distribution["Properties"]["DistributionConfig"]
    return config


def _origins(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {origin["Id"]: origin for origin in config["Origins"]}


def _behaviors(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {behavior["PathPattern"]: behavior for behavior in config["CacheBehaviors"]}


def _output_of(value: dict[str, Any], synthesized: Synthesized, env: str) -> tuple[str, Any]:
    reference = value["Fn::GetStackOutput"]
    stack = reference["StackName"].removeprefix(f"{env}-")
    return stack, synthesized.stack(env, stack).template["Outputs"][reference["OutputName"]]["Value"]


def test_behaviors_in_order_with_their_origins(synthesized: Synthesized, env: str):
    template = synthesized.stack(env, "Edge").template
    config = _config(template)
    origins = _origins(config)
    behaviors = _behaviors(config)
    assert list(behaviors) == [
        "/vod/*/keys/clearkey",
        "/vod/*/keys/*",
        "/vod/*.m3u8",
        "/vod/*.mpd",
        "/vod/*",
        "/playback/*",
        "/catalog",
        "/catalog/*",
        "/trending",
        "/me/*",
        "/events",
        "/api/*",
    ]

    rewriter_url = logical_id_by_path(template, "Edge/Rewriter/Function/FunctionUrl/Resource")
    for pattern in ("/vod/*.m3u8", "/vod/*.mpd"):
        origin = origins[behaviors[pattern]["TargetOriginId"]]
        assert origin["DomainName"] == {
            "Fn::Select": [2, {"Fn::Split": ["/", {"Fn::GetAtt": [rewriter_url, "FunctionUrl"]}]}]
        }
        assert "OriginAccessControlId" in origin

    key_service_url = logical_id_by_path(template, "Edge/KeyService/Function/FunctionUrl/Resource")
    # One origin for both key-service behaviors.
    assert behaviors["/vod/*/keys/clearkey"]["TargetOriginId"] == behaviors["/vod/*/keys/*"]["TargetOriginId"]
    origin = origins[behaviors["/vod/*/keys/*"]["TargetOriginId"]]
    assert origin["DomainName"] == {
        "Fn::Select": [2, {"Fn::Split": ["/", {"Fn::GetAtt": [key_service_url, "FunctionUrl"]}]}]
    }
    assert "OriginAccessControlId" in origin

    alb = origins[config["DefaultCacheBehavior"]["TargetOriginId"]]
    assert behaviors["/api/*"]["TargetOriginId"] == config["DefaultCacheBehavior"]["TargetOriginId"]
    stack, value = _output_of(alb["DomainName"], synthesized, env)
    assert stack == "Origin"
    assert value == {
        "Fn::GetAtt": [
            logical_id_by_path(synthesized.stack(env, "Origin").template, "Alb/LoadBalancer/Resource"),
            "DNSName",
        ]
    }
    assert alb["OriginCustomHeaders"][0]["HeaderName"] == "X-Origin-Verify"
    assert "{{resolve:secretsmanager:" in json.dumps(alb["OriginCustomHeaders"][0]["HeaderValue"])
    assert alb["CustomOriginConfig"]["OriginProtocolPolicy"] == "http-only"  # no origin certificate by default

    api = origins[behaviors["/playback/*"]["TargetOriginId"]]
    for pattern in ("/events", "/catalog", "/catalog/*", "/trending", "/me/*"):
        assert behaviors[pattern]["TargetOriginId"] == behaviors["/playback/*"]["TargetOriginId"], pattern
    assert api["CustomOriginConfig"] == {"OriginProtocolPolicy": "https-only", "OriginSSLProtocols": ["TLSv1.2"]}
    assert api["DomainName"]["Fn::Join"][1][1:] == [".execute-api.us-east-1.", {"Ref": "AWS::URLSuffix"}]


def test_vod_behaviors_require_the_trusted_key_group_and_nothing_else_does(synthesized: Synthesized, env: str):
    template = synthesized.stack(env, "Edge").template
    config = _config(template)
    key_group = {"Ref": logical_id_by_path(template, "Edge/Signing/KeyGroup/Resource")}
    for pattern, behavior in _behaviors(config).items():
        trusted = behavior.get("TrustedKeyGroups")
        assert trusted == ([key_group] if pattern.startswith("/vod/") else None), pattern
    assert "TrustedKeyGroups" not in config["DefaultCacheBehavior"]
    assert all(
        b["ViewerProtocolPolicy"] == "redirect-to-https"
        for b in [*config["CacheBehaviors"], config["DefaultCacheBehavior"]]
    )


CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"  # AWS managed cache policy
ALL_VIEWER_EXCEPT_HOST_HEADER = "b689b0a8-53d0-40ab-baf2-68738e2966ac"  # AWS managed origin request policy


def test_the_key_service_behavior_is_never_cached_and_forwards_the_token_and_country(
    synthesized: Synthesized, env: str
):
    template = synthesized.stack(env, "Edge").template
    behaviors = _behaviors(_config(template))
    for pattern in ("/vod/*/keys/clearkey", "/vod/*/keys/*"):
        assert behaviors[pattern]["CachePolicyId"] == CACHING_DISABLED
        # query, cookies, viewer country, and a licence POST's x-amz-content-sha256
        assert behaviors[pattern]["OriginRequestPolicyId"] == ALL_VIEWER_EXCEPT_HOST_HEADER
        assert behaviors[pattern]["TrustedKeyGroups"] == behaviors["/vod/*"]["TrustedKeyGroups"]
    assert behaviors["/vod/*/keys/*"]["AllowedMethods"] == ["GET", "HEAD"]  # the HLS key
    # The Clear Key licence is a POST; CloudFront has no narrower set with POST (the function answers 405 to every
    # other method, tests/functions/key_service).
    assert behaviors["/vod/*/keys/clearkey"]["AllowedMethods"] == [
        "GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"
    ]  # fmt: skip
    # The function URL: IAM auth, invokable by this distribution only (through OAC).
    (url,) = (
        r["Properties"]
        for r in resources_of_type(template, "AWS::Lambda::Url").values()
        if "KeyService" in json.dumps(r["Properties"]["TargetFunctionArn"])
    )
    assert url["AuthType"] == "AWS_IAM"
    permissions = [
        p["Properties"]
        for p in resources_of_type(template, "AWS::Lambda::Permission").values()
        if "KeyService" in json.dumps(p["Properties"]["FunctionName"])
    ]
    assert {p["Principal"] for p in permissions} == {"cloudfront.amazonaws.com"}
    assert all("SourceArn" in p for p in permissions)


def test_the_key_group_holds_the_configured_public_key(synthesized: Synthesized, env: str):
    template = synthesized.stack(env, "Edge").template
    ((key_id, key),) = resources_of_type(template, "AWS::CloudFront::PublicKey").items()
    (group,) = resources_of_type(template, "AWS::CloudFront::KeyGroup").values()
    assert group["Properties"]["KeyGroupConfig"]["Items"] == [{"Ref": key_id}]
    (path,) = synthesized.configs[env].edge.signing_public_keys
    assert (
        key["Properties"]["PublicKeyConfig"]["EncodedKey"] == (Path(__file__).resolve().parents[2] / path).read_text()
    )
    assert template["Outputs"]["ActiveSigningKeyId"]["Value"] == {"Ref": key_id}


def test_s3_origins_use_origin_access_control_and_no_oai_exists_anywhere(synthesized: Synthesized, env: str):
    template = synthesized.stack(env, "Edge").template
    config = _config(template)
    s3_origins = [o for o in config["Origins"] if "S3OriginConfig" in o]
    assert len(s3_origins) == (2 if env == "prod" else 1)
    oac_id = logical_id_by_path(template, "Edge/S3Access/Resource")
    for origin in s3_origins:
        assert origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}
        assert origin["OriginAccessControlId"] == {"Fn::GetAtt": [oac_id, "Id"]}
    oac = template["Resources"][oac_id]["Properties"]["OriginAccessControlConfig"]
    assert (oac["OriginAccessControlOriginType"], oac["SigningBehavior"], oac["SigningProtocol"]) == (
        "s3",
        "always",
        "sigv4",
    )
    stack, value = _output_of(s3_origins[0]["DomainName"], synthesized, env)
    storage = synthesized.stack(env, "Storage").template
    assert (stack, value) == (
        "Storage",
        {"Fn::GetAtt": [logical_id_by_path(storage, "Storage/ContentBucket/Resource"), "RegionalDomainName"]},
    )
    for artifact in synthesized.stacks:
        assert not resources_of_type(artifact.template, "AWS::CloudFront::CloudFrontOriginAccessIdentity")


def test_prod_fails_over_to_the_replica_and_other_environments_do_not(synthesized: Synthesized, env: str):
    config = _config(synthesized.stack(env, "Edge").template)
    segments = _behaviors(config)["/vod/*"]
    if env != "prod":
        assert "OriginGroups" not in config
        assert "S3OriginConfig" in _origins(config)[segments["TargetOriginId"]]
        return
    (group,) = config["OriginGroups"]["Items"]
    assert segments["TargetOriginId"] == group["Id"]
    assert group["FailoverCriteria"]["StatusCodes"] == {"Items": [403, 404, 500, 502, 503, 504], "Quantity": 6}
    primary, fallback = (_origins(config)[m["OriginId"]] for m in group["Members"]["Items"])
    assert "Fn::GetStackOutput" in primary["DomainName"]
    assert fallback["DomainName"] == {"Fn::Join": ["", [REPLICA_BUCKET, ".s3.us-west-2.amazonaws.com"]]}


def test_cache_and_origin_request_policies_by_content_type(synthesized: Synthesized, env: str):
    template = synthesized.stack(env, "Edge").template
    edge = synthesized.configs[env].edge
    behaviors = _behaviors(_config(template))
    manifest = template["Resources"][behaviors["/vod/*.m3u8"]["CachePolicyId"]["Ref"]]["Properties"][
        "CachePolicyConfig"
    ]
    assert behaviors["/vod/*.mpd"]["CachePolicyId"] == behaviors["/vod/*.m3u8"]["CachePolicyId"]
    assert manifest["ParametersInCacheKeyAndForwardedToOrigin"]["QueryStringsConfig"] == {"QueryStringBehavior": "all"}
    assert manifest["ParametersInCacheKeyAndForwardedToOrigin"]["EnableAcceptEncodingGzip"] is True
    # Signed-cookie viewers share one cached manifest (as stored): cookies are not in the key...
    assert manifest["ParametersInCacheKeyAndForwardedToOrigin"]["CookiesConfig"] == {"CookieBehavior": "none"}
    # ...but their token reaches the rewriter (tests/e2e plays through cookies).
    manifest_forwarding = template["Resources"][behaviors["/vod/*.m3u8"]["OriginRequestPolicyId"]["Ref"]]["Properties"][
        "OriginRequestPolicyConfig"
    ]
    assert behaviors["/vod/*.mpd"]["OriginRequestPolicyId"] == behaviors["/vod/*.m3u8"]["OriginRequestPolicyId"]
    assert manifest_forwarding["CookiesConfig"] == {
        "CookieBehavior": "whitelist",
        "Cookies": ["CloudFront-Policy", "CloudFront-Signature", "CloudFront-Key-Pair-Id"],
    }
    assert manifest_forwarding["HeadersConfig"] == {"HeaderBehavior": "none"}
    assert manifest_forwarding["QueryStringsConfig"] == {"QueryStringBehavior": "none"}  # the key has them all
    assert (manifest["MinTTL"], manifest["MaxTTL"]) == (0, edge.manifest_max_ttl_seconds)

    segments = behaviors["/vod/*"]
    segment = template["Resources"][segments["CachePolicyId"]["Ref"]]["Properties"]["CachePolicyConfig"]
    key = segment["ParametersInCacheKeyAndForwardedToOrigin"]
    assert key["QueryStringsConfig"] == {"QueryStringBehavior": "none"}
    assert key["HeadersConfig"] == {"HeaderBehavior": "none"}
    assert key["CookiesConfig"] == {"CookieBehavior": "none"}
    assert segment["DefaultTTL"] == segment["MaxTTL"] == edge.segment_ttl_days * 86400
    assert segments["Compress"] is False
    forwarding = template["Resources"][segments["OriginRequestPolicyId"]["Ref"]]["Properties"][
        "OriginRequestPolicyConfig"
    ]
    assert forwarding["QueryStringsConfig"] == {
        "QueryStringBehavior": "allExcept",
        "QueryStrings": list(TOKEN_PARAMETERS),
    }
    assert TOKEN_PARAMETERS == ("Policy", "Signature", "Key-Pair-Id")
    caching_disabled = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
    for pattern in ("/playback/*", "/catalog", "/catalog/*", "/trending", "/me/*", "/events", "/api/*"):
        assert behaviors[pattern]["CachePolicyId"] == caching_disabled


def test_the_api_behaviors_forward_cloudfronts_viewer_country_and_not_host(synthesized: Synthesized, env: str):
    """Managed-AllViewerExceptHostHeader: every viewer header but Host (API Gateway refuses another Host),
    plus, by its documentation ("Use managed origin request policies"), CloudFront's device type and
    viewer location headers: CloudFront-Viewer-Country, which the issuer, the catalog and the rows API read."""
    behaviors = _behaviors(_config(synthesized.stack(env, "Edge").template))
    all_viewer_except_host = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
    for pattern in ("/playback/*", "/catalog", "/catalog/*", "/trending", "/me/*", "/events"):
        assert behaviors[pattern]["OriginRequestPolicyId"] == all_viewer_except_host
        assert behaviors[pattern]["ViewerProtocolPolicy"] == "redirect-to-https"
    for pattern in ("/catalog", "/trending", "/me/*"):
        assert behaviors[pattern]["AllowedMethods"] == ["GET", "HEAD", "OPTIONS"], pattern


def test_response_headers_http_versions_price_class_and_waf(synthesized: Synthesized, env: str):
    template = synthesized.stack(env, "Edge").template
    config = _config(template)
    (policy,) = resources_of_type(template, "AWS::CloudFront::ResponseHeadersPolicy").values()
    security = policy["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    assert security["StrictTransportSecurity"] == {
        "AccessControlMaxAgeSec": 63072000,
        "IncludeSubdomains": True,
        "Override": True,
    }
    assert security["ContentTypeOptions"] == {"Override": True}
    assert security["ReferrerPolicy"] == {"ReferrerPolicy": "strict-origin-when-cross-origin", "Override": True}
    assert "CorsConfig" not in policy["Properties"]["ResponseHeadersPolicyConfig"]  # no origins configured
    assert config["HttpVersion"] == "http2and3"
    assert config["PriceClass"] == synthesized.configs[env].edge.price_class
    stack, value = _output_of(config["WebACLId"], synthesized, env)
    waf = synthesized.stack(env, "EdgeSecurity").template
    assert (stack, value) == ("EdgeSecurity", {"Fn::GetAtt": [logical_id_by_path(waf, "EdgeSecurity/WebAcl"), "Arn"]})
    assert config["Logging"]["Prefix"] == "cloudfront/"
    assert config["Logging"]["IncludeCookies"] is False
    assert "Restrictions" not in config
    assert "ViewerCertificate" not in config


def test_real_time_logs_go_to_the_cdn_log_stream(synthesized: Synthesized, env: str):
    template = synthesized.stack(env, "Edge").template
    if synthesized.configs[env].analytics.cdn_logs is None:  # dev: no CDN log stream, so no real-time logs
        assert resources_of_type(template, "AWS::CloudFront::RealtimeLogConfig") == {}
        config = _config(template)
        behaviors = [*config["CacheBehaviors"], config["DefaultCacheBehavior"]]
        assert not [b for b in behaviors if "RealtimeLogConfigArn" in b]
        return
    ((config_id, realtime),) = resources_of_type(template, "AWS::CloudFront::RealtimeLogConfig").items()
    props = realtime["Properties"]
    assert props["Fields"] == list(FIELDS)
    assert not {"cs-uri-query", "cs-cookie"} & set(props["Fields"])
    assert props["SamplingRate"] == synthesized.configs[env].edge.realtime_log_sampling_percent
    (endpoint,) = props["EndPoints"]
    assert endpoint["StreamType"] == "Kinesis"
    stack, value = _output_of(endpoint["KinesisStreamConfig"]["StreamArn"], synthesized, env)
    analytics = synthesized.stack(env, "Analytics").template
    assert (stack, value) == (
        "Analytics",
        {"Fn::GetAtt": [logical_id_by_path(analytics, "Analytics/CdnLogs/Stream/Resource"), "Arn"]},
    )
    config = _config(template)
    for behavior in [*config["CacheBehaviors"], config["DefaultCacheBehavior"]]:
        assert behavior["RealtimeLogConfigArn"] == {"Ref": config_id}


def _edge_for(overrides: dict[str, Any]) -> dict[str, Any]:
    config = load_config(overrides={"staging": overrides})["staging"]
    stage = ShowrunnerStage(App(context=cdk_context()), config)
    return dict(Template.from_stack(stage.edge).to_json())


def test_custom_domain_gets_its_certificate_and_tls_1_2_2021():
    config = _config(_edge_for({"domain_name": "watch.example.com", "certificate_arn": CERT}))
    assert config["Aliases"] == ["watch.example.com"]
    assert config["ViewerCertificate"] == {
        "AcmCertificateArn": CERT,
        "MinimumProtocolVersion": "TLSv1.2_2021",
        "SslSupportMethod": "sni-only",
    }


@pytest.mark.parametrize(
    ("overrides", "restriction"),
    [
        ({"blocked_countries": ["KP"]}, {"RestrictionType": "blacklist", "Locations": ["KP"]}),
        ({"allowed_countries": ["US", "CA"]}, {"RestrictionType": "whitelist", "Locations": ["US", "CA"]}),
    ],
)
def test_geo_restriction_from_configuration(overrides: dict[str, Any], restriction: dict[str, Any]):
    assert _config(_edge_for(overrides))["Restrictions"] == {"GeoRestriction": restriction}


def test_cors_for_configured_player_origins():
    template = _edge_for({"edge": {"cors_allowed_origins": ["https://player.example.com"]}})
    (policy,) = resources_of_type(template, "AWS::CloudFront::ResponseHeadersPolicy").values()
    cors = policy["Properties"]["ResponseHeadersPolicyConfig"]["CorsConfig"]
    assert cors["AccessControlAllowOrigins"] == {"Items": ["https://player.example.com"]}
    assert cors["AccessControlAllowCredentials"] is False


def _public_key_file(directory: Path, name: str) -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    path = directory / name
    path.write_bytes(key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    return str(path)


def test_rotation_reorders_keys_without_replacing_them(tmp_path: Path):
    old, new = _public_key_file(tmp_path, "old.pem"), _public_key_file(tmp_path, "new.pem")
    during = _edge_for({"edge": {"signing_public_keys": [old, new]}})
    switched = _edge_for({"edge": {"signing_public_keys": [new, old]}})
    keys_during = resources_of_type(during, "AWS::CloudFront::PublicKey")
    keys_switched = resources_of_type(switched, "AWS::CloudFront::PublicKey")
    assert keys_during == keys_switched  # same logical IDs and contents: no replacement, no new key IDs
    new_id = next(
        k for k, v in keys_during.items() if v["Properties"]["PublicKeyConfig"]["EncodedKey"] == Path(new).read_text()
    )
    assert switched["Outputs"]["ActiveSigningKeyId"]["Value"] == {"Ref": new_id}
    assert during["Outputs"]["ActiveSigningKeyId"]["Value"] != {"Ref": new_id}


def test_additional_metrics_only_where_configured(synthesized: Synthesized, env: str):
    template = synthesized.stack(env, "Edge").template
    subscriptions = resources_of_type(template, "AWS::CloudFront::MonitoringSubscription")
    if not synthesized.configs[env].edge.additional_metrics:
        assert subscriptions == {}
        return
    (subscription,) = subscriptions.values()
    distribution_id = logical_id_by_path(template, "Edge/Distribution/Resource")
    assert subscription["Properties"] == {
        "DistributionId": {"Ref": distribution_id},
        "MonitoringSubscription": {
            "RealtimeMetricsSubscriptionConfig": {"RealtimeMetricsSubscriptionStatus": "Enabled"}
        },
    }
