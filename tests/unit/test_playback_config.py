"""The playback settings (``playback.*``): defaults, overrides and every kind of bad input."""

from __future__ import annotations

from typing import Any

import pytest

from stacks.config import load_config
from tests.unit.test_config import test_bad_values_stop_with_one_message_naming_the_setting as check_bad_input


def test_defaults_sign_for_six_hours_and_wait_for_the_edge_stack():
    for config in load_config().values():
        assert config.playback.url_ttl_seconds == 21_600
        assert config.playback.distribution_domain is None
        assert config.playback.key_pair_id is None


def test_overrides():
    playback = load_config(
        overrides={
            "prod": {
                "playback": {
                    "url_ttl_seconds": 300,
                    "distribution_domain": "d111111abcdef8.cloudfront.net",
                    "key_pair_id": "K2JCJMDEHXQW5F",
                }
            }
        }
    )["prod"].playback
    assert (playback.url_ttl_seconds, playback.distribution_domain, playback.key_pair_id) == (
        300,
        "d111111abcdef8.cloudfront.net",
        "K2JCJMDEHXQW5F",
    )
    assert load_config(overrides={"dev": {"playback": {"url_ttl_seconds": 86_400}}})["dev"].playback.url_ttl_seconds


@pytest.mark.parametrize(
    ("playback", "message"),
    [
        ({"url_ttl_seconds": 299}, "url_ttl_seconds: Input should be greater than or equal to 300"),
        ({"url_ttl_seconds": 86_401}, "url_ttl_seconds: Input should be less than or equal to 86400"),
        ({"url_ttl_seconds": "6h"}, "url_ttl_seconds: Input should be a valid integer"),
        ({"distribution_domain": "https://d1.cloudfront.net"}, "distribution_domain: must be a lowercase DNS name"),
        ({"distribution_domain": "D1.CloudFront.net"}, "distribution_domain: must be a lowercase DNS name"),
        ({"key_pair_id": "k2jcjmdehxqw5f"}, "key_pair_id: String should match pattern"),
        ({"key_pair_id": "K1"}, "key_pair_id: String should match pattern"),
        ({"ttl": 600}, "ttl: Extra inputs are not permitted"),
    ],
)
def test_bad_playback_values(playback: dict[str, Any], message: str):
    check_bad_input("playback", {"dev": {"playback": playback}}, f"dev.playback.{message}")


def test_playback_must_be_an_object():
    check_bad_input("playback", {"dev": {"playback": 600}}, "dev.playback: Input should be a valid dictionary")
