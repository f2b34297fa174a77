"""Origin: the ALB and EC2 Auto Scaling fleet behind CloudFront's default and /api/* behaviors."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Duration, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from constructs import Construct

from stacks.base_stack import ShowrunnerStack
from stacks.compliance import Ack
from stacks.config import ConfigError
from stacks.constructs.cloudfront_only_load_balancer import CloudFrontOnlyLoadBalancer
from stacks.constructs.origin_fleet import FleetCapacity, OriginFleet, PrimeTime
from stacks.constructs.origin_header_secret import OriginHeaderSecret
from stacks.names import ORIGIN_HEADER_NAME, ORIGIN_HEADER_SECRET_OUTPUT

HEALTH_CHECK_PATH = "/healthz"
DEREGISTRATION_DELAY = Duration.seconds(30)


# CDK context key (committed in cdk.context.json) mapping region -> the ID of the AWS-managed
# prefix list com.amazonaws.global.cloudfront.origin-facing in that region. Synth stays
# offline, and a stack without an account (ours by default) cannot do a context lookup.
PREFIX_LIST_CONTEXT_KEY = "showrunner:cloudfront-origin-facing-prefix-lists"
PREFIX_LIST_NAME = "com.amazonaws.global.cloudfront.origin-facing"


def cloudfront_prefix_list_id(scope: Construct, region: str) -> str:
    """The origin-facing prefix list ID of ``region``, from committed context."""
    known: Any = scope.node.try_get_context(PREFIX_LIST_CONTEXT_KEY) or {}
    if not isinstance(known, dict):
        raise ConfigError(f"context {PREFIX_LIST_CONTEXT_KEY} must map region names to prefix list IDs")
    prefix_list = known.get(region)
    if not isinstance(prefix_list, str) or not prefix_list.startswith("pl-"):
        raise ConfigError(
            f"no CloudFront origin-facing prefix list ID for {region} in cdk.context.json "
            f"({PREFIX_LIST_CONTEXT_KEY}). Find it with: aws ec2 describe-managed-prefix-lists "
            f"--region {region} --filters Name=prefix-list-name,Values={PREFIX_LIST_NAME} "
            "--query 'PrefixLists[0].PrefixListId', and add it there."
        )
    return prefix_list


_ORIGIN_HTTP = (
    "Without origin.certificate_arn there is no origin domain to present a certificate for, so the "
    "listener is HTTP on port 80; it admits only CloudFront's origin-facing prefix list, forwards only "
    "requests carrying the secret X-Origin-Verify header and answers everything else 403. Setting "
    "origin.certificate_arn and origin.domain_name makes it HTTPS with ELBSecurityPolicy-TLS13-1-2-2021-06."
)


class OriginStack(ShowrunnerStack):
    """The application origin of one environment.

    * ``load_balancer``: internet-facing ALB in the public subnets that admits
      only CloudFront's origin-facing prefix list and answers 403 unless the
      request carries the origin header (``CloudFrontOnlyLoadBalancer``).
    * ``fleet``: the Auto Scaling group in the private subnets (``OriginFleet``),
      scaled on CPU, on requests per target, and on the prime-time schedule.
    * ``header``: the generated origin header secret (``OriginHeaderSecret``).

    For the Edge stack: ``origin_domain_name``, ``origin_https``,
    ``origin_header_name`` and ``origin_header_value`` (a dynamic reference,
    never the value itself).
    """

    acknowledgments = (
        Ack(
            "Fleet/Group/ASG",
            "AwsSolutions-EC26",
            "False positive: cdk-nag 3.0.2's EC26 reads the group's LaunchTemplate property, which a group with "
            "a MixedInstancesPolicy (Spot) does not have, and throws. The launch template it uses has only an "
            "encrypted gp3 root volume (asserted in tests/stacks/test_origin.py).",
        ),
        Ack(
            "Fleet/InstanceRole/Resource",
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonSSMManagedInstanceCore]",
            "AmazonSSMManagedInstanceCore is the AWS-maintained minimum for the SSM agent (Session Manager "
            "replaces SSH, so the fleet has no key pair and no port 22). Its ssm/ssmmessages/ec2messages "
            "actions take no resource-level scoping, so an inline copy would be the same Resource '*' "
            "without AWS's updates as the agent changes.",
        ),
        Ack(
            "OriginHeader/Secret/Resource",
            "AwsSolutions-SMG4",
            "The origin header is rotated by a staged, zero-downtime procedure instead of a rotation Lambda: "
            "the ALB rule and CloudFront's origin header hold values CloudFormation resolved at deploy, so a "
            "Lambda changing the secret would change neither. tools/operator/rotate_origin_header.py adds the next "
            "version and origin.header_generation deploys it (docs/operations.md, Rotating the origin header).",
        ),
        Ack(
            "Fleet/Group",
            "Annotation::@aws-cdk/aws-autoscaling:desiredCapacitySet",
            "The group has scheduled actions, so CDK sets IgnoreUnmodifiedGroupSizeProperties: a deploy only "
            "resets the group's size when origin.min/desired/max_capacity themselves change "
            "(asserted in tests/stacks/test_origin.py).",
        ),
    )
    checkov_skips = (
        Ack("Alb/LoadBalancer/Listener/Resource", "CKV_AWS_2", _ORIGIN_HTTP),
        Ack("Alb/LoadBalancer/Listener/Resource", "CKV_AWS_103", _ORIGIN_HTTP),
        Ack(
            "OriginHeader/Secret/Resource",
            "CKV_AWS_149",
            "Only CloudFormation reads the origin-header secret, through dynamic references while it deploys; "
            "no function or instance does. The AWS managed key encrypts it at rest, and a customer managed key "
            "would separate no reader from another.",
        ),
    )

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        vpc: ec2.IVpc,
        logs_bucket: s3.IBucket,
        alerts_topic: sns.ITopic,
        alerts_key: kms.IKey,
        viewer_pool_id: str = "",
        viewer_client_id: str = "",
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, description="origin ALB and EC2 Auto Scaling fleet", **kwargs)
        config = self.config
        origin = config.origin

        self.header = OriginHeaderSecret(
            self,
            "OriginHeader",
            generation=origin.header_generation,
            description=(
                f"Showrunner {config.name}: value of the {ORIGIN_HEADER_NAME} header CloudFront sends to the origin"
            ),
        )
        self.load_balancer = CloudFrontOnlyLoadBalancer(
            self,
            "Alb",
            vpc=vpc,
            logs_bucket=logs_bucket,
            prefix_list_id=cloudfront_prefix_list_id(self, self.region),
            certificate_arn=origin.certificate_arn,
            deletion_protection=config.production,
        )
        self.fleet = OriginFleet(
            self,
            "Fleet",
            environment=config.name,
            capacity=FleetCapacity(
                instance_types=origin.instance_types,
                burstable=origin.burstable,
                min_capacity=origin.min_capacity,
                desired_capacity=origin.desired_capacity,
                max_capacity=origin.max_capacity,
                on_demand_base_capacity=origin.on_demand_base_capacity,
                on_demand_percentage_above_base=origin.on_demand_percentage_above_base,
            ),
            vpc=vpc,
            topic=alerts_topic,
            viewer_pool_id=viewer_pool_id,
            viewer_client_id=viewer_client_id,
        )
        self.target_group = self.load_balancer.forward_with_header(
            "Fleet",
            header_name=ORIGIN_HEADER_NAME,
            header_values=self.header.accepted_values,
            targets=[self.fleet.group],
            health_check_path=HEALTH_CHECK_PATH,
            deregistration_delay=DEREGISTRATION_DELAY,
        )
        prime_time = origin.prime_time
        self.fleet.add_scaling(
            cpu_target_percent=origin.cpu_target_percent,
            requests_per_target=origin.requests_per_target,
            min_capacity=origin.min_capacity,
            prime_time=PrimeTime(start=prime_time.start, end=prime_time.end, min_capacity=prime_time.min_capacity)
            if prime_time
            else None,
            time_zone=config.origin_time_zone,
        )
        _allow_auto_scaling_to_publish(alerts_key)

        alb = self.load_balancer.load_balancer
        self.origin_domain_name = origin.domain_name or alb.load_balancer_dns_name
        self.origin_https = self.load_balancer.https
        self.origin_header_name = ORIGIN_HEADER_NAME
        self.origin_header_value = self.header.value

        CfnOutput(self, "LoadBalancerDnsName", value=alb.load_balancer_dns_name)
        CfnOutput(self, ORIGIN_HEADER_SECRET_OUTPUT, value=self.header.secret.secret_arn)
        CfnOutput(self, "AutoScalingGroupName", value=self.fleet.group.auto_scaling_group_name)


def _allow_auto_scaling_to_publish(key: kms.IKey) -> None:
    """Let Auto Scaling's service-linked role encrypt notifications for the alerts topic.

    Auto Scaling publishes as ``AWSServiceRoleForAutoScaling``, whose policy has no
    KMS rights on customer managed keys. The role is created by the first Auto
    Scaling group of the account, after the Alerts stack, so the key policy
    names it in a condition rather than as a principal (a principal that does
    not exist yet would make the key policy invalid).
    """
    key_stack = Stack.of(key)
    account = key_stack.account
    role_arn = (
        f"arn:{key_stack.partition}:iam::{account}:role/aws-service-role/"
        "autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
    )
    key.add_to_resource_policy(
        iam.PolicyStatement(
            sid="AllowAutoScalingNotifications",
            principals=[iam.AnyPrincipal()],
            actions=["kms:Decrypt", "kms:GenerateDataKey*"],
            resources=["*"],  # in a key policy, "*" means this key
            conditions={
                "ArnEquals": {"aws:PrincipalArn": role_arn},
                "StringEquals": {"kms:CallerAccount": account},
            },
        )
    )
