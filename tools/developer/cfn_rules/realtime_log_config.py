"""E9104: a CloudFront real-time log configuration waits for the policy that lets its role write the stream."""

from __future__ import annotations

from typing import Any, ClassVar

from cfnlint.rules import CloudFormationLintRule, RuleMatch


class RealtimeLogConfigWaitsForItsPolicy(CloudFormationLintRule):  # type: ignore[misc]
    id = "E9104"
    shortdesc = "Real-time log configuration depends on its role's policy"
    description = (
        "CloudFront checks that the role can write the Kinesis stream when the configuration is created; "
        "a DependsOn on the role alone lets it be created before the role's policy."
    )
    source_url = "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/real-time-logs.html"
    tags: ClassVar[list[str]] = ["resources", "cloudfront", "showrunner"]

    def match(self, cfn: Any) -> list[RuleMatch]:
        resources: dict[str, Any] = cfn.template.get("Resources", {})
        matches = []
        for logical_id, resource in resources.items():
            if resource.get("Type") != "AWS::CloudFront::RealtimeLogConfig":
                continue
            depends = resource.get("DependsOn", [])
            depends = [depends] if isinstance(depends, str) else depends
            for endpoint in resource.get("Properties", {}).get("EndPoints", []):
                role_arn = endpoint.get("KinesisStreamConfig", {}).get("RoleArn")
                role = role_arn["Fn::GetAtt"][0] if isinstance(role_arn, dict) and "Fn::GetAtt" in role_arn else None
                for policy_id in _policies_of(role, resources):
                    if policy_id not in depends:
                        matches.append(
                            RuleMatch(
                                ["Resources", logical_id],
                                f"{logical_id} does not depend on {policy_id}, the policy that lets its role "
                                f"{role} write the stream: CloudFormation may create it first, and CloudFront "
                                "refuses a role that cannot write the stream",
                            )
                        )
        return matches


def _policies_of(role: str | None, resources: dict[str, Any]) -> list[str]:
    return [
        logical_id
        for logical_id, resource in resources.items()
        if role is not None
        and resource.get("Type") == "AWS::IAM::Policy"
        and {"Ref": role} in resource.get("Properties", {}).get("Roles", [])
    ]
