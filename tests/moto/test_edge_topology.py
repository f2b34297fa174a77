"""The Edge stack deployed into moto: the distribution's origins, keys and WebACL are the real resources."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from stacks.config import REPO_ROOT
from tests.conftest import Synthesized
from tests.moto.conftest import DeployedStage, client


def _distribution(deployed: DeployedStage) -> tuple[str, dict[str, Any]]:
    distribution_id = deployed.physical_id("Edge", "Distribution")
    config: dict[str, Any] = client("cloudfront").get_distribution_config(Id=distribution_id)["DistributionConfig"]
    return distribution_id, config


def _origin_domains(config: dict[str, Any]) -> set[str]:
    return {origin["DomainName"] for origin in config["Origins"]["Items"]}


def test_origins_are_the_deployed_bucket_alb_function_url_and_api(deployed: DeployedStage):
    _, config = _distribution(deployed)
    content_bucket = deployed.physical_id("Storage", "ContentBucket")
    (load_balancer,) = client("elbv2").describe_load_balancers()["LoadBalancers"]
    rewriter = deployed.physical_id("Edge", "RewriterFunction")
    function_url = client("lambda").get_function_url_config(FunctionName=rewriter)["FunctionUrl"]
    api = client("apigatewayv2").get_api(ApiId=deployed.physical_id("Api", "HttpApi"))
    expected = {
        f"{content_bucket}.s3.us-east-1.amazonaws.com",
        load_balancer["DNSName"],
        urlparse(function_url).hostname,
        urlparse(api["ApiEndpoint"]).hostname,
    }
    if deployed.env == "prod":
        expected.add("showrunner-prod-content-replica-123456789012-us-west-2.s3.us-west-2.amazonaws.com")
    assert _origin_domains(config) == expected
    assert client("s3").head_bucket(Bucket=content_bucket)["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_alb_origin_carries_the_deployed_origin_header_secret(deployed: DeployedStage):
    _, config = _distribution(deployed)
    (load_balancer,) = client("elbv2").describe_load_balancers()["LoadBalancers"]
    (alb_origin,) = [o for o in config["Origins"]["Items"] if o["DomainName"] == load_balancer["DNSName"]]
    secret = client("secretsmanager").get_secret_value(SecretId=deployed.physical_id("Origin", "OriginHeaderSecret"))
    assert alb_origin["CustomHeaders"]["Items"] == [
        {"HeaderName": "X-Origin-Verify", "HeaderValue": secret["SecretString"]}
    ]


def test_vod_behaviors_trust_the_key_group_holding_the_configured_public_key(
    deployed: DeployedStage, synthesized: Synthesized
):
    _, config = _distribution(deployed)
    cloudfront = client("cloudfront")
    key_group_id = deployed.physical_id("Edge", "SigningKeyGroup")
    behaviors = {b["PathPattern"]: b for b in config["CacheBehaviors"]["Items"]}
    for pattern in ("/vod/*.m3u8", "/vod/*.mpd", "/vod/*"):
        assert behaviors[pattern]["TrustedKeyGroups"] == {"Enabled": True, "Quantity": 1, "Items": [key_group_id]}
    for pattern in ("/playback/*", "/events", "/api/*"):
        assert behaviors[pattern]["TrustedKeyGroups"]["Enabled"] is False
    (key_id,) = cloudfront.get_key_group(Id=key_group_id)["KeyGroup"]["KeyGroupConfig"]["Items"]
    encoded = cloudfront.get_public_key(Id=key_id)["PublicKey"]["PublicKeyConfig"]["EncodedKey"]
    (configured,) = synthesized.configs[deployed.env].edge.signing_public_keys
    assert encoded == (REPO_ROOT / configured).read_text()


def test_web_acl_and_standard_logs_are_the_deployed_ones(deployed: DeployedStage):
    _, config = _distribution(deployed)
    (acl,) = client("wafv2").list_web_acls(Scope="CLOUDFRONT")["WebACLs"]
    assert config["WebACLId"] == acl["ARN"]
    logs_bucket = deployed.physical_id("Storage", "LogsBucket")
    assert config["Logging"] == {
        "Enabled": True,
        "IncludeCookies": False,
        "Bucket": f"{logs_bucket}.s3.us-east-1.amazonaws.com",
        "Prefix": "cloudfront/",
    }


def test_issuer_signs_for_the_deployed_distribution_with_the_active_key(deployed: DeployedStage):
    distribution_id, _ = _distribution(deployed)
    domain = client("cloudfront").get_distribution(Id=distribution_id)["Distribution"]["DomainName"]
    issuer = deployed.physical_id("Playback", "IssuerFunction")
    variables = client("lambda").get_function_configuration(FunctionName=issuer)["Environment"]["Variables"]
    key_group = client("cloudfront").get_key_group(Id=deployed.physical_id("Edge", "SigningKeyGroup"))
    assert variables["DISTRIBUTION_DOMAIN"] == domain
    assert [variables["KEY_PAIR_ID"]] == key_group["KeyGroup"]["KeyGroupConfig"]["Items"]
