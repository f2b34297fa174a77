"""Production readiness flags (tools/developer/review/readiness.py), on small assemblies written by hand."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.tools.developer.review.helpers import write_assembly
from tools.developer.review.readiness import Flag, readiness_flags


def _api(email: dict[str, Any] | None) -> dict[str, Any]:
    properties: dict[str, Any] = {"UserPoolName": "viewers"}
    if email is not None:
        properties["EmailConfiguration"] = email
    return {"Resources": {"Viewers": {"Type": "AWS::Cognito::UserPool", "Properties": properties}}}


def test_a_prod_pool_on_cognitos_own_sender_is_flagged(tmp_path: Path):
    stacks = write_assembly(tmp_path, {"prod-Api": _api(None)}, stage="prod")
    (flag,) = readiness_flags("prod", stacks)
    assert (flag.stack, flag.logical_id) == ("prod-Api", "Viewers")
    assert flag.message.startswith(
        "the user pool sends viewers' verification and password-reset emails through "
        "Cognito's own sender, capped at 50 a day for the account: set api.email_sender"
    )
    cognito_default = _api({"EmailSendingAccount": "COGNITO_DEFAULT"})
    assert readiness_flags("prod", write_assembly(tmp_path / "b", {"prod-Api": cognito_default}, stage="prod")) == [
        Flag("prod-Api", "Viewers", flag.message)
    ]


def test_a_pool_sending_through_ses_or_outside_prod_is_not_flagged(tmp_path: Path):
    ses = _api({"EmailSendingAccount": "DEVELOPER", "From": "no-reply@watch.example.com", "SourceArn": "arn"})
    assert readiness_flags("prod", write_assembly(tmp_path / "a", {"prod-Api": ses}, stage="prod")) == []
    assert readiness_flags("dev", write_assembly(tmp_path / "b", {"dev-Api": _api(None)})) == []
