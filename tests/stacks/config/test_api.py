"""The API settings' email sender (``api.email_sender``): Cognito's emails through SES, and every kind of bad input."""

from __future__ import annotations

from typing import Any

import pytest

from stacks.config import load_config
from tests.stacks.config.test_config import test_bad_values_stop_with_one_message_naming_the_setting as check_bad_input

SENDER = {
    "from_address": "no-reply@watch.example.com",
    "from_name": "Showrunner",
    "verified_domain": "watch.example.com",
}


def test_no_environment_has_a_sender_by_default():
    assert {name: config.api.email_sender for name, config in load_config().items()} == {
        "dev": None,
        "staging": None,
        "prod": None,
    }


def test_a_sender_for_prod():
    sender = load_config(overrides={"prod": {"api": {"email_sender": SENDER}}})["prod"].api.email_sender
    assert sender is not None
    assert (sender.from_address, sender.from_name, sender.verified_domain, sender.ses_region) == (
        "no-reply@watch.example.com",
        "Showrunner",
        "watch.example.com",
        None,
    )


@pytest.mark.parametrize(
    ("sender", "message"),
    [
        ({}, "from_address: Field required"),
        ({"from_address": "showrunner"}, "from_address: must be an email address, got 'showrunner'"),
        (
            {"from_address": "a@watch.example.com", "reply_to": "support"},
            "reply_to: must be an email address, got 'support'",
        ),
        (
            {"from_address": "a@watch.example.com", "verified_domain": "example.org"},
            "verified_domain: must be the domain of from_address (watch.example.com), got 'example.org'",
        ),
        (
            {"from_address": "a@watch.example.com", "ses_region": "virginia"},
            "ses_region: must be an AWS region such as us-east-1, got 'virginia'",
        ),
        ({"from_address": "a@watch.example.com", "sender": "x"}, "sender: Extra inputs are not permitted"),
    ],
)
def test_bad_sender_values(sender: dict[str, Any], message: str):
    check_bad_input("api", {"prod": {"api": {"email_sender": sender}}}, f"prod.api.email_sender.{message}")
