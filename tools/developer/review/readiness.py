"""Production readiness: settings that work in dev but break a production service, flagged in the prod review.

A flag is not a failure (an environment may go live without a setting for a while); the review puts each
one in its summary, naming the resource and the setting that clears it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tools.developer.assembly import StackArtifact

PRODUCTION = "prod"
# Cognito's own sender: "Amazon Cognito limits the number of email messages it sends each day" (50 per account).
COGNITO_DAILY_EMAILS = 50


@dataclass(frozen=True)
class Flag:
    stack: str
    logical_id: str
    message: str


def _user_pool_email(stack: StackArtifact, logical_id: str, resource: dict[str, Any]) -> Flag | None:
    email = resource.get("Properties", {}).get("EmailConfiguration", {})
    if email.get("EmailSendingAccount") == "DEVELOPER":
        return None
    return Flag(
        stack.stack_name,
        logical_id,
        f"the user pool sends viewers' verification and password-reset emails through Cognito's own sender, "
        f"capped at {COGNITO_DAILY_EMAILS} a day for the account: set api.email_sender (Amazon SES; "
        'docs/operations.md, "Viewer sign-in emails")',
    )


CHECKS = {"AWS::Cognito::UserPool": _user_pool_email}


def readiness_flags(env: str, stacks: list[StackArtifact]) -> list[Flag]:
    """The flags of ``env``'s stacks; only production is held to them."""
    if env != PRODUCTION:
        return []
    flags = []
    for stack in stacks:
        for logical_id, resource in stack.template.get("Resources", {}).items():
            check = CHECKS.get(resource.get("Type"))
            flag = check(stack, logical_id, resource) if check else None
            if flag is not None:
                flags.append(flag)
    return flags
