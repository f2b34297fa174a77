"""The decision tests/iam/enforcement.py adds to moto: precise where it can be, closed where it cannot."""

from __future__ import annotations

from typing import Any

import pytest

from tests.iam.enforcement import Check, NotEvaluableError, decide

KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:signing-key-AbCdEf"
VIA_SECRETS_MANAGER = {
    "kms:viaservice": "secretsmanager.us-east-1.amazonaws.com",
    "kms:encryptioncontext:secretarn": SECRET,
}


def allow(**extra: Any) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": KEY, **extra}],
    }


def test_an_allow_on_the_resource_allows_and_names_its_statement():
    decision = decide([allow(Sid="DecryptSigningKey")], Check("kms:Decrypt", KEY))
    assert (decision.allowed, decision.statements) == (True, ("DecryptSigningKey",))


@pytest.mark.parametrize(
    ("action", "resource"),
    [("kms:Encrypt", KEY), ("kms:Decrypt", KEY.replace("1234abcd", "9999abcd")), ("kms:Decrypt", "*")],
    ids=["other-action", "other-key", "unresolved-resource"],
)
def test_another_action_or_resource_is_denied(action: str, resource: str):
    assert not decide([allow()], Check(action, resource)).allowed


def test_a_condition_holds_only_with_the_request_values():
    conditioned = allow(Condition={"StringEquals": {"kms:ViaService": "secretsmanager.us-east-1.amazonaws.com"}})
    assert decide([conditioned], Check("kms:Decrypt", KEY, VIA_SECRETS_MANAGER)).allowed
    other_service = {**VIA_SECRETS_MANAGER, "kms:viaservice": "ssm.us-east-1.amazonaws.com"}
    assert not decide([conditioned], Check("kms:Decrypt", KEY, other_service)).allowed


def test_a_condition_key_the_request_does_not_carry_denies():
    """moto alone treats it as true; here it fails closed."""
    conditioned = allow(Condition={"StringEquals": {"kms:ViaService": "secretsmanager.us-east-1.amazonaws.com"}})
    assert not decide([conditioned], Check("kms:Decrypt", KEY)).allowed


def test_an_operator_that_is_not_modelled_denies():
    conditioned = allow(Condition={"ArnLike": {"kms:ViaService": "secretsmanager.*.amazonaws.com"}})
    assert not decide([conditioned], Check("kms:Decrypt", KEY, VIA_SECRETS_MANAGER)).allowed


@pytest.mark.parametrize(
    ("operator", "prefix", "allowed"),
    [
        ("StringLike", "trending/date=2026-11-27/", True),
        ("StringLike", "trending", False),  # the pattern needs the slash
        ("StringLike", "events/", False),
        ("StringLike", "Trending/x", False),  # case-sensitive
        ("StringNotLike", "events/", True),
        ("StringNotLike", "recommendations/date=x/", False),
    ],
)
def test_string_like_matches_iam_wildcards(operator: str, prefix: str, allowed: bool):
    conditioned = allow(Condition={operator: {"s3:prefix": ["trending/*", "recommendations/*"]}})
    assert decide([conditioned], Check("kms:Decrypt", KEY, {"s3:prefix": prefix})).allowed is allowed


def test_an_explicit_deny_wins():
    deny = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "kms:*", "Resource": "*"}]}
    assert not decide([allow(), deny], Check("kms:Decrypt", KEY)).allowed


@pytest.mark.parametrize("element", ["NotResource", "NotAction"])
def test_elements_that_are_not_evaluated_are_refused(element: str):
    statement = {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": KEY, element: ["x"]}
    with pytest.raises(NotEvaluableError, match="only Action and Resource"):
        decide([{"Statement": [statement]}], Check("kms:Decrypt", KEY))


@pytest.mark.parametrize(
    ("pattern", "resource", "allowed"),
    [
        ("arn:aws:s3:::lake/events_$folder$", "arn:aws:s3:::lake/events_$folder$", True),
        ("arn:aws:s3:::lake/a.b", "arn:aws:s3:::lake/aXb", False),  # '.' is a character, not "any"
        ("arn:aws:s3:::lake/a?c", "arn:aws:s3:::lake/abc", True),
        ("arn:aws:s3:::lake/a?c", "arn:aws:s3:::lake/abbc", False),
        ("arn:aws:s3:::lake/events/*", "arn:aws:s3:::lake/events/x/y", True),
        ("arn:aws:s3:::lake/events/*", "arn:aws:s3:::lake/events", False),
    ],
)
def test_resources_match_by_iam_wildcards_only(pattern: str, resource: str, allowed: bool):
    document = {"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": pattern}]}
    assert decide([document], Check("s3:GetObject", resource)).allowed is allowed
