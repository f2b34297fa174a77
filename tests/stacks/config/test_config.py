"""Environment configuration: defaults, overrides, and every kind of bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from stacks.config import DEFAULTS, ConfigError, load_config

ROOT = Path(__file__).resolve().parents[3]
CERT = "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-0a1b-0a1b-0a1b-0a1b2c3d4e5f"


def test_defaults_are_valid_and_differ_as_documented():
    configs = load_config()
    assert list(configs) == ["dev", "staging", "prod"]
    assert configs["prod"].production
    assert configs["prod"].retain_data
    assert not configs["dev"].production
    assert configs["dev"].data_removal == "destroy"
    assert configs["dev"].nat.mode == "instance"
    assert configs["prod"].nat.mode == "gateway"
    assert configs["prod"].nat.gateways == len(configs["prod"].availability_zones) == 3
    assert all(c.edge_region == "us-east-1" for c in configs.values())
    assert len({c.vpc_cidr for c in configs.values()}) == 3


def test_overrides_merge_into_defaults_key_by_key():
    configs = load_config(overrides={"dev": {"origin": {"max_capacity": 6}, "alarm_email": "ops@example.com"}})
    dev = configs["dev"]
    assert dev.origin.max_capacity == 6
    assert dev.origin.min_capacity == DEFAULTS["dev"]["origin"]["min_capacity"]
    assert dev.alarm_email == "ops@example.com"
    assert configs["staging"].alarm_email is None


def test_overrides_accept_a_json_string_as_cdk_context_passes_it():
    configs = load_config(overrides='{"staging": {"blocked_countries": ["KP", "RU"]}}')
    assert configs["staging"].blocked_countries == ["KP", "RU"]


def test_config_file_then_inline_overrides(tmp_path: Path):
    path = tmp_path / "showrunner.json"
    path.write_text(json.dumps({"prod": {"alarm_email": "file@example.com", "origin": {"max_capacity": 20}}}))
    configs = load_config(config_file=path, overrides={"prod": {"alarm_email": "inline@example.com"}})
    assert configs["prod"].alarm_email == "inline@example.com"
    assert configs["prod"].origin.max_capacity == 20


def test_domain_and_certificate_together():
    configs = load_config(overrides={"prod": {"domain_name": "watch.example.com", "certificate_arn": CERT}})
    assert configs["prod"].domain_name == "watch.example.com"


BAD_INPUTS: list[tuple[str, dict[str, Any], str]] = [
    (
        "negative capacity",
        {"dev": {"origin": {"min_capacity": -1}}},
        "dev.origin.min_capacity: Input should be greater than or equal to 0",
    ),
    (
        "capacity order",
        {"dev": {"origin": {"desired_capacity": 5}}},
        "dev.origin: must satisfy min_capacity <= desired_capacity <= max_capacity",
    ),
    (
        "zero max",
        {"dev": {"origin": {"min_capacity": 0, "desired_capacity": 0, "max_capacity": 0}}},
        "dev.origin.max_capacity",
    ),
    (
        "capacity not a number",
        {"dev": {"origin": {"max_capacity": "lots"}}},
        "dev.origin.max_capacity: Input should be a valid integer",
    ),
    ("unknown region", {"staging": {"region": "us-moon-1"}}, "staging.region: unknown AWS region 'us-moon-1'"),
    (
        "zone of another region",
        {"dev": {"availability_zones": ["us-east-1a", "eu-west-1b"]}},
        "dev.availability_zones: 'eu-west-1b' is not an availability zone of us-east-1",
    ),
    (
        "zones unchanged after region move",
        {"dev": {"region": "eu-west-1"}},
        "dev.availability_zones: 'us-east-1a' is not an availability zone of eu-west-1",
    ),
    (
        "one zone",
        {"dev": {"availability_zones": ["us-east-1a"]}},
        "dev.availability_zones: List should have at least 2 items",
    ),
    (
        "repeated zone",
        {"dev": {"availability_zones": ["us-east-1a", "us-east-1a"]}},
        "dev.availability_zones: lists a zone more than once",
    ),
    ("edge region", {"dev": {"edge_region": "eu-west-1"}}, "dev.edge_region: Input should be 'us-east-1'"),
    (
        "prod destroys data",
        {"prod": {"data_removal": "destroy"}},
        "prod.data_removal: is 'destroy' in a production environment",
    ),
    ("removal value", {"dev": {"data_removal": "wipe"}}, "dev.data_removal: Input should be 'destroy' or 'retain'"),
    (
        "too many NAT gateways",
        {"staging": {"nat": {"gateways": 3}}},
        "staging.nat.gateways: is 3 but there are only 2 availability zones",
    ),
    ("NAT mode", {"dev": {"nat": {"mode": "none"}}}, "dev.nat.mode: Input should be 'instance' or 'gateway'"),
    ("x86 NAT instance", {"dev": {"nat": {"instance_type": "t3.nano"}}}, "dev.nat.instance_type: must be a Graviton"),
    (
        "unknown endpoint",
        {"dev": {"interface_endpoints": ["s3x"]}},
        "dev.interface_endpoints: unknown interface endpoint service(s) ['s3x']",
    ),
    (
        "CloudWatch retention",
        {"dev": {"retention": {"cloudwatch_logs_days": 10}}},
        "dev.retention.cloudwatch_logs_days: must be one of the values CloudWatch Logs accepts",
    ),
    (
        "log expiry",
        {"dev": {"retention": {"access_logs_days": 0}}},
        "dev.retention.access_logs_days: Input should be greater than or equal to 1",
    ),
    ("account id", {"prod": {"account": "12345"}}, "prod.account: String should match pattern"),
    ("vpc cidr", {"dev": {"vpc_cidr": "192.168.0.0/16"}}, "dev.vpc_cidr: String should match pattern"),
    (
        "country code",
        {"prod": {"blocked_countries": ["USA"]}},
        "prod.blocked_countries: must be ISO 3166-1 alpha-2 codes",
    ),
    (
        "allowed and blocked",
        {"prod": {"allowed_countries": ["US"], "blocked_countries": ["KP"]}},
        "prod.blocked_countries: set allowed_countries or blocked_countries, not both",
    ),
    (
        "domain without certificate",
        {"prod": {"domain_name": "watch.example.com"}},
        "prod.certificate_arn: domain_name and certificate_arn must be set together",
    ),
    (
        "certificate outside us-east-1",
        {
            "prod": {
                "domain_name": "watch.example.com",
                "certificate_arn": CERT.replace("us-east-1", "eu-west-1"),
            }
        },
        "prod.certificate_arn: must be the ARN of an ACM certificate in us-east-1",
    ),
    (
        "bad domain",
        {"prod": {"domain_name": "Watch Example", "certificate_arn": None}},
        "prod.domain_name: must be a lowercase DNS name",
    ),
    ("bad email", {"dev": {"alarm_email": "not-an-email"}}, "dev.alarm_email: is not an email address"),
    ("typo in a key", {"dev": {"alarm_emial": "ops@example.com"}}, "dev.alarm_emial: Extra inputs are not permitted"),
    ("typo in a nested key", {"dev": {"origin": {"max": 3}}}, "dev.origin.max: Extra inputs are not permitted"),
    ("environment name", {"dev": {"name": "Dev Env"}}, "dev.name: must be lowercase letters"),
    (
        "replica in the same region",
        {"prod": {"edge": {"replica_region": "us-east-1"}}},
        "prod.edge.replica_region: must differ from region us-east-1",
    ),
    (
        "unknown replica region",
        {"prod": {"edge": {"replica_region": "mars-1"}}},
        "prod.edge.replica_region: unknown AWS region 'mars-1'",
    ),
    (
        "price class",
        {"dev": {"edge": {"price_class": "PriceClass_50"}}},
        "dev.edge.price_class: Input should be 'PriceClass_100', 'PriceClass_200' or 'PriceClass_All'",
    ),
    (
        "sampling rate",
        {"dev": {"edge": {"realtime_log_sampling_percent": 0}}},
        "dev.edge.realtime_log_sampling_percent: Input should be greater than or equal to 1",
    ),
    (
        "cors origin",
        {"dev": {"edge": {"cors_allowed_origins": ["*"]}}},
        "dev.edge.cors_allowed_origins: must be origins such as 'https://player.example.com'",
    ),
    (
        "waf rate limit",
        {"dev": {"edge": {"waf_rate_limit": 5}}},
        "dev.edge.waf_rate_limit: Input should be greater than or equal to 10",
    ),
    (
        "manifest ttl",
        {"dev": {"edge": {"manifest_max_ttl_seconds": 3600}}},
        "dev.edge.manifest_max_ttl_seconds: Input should be less than or equal to 60",
    ),
    (
        "manifest freshness longer than the edge keeps it",
        {"dev": {"edge": {"manifest_max_ttl_seconds": 5, "manifest_fresh_seconds": 6}}},
        "dev.edge.manifest_fresh_seconds: is 6, longer than manifest_max_ttl_seconds (5)",
    ),
    (
        "issuer not https",
        {"dev": {"api": {"jwt_issuer": "http://login.example.com", "jwt_audience": ["a"]}}},
        "dev.api.jwt_issuer: must be an https:// URL",
    ),
    (
        "issuer without audience",
        {"dev": {"api": {"jwt_issuer": "https://login.example.com"}}},
        "dev.api.jwt_audience: must list at least one audience when jwt_issuer is set",
    ),
    (
        "audience without issuer",
        {"dev": {"api": {"jwt_audience": ["player"]}}},
        "dev.api.jwt_issuer: must be set when jwt_audience is set",
    ),
    (
        "burst below rate",
        {"prod": {"api": {"throttle_burst_limit": 10}}},
        "prod.api.throttle_burst_limit: must be at least throttle_rate_limit",
    ),
    (
        "zero rate",
        {"prod": {"api": {"throttle_rate_limit": 0}}},
        "prod.api.throttle_rate_limit: Input should be greater than or equal to 1",
    ),
]


@pytest.mark.parametrize(("case", "overrides", "message"), BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS])
def test_bad_values_stop_with_one_message_naming_the_setting(case: str, overrides: dict[str, Any], message: str):
    with pytest.raises(ConfigError) as error:
        load_config(overrides=overrides)
    text = str(error.value)
    assert text.startswith("Invalid Showrunner configuration: ")
    assert message in text
    assert "\n" not in text


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ("{not json", "overrides: not valid JSON"),
        ("[1, 2]", "overrides: must be a JSON object keyed by environment name"),
        ({"qa": {}}, "overrides: unknown environment(s) ['qa']"),
        ({"dev": 3}, "overrides: dev must be a JSON object"),
    ],
)
def test_malformed_override_documents(overrides: Any, message: str):
    with pytest.raises(ConfigError, match=None) as error:
        load_config(overrides=overrides)
    assert message in str(error.value)


def test_unreadable_config_file(tmp_path: Path):
    with pytest.raises(ConfigError, match=r"config_file '.*missing\.json': cannot be read"):
        load_config(config_file=tmp_path / "missing.json")


def test_config_file_with_bad_json(tmp_path: Path):
    path = tmp_path / "bad.json"
    path.write_text('{"dev": {"origin": }')
    with pytest.raises(ConfigError, match=r"config_file '.*bad\.json': not valid JSON"):
        load_config(config_file=path)


def test_app_exits_with_one_clear_message_and_no_traceback(tmp_path: Path):
    env = dict(os.environ)
    env["CDK_CONTEXT_JSON"] = json.dumps({"overrides": {"prod": {"data_removal": "destroy"}}})
    env["CDK_OUTDIR"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, "app.py"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "error: Invalid Showrunner configuration: prod.data_removal: is 'destroy' in a production environment; "
        "production data must be retained"
    )
    assert "Traceback" not in result.stderr
    assert not list(tmp_path.glob("**/*.template.json"))
