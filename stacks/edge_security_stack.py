"""EdgeSecurity: the CloudFront WebACL, which must live in us-east-1."""

from __future__ import annotations

from typing import Any

from aws_cdk import ArnFormat, CfnOutput, RemovalPolicy
from aws_cdk import aws_logs as logs
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from stacks.base_stack import ShowrunnerStack
from stacks.log_groups import retention

# (rule group, rules inside it switched from block to count, and why)
MANAGED_RULE_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("AWSManagedRulesAmazonIpReputationList", ()),
    # SizeRestrictions_BODY blocks bodies over 8 KB; POST /events carries batches of up to 500 events,
    # which the ingestion endpoint validates and bounds itself.
    ("AWSManagedRulesCommonRuleSet", ("SizeRestrictions_BODY",)),
    ("AWSManagedRulesKnownBadInputsRuleSet", ()),
)


def _visibility(name: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
    return wafv2.CfnWebACL.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True, metric_name=name, sampled_requests_enabled=True
    )


class EdgeSecurityStack(ShowrunnerStack):
    """The WAFv2 WebACL (scope CLOUDFRONT) in ``edge_region`` (us-east-1).

    Rules, in order: AWS IP reputation list, common rule set, known bad
    inputs, a per-IP rate limit (``edge.waf_rate_limit`` requests per 5
    minutes), then geo blocking from ``blocked_countries`` (or everything
    outside ``allowed_countries``). Logs go to CloudWatch with the
    Authorization and Cookie headers and the query string (which carries
    viewers' signed-URL tokens) redacted.
    """

    def __init__(self, scope: Construct, construct_id: str, **kwargs: Any) -> None:
        config = kwargs["config"]
        super().__init__(
            scope,
            construct_id,
            description="CloudFront WebACL (us-east-1)",
            region=config.edge_region,
            **kwargs,
        )
        prefix = f"showrunner-{config.name}"
        rules = [
            wafv2.CfnWebACL.RuleProperty(
                name=group,
                priority=priority,
                override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
                statement=wafv2.CfnWebACL.StatementProperty(
                    managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                        vendor_name="AWS",
                        name=group,
                        rule_action_overrides=[
                            wafv2.CfnWebACL.RuleActionOverrideProperty(
                                name=rule, action_to_use=wafv2.CfnWebACL.RuleActionProperty(count={})
                            )
                            for rule in counted
                        ]
                        or None,
                    )
                ),
                visibility_config=_visibility(f"{prefix}-{group}"),
            )
            for priority, (group, counted) in enumerate(MANAGED_RULE_GROUPS)
        ]
        rules.append(
            wafv2.CfnWebACL.RuleProperty(
                name="RateLimitPerIp",
                priority=len(rules),
                action=wafv2.CfnWebACL.RuleActionProperty(block={}),
                statement=wafv2.CfnWebACL.StatementProperty(
                    rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                        limit=config.edge.waf_rate_limit, aggregate_key_type="IP", evaluation_window_sec=300
                    )
                ),
                visibility_config=_visibility(f"{prefix}-rate-limit"),
            )
        )
        geo = self._geo_statement()
        if geo is not None:
            rules.append(
                wafv2.CfnWebACL.RuleProperty(
                    name="GeoBlock",
                    priority=len(rules),
                    action=wafv2.CfnWebACL.RuleActionProperty(block={}),
                    statement=geo,
                    visibility_config=_visibility(f"{prefix}-geo"),
                )
            )

        self.web_acl = wafv2.CfnWebACL(
            self,
            "WebAcl",
            name=f"{prefix}-edge",
            description=f"Showrunner {config.name} CloudFront protection",
            scope="CLOUDFRONT",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            rules=rules,
            visibility_config=_visibility(f"{prefix}-edge"),
        )

        log_group_name = self.env_props.physical_name(f"aws-waf-logs-{prefix}")  # WAF requires this prefix
        log_group = logs.LogGroup(
            self,
            "WafLogs",
            log_group_name=log_group_name,
            retention=retention(config.retention.cloudwatch_logs_days),
            removal_policy=RemovalPolicy.RETAIN if config.retain_data else RemovalPolicy.DESTROY,
        )
        logging = wafv2.CfnLoggingConfiguration(
            self,
            "WafLogging",
            resource_arn=self.web_acl.attr_arn,
            # WAF wants the log group ARN without the trailing ":*" that LogGroup.log_group_arn has.
            log_destination_configs=[
                self.format_arn(
                    service="logs",
                    resource="log-group",
                    resource_name=log_group_name,
                    arn_format=ArnFormat.COLON_RESOURCE_NAME,
                )
            ],
            redacted_fields=[
                wafv2.CfnLoggingConfiguration.FieldToMatchProperty(
                    single_header={"Name": "authorization"},
                ),
                wafv2.CfnLoggingConfiguration.FieldToMatchProperty(single_header={"Name": "cookie"}),
                wafv2.CfnLoggingConfiguration.FieldToMatchProperty(query_string={}),
            ],
        )
        logging.node.add_dependency(log_group)
        self.web_acl_arn = self.web_acl.attr_arn
        CfnOutput(self, "WebAclArn", value=self.web_acl.attr_arn)

    def _geo_statement(self) -> wafv2.CfnWebACL.StatementProperty | None:
        config = self.config
        if config.blocked_countries:
            return wafv2.CfnWebACL.StatementProperty(
                geo_match_statement=wafv2.CfnWebACL.GeoMatchStatementProperty(
                    country_codes=list(config.blocked_countries)
                )
            )
        if config.allowed_countries:
            return wafv2.CfnWebACL.StatementProperty(
                not_statement=wafv2.CfnWebACL.NotStatementProperty(
                    statement=wafv2.CfnWebACL.StatementProperty(
                        geo_match_statement=wafv2.CfnWebACL.GeoMatchStatementProperty(
                            country_codes=list(config.allowed_countries)
                        )
                    )
                )
            )
        return None
