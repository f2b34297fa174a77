"""Statements of function roles that the in-process runs cannot show to be needed, each with its reason.

``test_least_privilege`` fails on any statement whose removal changes nothing unless an entry here
names it (``function`` and ``statement`` are fnmatch patterns over the package name under lambda/
and ``enforcement.statement_id``), and fails on any entry that matches no such statement.
``check`` names what the test verifies instead, so an acknowledgment is not a blank cheque.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Surplus:
    function: str
    statement: str
    reason: str
    check: str  # what the test asserts about the acknowledged statement instead


# The statement CDK adds for a function's own log group (PythonFunction sets logging_config.log_group).
OWN_LOG_GROUP = "own-log-group"

SURPLUS: list[Surplus] = [
    Surplus(
        function="*",
        statement="logs:CreateLogStream,logs:PutLogEvents",
        reason=(
            "The Lambda service writes the function's logs with the role's credentials; the handler code never "
            "calls CloudWatch Logs, so running the handler in-process cannot exercise this statement. Without it "
            "the function would run but log nothing."
        ),
        check=OWN_LOG_GROUP,
    ),
]
