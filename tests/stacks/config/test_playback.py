"""The playback settings (``playback.*``): defaults, overrides and every kind of bad input."""

from __future__ import annotations

from typing import Any

import pytest

from stacks.config import load_config
from tests.stacks.config.test_config import test_bad_values_stop_with_one_message_naming_the_setting as check_bad_input


def test_defaults_a_title_plus_half_an_hour_from_15_minutes_to_six_hours():
    for config in load_config().values():
        assert config.playback.url_ttl_seconds == 21_600
        assert config.playback.token_min_seconds == 900
        assert config.playback.token_margin_seconds == 1_800
        assert (config.catalog.cache_seconds, config.catalog.page_size) == (10, 24)


def test_overrides():
    short = {"url_ttl_seconds": 300, "token_min_seconds": 300, "token_margin_seconds": 0}
    assert load_config(overrides={"prod": {"playback": short}})["prod"].playback.url_ttl_seconds == 300
    assert load_config(overrides={"dev": {"playback": {"url_ttl_seconds": 86_400}}})["dev"].playback.url_ttl_seconds


@pytest.mark.parametrize(
    ("playback", "message"),
    [
        ({"url_ttl_seconds": 299}, "url_ttl_seconds: Input should be greater than or equal to 300"),
        ({"url_ttl_seconds": 86_401}, "url_ttl_seconds: Input should be less than or equal to 86400"),
        ({"url_ttl_seconds": "6h"}, "url_ttl_seconds: Input should be a valid integer"),
        ({"url_ttl_seconds": 600}, "token_min_seconds: must not exceed url_ttl_seconds"),
        ({"token_min_seconds": 299}, "token_min_seconds: Input should be greater than or equal to 300"),
        ({"token_margin_seconds": -1}, "token_margin_seconds: Input should be greater than or equal to 0"),
        ({"token_margin_seconds": 14_401}, "token_margin_seconds: Input should be less than or equal to 14400"),
        ({"key_pair_id": "K2JCJMDEHXQW5F"}, "key_pair_id: Extra inputs are not permitted"),
        ({"ttl": 600}, "ttl: Extra inputs are not permitted"),
    ],
)
def test_bad_playback_values(playback: dict[str, Any], message: str):
    check_bad_input("playback", {"dev": {"playback": playback}}, f"dev.playback.{message}")


def test_playback_must_be_an_object():
    check_bad_input("playback", {"dev": {"playback": 600}}, "dev.playback: Input should be a valid dictionary")


@pytest.mark.parametrize(
    ("catalog", "message"),
    [
        ({"cache_seconds": 0}, "cache_seconds: Input should be greater than or equal to 1"),
        ({"cache_seconds": 61}, "cache_seconds: Input should be less than or equal to 60"),
        ({"page_size": 101}, "page_size: Input should be less than or equal to 100"),
        ({"tiers": ["gold"]}, "tiers: Extra inputs are not permitted"),
    ],
)
def test_bad_catalog_values(catalog: dict[str, Any], message: str):
    check_bad_input("catalog", {"dev": {"catalog": catalog}}, f"dev.catalog.{message}")
