"""E9103: a function reserves concurrency only from a configuration setting named in its metadata."""

from __future__ import annotations

from typing import Any, ClassVar

from cfnlint.rules import CloudFormationLintRule, RuleMatch

SETTINGS_METADATA = "showrunner:settings"  # stacks/constructs/props.py


class ReservedConcurrencyFromSetting(CloudFormationLintRule):  # type: ignore[misc]
    id = "E9103"
    shortdesc = "Reserved concurrency comes from configuration"
    description = (
        "Lambda refuses a reservation that would leave too little unreserved concurrency in the account (new "
        "accounts' quotas can be 10 or 50), and the refusal rolls the stack back; so a function reserves "
        "concurrency only where a setting says so, and its metadata names that setting."
    )
    source_url = "https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html"
    tags: ClassVar[list[str]] = ["resources", "lambda", "showrunner"]

    def match(self, cfn: Any) -> list[RuleMatch]:
        matches = []
        for logical_id, resource in cfn.template.get("Resources", {}).items():
            if resource.get("Type") != "AWS::Lambda::Function":
                continue
            if "ReservedConcurrentExecutions" not in resource.get("Properties", {}):
                continue
            settings = resource.get("Metadata", {}).get(SETTINGS_METADATA, {})
            if not settings.get("ReservedConcurrentExecutions"):
                matches.append(
                    RuleMatch(
                        ["Resources", logical_id, "Properties", "ReservedConcurrentExecutions"],
                        f"{logical_id} reserves concurrency, and no configuration setting is named for it in its "
                        f"metadata ({SETTINGS_METADATA}); in an account with a small concurrency quota the stack "
                        "would roll back",
                    )
                )
        return matches
