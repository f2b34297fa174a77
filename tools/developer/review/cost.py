"""Idle-cost floor: what the templates provision that bills by the hour or month, priced from ``prices.json``.

Computed from the templates, not from configuration: NAT gateways and their
addresses, instances (an ASG's ``MinSize`` times its launch template's type),
load balancers, interface endpoints per AZ, KMS keys, Kinesis shards or
on-demand streams, secrets, alarms, dashboards, WAF web ACLs and rules. It is
an estimate: list prices from a dated table, usage (requests, GB, MAU) left out.

``COST_RULES`` maps a resource type to what it provisions; ``USAGE_PRICED``
names the types that cost nothing while idle, and ``NO_CHARGE`` the pure
configuration types. A type in none of the three is reported as not assessed.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tools.developer.review.intrinsics import AssemblyIndex, ResourceKey

PRICES = Path(__file__).with_name("prices.json")


@dataclass(frozen=True)
class Price:
    usd: float
    per: str  # "hour" or "month" for the floor; other units are usage, for reference
    source: str
    verified: bool


@dataclass(frozen=True)
class PriceTable:
    date: str
    currency: str
    hours_per_month: int
    basis: str
    regions: dict[str, dict[str, Price]]

    @classmethod
    def load(cls, path: Path = PRICES) -> PriceTable:
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(
            date=data["date"],
            currency=data["currency"],
            hours_per_month=data["hours_per_month"],
            basis=data["basis"],
            regions={
                region: {key: Price(**entry) for key, entry in items.items()}
                for region, items in data["regions"].items()
            },
        )


@dataclass(frozen=True)
class Need:
    """One billable thing a resource provisions: ``quantity`` of the price ``price_key``."""

    item: str
    quantity: float
    price_key: str
    note: str = ""


@dataclass(frozen=True)
class CostLine:
    key: ResourceKey
    resource_type: str
    region: str
    need: Need
    price: Price | None
    hours_per_month: int

    @property
    def hourly(self) -> float | None:
        if self.price is None:
            return None
        per_hour = self.price.usd if self.price.per == "hour" else self.price.usd / self.hours_per_month
        return self.need.quantity * per_hour

    @property
    def monthly(self) -> float | None:
        hourly = self.hourly
        return None if hourly is None else hourly * self.hours_per_month


@dataclass
class CostEstimate:
    table: PriceTable
    lines: list[CostLine] = field(default_factory=list)
    usage: Counter[str] = field(default_factory=Counter)  # resource type -> count
    unassessed: Counter[str] = field(default_factory=Counter)

    @property
    def priced(self) -> list[CostLine]:
        return [line for line in self.lines if line.price is not None]

    @property
    def unpriced(self) -> list[CostLine]:
        return [line for line in self.lines if line.price is None]

    @property
    def hourly(self) -> float:
        return sum(line.hourly or 0.0 for line in self.lines)

    @property
    def monthly(self) -> float:
        return self.hourly * self.table.hours_per_month

    @property
    def complete(self) -> bool:
        return not self.unpriced and not self.unassessed


@dataclass(frozen=True)
class Context:
    index: AssemblyIndex
    stack: str

    def resolve(self, value: Any) -> Any:
        """A literal value, following ``Ref`` to a parameter's default; None if it is not known at synth."""
        if isinstance(value, dict) and set(value) == {"Ref"}:
            parameter = self.index.stacks[self.stack].template.get("Parameters", {}).get(value["Ref"], {})
            return parameter.get("Default")
        return None if isinstance(value, dict | list) else value

    def target(self, value: Any) -> tuple[ResourceKey, dict[str, Any]] | None:
        """The resource ``value`` refers to (first reference), with its definition."""
        for reference in self.index.references(self.stack, value):
            resource = self.index.resource(reference.target)
            if resource is not None:
                return reference.target, resource
        return None


Rule = Callable[[Context, dict[str, Any]], list[Need]]


def _fixed(*needs: Need) -> Rule:
    """A rule for a type that always provisions the same thing."""

    def rule(ctx: Context, props: dict[str, Any]) -> list[Need]:
        return list(needs)

    return rule


def _volumes(mappings: Any, count: float, ctx: Context) -> list[Need]:
    needs = []
    for mapping in mappings or []:
        ebs = mapping.get("Ebs") if isinstance(mapping, dict) else None
        if not isinstance(ebs, dict):
            continue
        size = ctx.resolve(ebs.get("VolumeSize"))
        kind = ctx.resolve(ebs.get("VolumeType")) or "gp2"
        if size is None:
            continue  # size of the AMI's snapshot: not in the template
        needs.append(Need(f"{kind} volume, {size} GiB", count * float(size), f"ebs_{kind}_gb_month"))
    return needs


DETAILED_MONITORING_METRICS = 7  # per instance, billed as CloudWatch metrics


def _instance_needs(
    ctx: Context, instance_type: Any, mappings: Any, count: float, *, public_ip: bool, monitoring: bool
) -> list[Need]:
    resolved = ctx.resolve(instance_type)
    if resolved is None:
        return [Need("instance of a type set at deploy time", count, "ec2.unknown")]
    needs = [Need(f"{resolved} instance", count, f"ec2.{resolved}")]
    needs.extend(_volumes(mappings, count, ctx))
    if public_ip:
        needs.append(Need("public IPv4 address", count, "public_ipv4_hour"))
    if monitoring:
        metrics = DETAILED_MONITORING_METRICS
        needs.append(
            Need(f"detailed monitoring, {metrics} metrics per instance", count * metrics, "cloudwatch_metric_month")
        )
    return needs


def _ec2_instance(ctx: Context, props: dict[str, Any]) -> list[Need]:
    public = any(ctx.resolve(n.get("AssociatePublicIpAddress")) is True for n in props.get("NetworkInterfaces", []))
    subnet = ctx.target(props.get("SubnetId"))
    if subnet is not None and subnet[1].get("Properties", {}).get("MapPublicIpOnLaunch") is True:
        public = True
    return _instance_needs(
        ctx,
        props.get("InstanceType"),
        props.get("BlockDeviceMappings"),
        1,
        public_ip=public,
        monitoring=ctx.resolve(props.get("Monitoring")) is True,
    )


def _auto_scaling_group(ctx: Context, props: dict[str, Any]) -> list[Need]:
    minimum = float(ctx.resolve(props.get("MinSize")) or 0)
    if minimum == 0:
        return []
    mixed = props.get("MixedInstancesPolicy", {})
    spec = props.get("LaunchTemplate") or mixed.get("LaunchTemplate", {}).get("LaunchTemplateSpecification", {})
    overrides = mixed.get("LaunchTemplate", {}).get("Overrides", [])
    template = ctx.target(spec.get("LaunchTemplateId") or spec.get("LaunchTemplateName"))
    data = template[1].get("Properties", {}).get("LaunchTemplateData", {}) if template else {}
    instance_type = overrides[0].get("InstanceType") if overrides else data.get("InstanceType")
    public = any(ctx.resolve(n.get("AssociatePublicIpAddress")) is True for n in data.get("NetworkInterfaces", []))
    monitoring = data.get("Monitoring", {}).get("Enabled") is True
    needs = _instance_needs(
        ctx, instance_type, data.get("BlockDeviceMappings"), minimum, public_ip=public, monitoring=monitoring
    )
    note = f"MinSize {minimum:g}"
    distribution = mixed.get("InstancesDistribution", {})
    base = float(distribution.get("OnDemandBaseCapacity", 0))
    on_demand_share = float(distribution.get("OnDemandPercentageAboveBaseCapacity", 100)) / 100
    spot = max(0.0, minimum - base) * (1 - on_demand_share)
    spot_note = f"; up to {spot:g} on Spot, priced on-demand here (a ceiling)" if spot > 0 else ""
    first, *rest = needs
    return [
        Need(first.item, first.quantity, first.price_key, note + spot_note),
        *(Need(n.item, n.quantity, n.price_key, note) for n in rest),
    ]


_LOAD_BALANCER_PRICE = {"application": "alb_hour", "network": "nlb_hour"}


def _load_balancer(ctx: Context, props: dict[str, Any]) -> list[Need]:
    kind = ctx.resolve(props.get("Type")) or "application"
    note = "plus LCU-hours with traffic" if kind == "application" else ""
    needs = [Need(f"{kind} load balancer", 1, _LOAD_BALANCER_PRICE.get(kind, f"{kind}_lb_hour"), note)]
    if ctx.resolve(props.get("Scheme")) != "internal":
        zones = len(props.get("Subnets") or props.get("SubnetMappings") or [])
        if zones:
            needs.append(Need("public IPv4 address, one per AZ", zones, "public_ipv4_hour"))
    return needs


def _vpc_endpoint(ctx: Context, props: dict[str, Any]) -> list[Need]:
    kind = ctx.resolve(props.get("VpcEndpointType")) or "Gateway"
    if kind == "Gateway":
        return []  # S3 and DynamoDB gateway endpoints are free
    zones = len(props.get("SubnetIds", []))
    service = ctx.index.render(ctx.stack, props.get("ServiceName", "")).rsplit(".", 1)[-1]
    price_key = "interface_endpoint_az_hour" if kind == "Interface" else "gwlb_endpoint_az_hour"
    return [Need(f"{kind.lower()} endpoint ({service}), per AZ", zones, price_key, "plus $/GB processed")]


def _kms_key(ctx: Context, props: dict[str, Any]) -> list[Need]:
    rotation = "; rotation adds $1/month per rotation (first two)" if props.get("EnableKeyRotation") else ""
    return [Need("KMS customer managed key", 1, "kms_key_month", f"plus requests{rotation}")]


def _kinesis_stream(ctx: Context, props: dict[str, Any]) -> list[Need]:
    mode = ctx.resolve(props.get("StreamModeDetails", {}).get("StreamMode")) or "PROVISIONED"
    if mode == "ON_DEMAND":
        return [Need("Kinesis on-demand stream", 1, "kinesis_on_demand_stream_hour", "plus $/GB in and out")]
    shards = float(ctx.resolve(props.get("ShardCount")) or 1)
    needs = [Need("Kinesis shard", shards, "kinesis_shard_hour", "plus PUT payload units")]
    retention = ctx.resolve(props.get("RetentionPeriodHours")) or 24
    if float(retention) > 24:
        needs.append(
            Need(f"extended retention ({retention} h), per shard", shards, "kinesis_extended_retention_shard_hour")
        )
    return needs


def _alarm(ctx: Context, props: dict[str, Any]) -> list[Need]:
    metrics = [m for m in props.get("Metrics", []) if isinstance(m, dict) and "MetricStat" in m]
    periods = [ctx.resolve(m["MetricStat"].get("Period")) for m in metrics] or [ctx.resolve(props.get("Period"))]
    high = any(isinstance(p, int | float) and p < 60 for p in periods)
    count = max(1, len(metrics))
    if high:
        return [Need("high-resolution alarm metric", count, "alarm_high_resolution_month")]
    return [Need("alarm metric", count, "alarm_standard_month")]


def _web_acl(ctx: Context, props: dict[str, Any]) -> list[Need]:
    rules = len(props.get("Rules", []))
    needs = [Need("WAF web ACL", 1, "waf_web_acl_month", "plus $/million requests")]
    if rules:
        needs.append(Need("WAF rule or rule group", rules, "waf_rule_month"))
    return needs


def _provisioned_concurrency(ctx: Context, props: dict[str, Any]) -> list[Need]:
    config = props.get("ProvisionedConcurrencyConfig")
    if not config:
        return []
    count = float(ctx.resolve(config.get("ProvisionedConcurrentExecutions")) or 0)
    return [Need("Lambda provisioned concurrency", count, "lambda_provisioned_concurrency")]


def _emr_cluster(ctx: Context, props: dict[str, Any]) -> list[Need]:
    return [Need("long-running EMR cluster (instances + EMR fee)", 1, "emr_cluster")]


def _emr_serverless(ctx: Context, props: dict[str, Any]) -> list[Need]:
    if props.get("InitialCapacity"):
        return [Need("EMR Serverless pre-initialized capacity", 1, "emr_serverless_initial_capacity")]
    return []


COST_RULES: dict[str, Rule] = {
    "AWS::EC2::NatGateway": _fixed(Need("NAT gateway", 1, "nat_gateway_hour", "plus $/GB processed")),
    "AWS::CloudFront::MonitoringSubscription": _fixed(
        Need("CloudFront additional metrics, 8 per distribution", 8, "cloudwatch_metric_month")
    ),
    "AWS::EC2::EIP": _fixed(Need("public IPv4 address (Elastic IP)", 1, "public_ipv4_hour")),
    "AWS::EC2::Instance": _ec2_instance,
    "AWS::AutoScaling::AutoScalingGroup": _auto_scaling_group,
    "AWS::ElasticLoadBalancingV2::LoadBalancer": _load_balancer,
    "AWS::EC2::VPCEndpoint": _vpc_endpoint,
    "AWS::KMS::Key": _kms_key,
    "AWS::KMS::ReplicaKey": _kms_key,
    "AWS::Kinesis::Stream": _kinesis_stream,
    "AWS::SecretsManager::Secret": _fixed(Need("Secrets Manager secret", 1, "secret_month", "plus API calls")),
    "AWS::CloudWatch::Alarm": _alarm,
    "AWS::CloudWatch::CompositeAlarm": _fixed(Need("composite alarm", 1, "composite_alarm_month")),
    "AWS::CloudWatch::Dashboard": _fixed(
        Need("CloudWatch dashboard", 1, "dashboard_month", "first 3 per account free (not deducted)")
    ),
    "AWS::WAFv2::WebACL": _web_acl,
    "AWS::Route53::HostedZone": _fixed(Need("Route 53 hosted zone", 1, "route53_hosted_zone_month", "plus queries")),
    "AWS::Lambda::Alias": _provisioned_concurrency,
    "AWS::Lambda::Version": _provisioned_concurrency,
    "AWS::EMR::Cluster": _emr_cluster,
    "AWS::EMRServerless::Application": _emr_serverless,
}

# No charge while idle: what they bill for instead.
USAGE_PRICED: dict[str, str] = {
    "AWS::S3::Bucket": "storage, requests and transfer",
    "AWS::Lambda::Function": "requests and GB-seconds",
    "AWS::ApiGatewayV2::Api": "requests",
    "AWS::Cognito::UserPool": "monthly active users, at the pool's feature-plan rate",
    "AWS::SNS::Topic": "publishes and deliveries",
    "AWS::Logs::LogGroup": "ingestion and storage",
    "AWS::KinesisFirehose::DeliveryStream": "GB ingested and converted",
    "AWS::CloudFront::Distribution": "requests and data transfer out",
    "AWS::CloudFront::Function": "invocations",
    "AWS::CloudFront::RealtimeLogConfig": "log lines",
    "AWS::StepFunctions::StateMachine": "state transitions",
    "AWS::FIS::ExperimentTemplate": "action-minutes while an experiment runs",
    "AWS::EC2::FlowLog": "log data delivered",
    "AWS::DynamoDB::Table": "requests and storage (on-demand)",
    "AWS::DynamoDB::GlobalTable": "requests, storage and point-in-time recovery (on-demand)",
    "AWS::MediaConvert::Queue": "output minutes of the jobs it runs (on-demand; see the transcoding estimate)",
    "AWS::SQS::Queue": "requests",
    "AWS::Events::Rule": "custom events",
    "AWS::Scheduler::Schedule": "invocations",
    "AWS::Budgets::Budget": "nothing without actions; action-enabled budgets past the first two bill per day",
    "AWS::Glue::Database": "catalog objects and requests",
    "AWS::Glue::Table": "catalog objects and requests",
    "AWS::ECR::Repository": "image storage",
    "AWS::SSM::Parameter": "nothing (standard tier)",
}

# Configuration only: never billed.
NO_CHARGE_PREFIXES = ("AWS::IAM::", "Custom::", "AWS::CDK::", "AWS::CloudFormation::", "AWS::ApplicationAutoScaling::")
NO_CHARGE: frozenset[str] = frozenset(
    {
        "AWS::EC2::VPC",
        "AWS::EC2::Subnet",
        "AWS::EC2::RouteTable",
        "AWS::EC2::Route",
        "AWS::EC2::SubnetRouteTableAssociation",
        "AWS::EC2::InternetGateway",
        "AWS::EC2::EgressOnlyInternetGateway",
        "AWS::EC2::VPCGatewayAttachment",
        "AWS::EC2::SecurityGroup",
        "AWS::EC2::SecurityGroupIngress",
        "AWS::EC2::SecurityGroupEgress",
        "AWS::EC2::LaunchTemplate",
        "AWS::EC2::NetworkAcl",
        "AWS::EC2::NetworkAclEntry",
        "AWS::EC2::SubnetNetworkAclAssociation",
        "AWS::EC2::EIPAssociation",
        "AWS::EC2::PrefixList",
        "AWS::S3::BucketPolicy",
        "AWS::SNS::TopicPolicy",
        "AWS::SNS::Subscription",
        "AWS::SQS::QueuePolicy",
        "AWS::KMS::Alias",
        "AWS::Lambda::Permission",
        "AWS::Lambda::Url",
        "AWS::Lambda::EventInvokeConfig",
        "AWS::Lambda::EventSourceMapping",
        "AWS::Lambda::LayerVersion",
        "AWS::Logs::LogStream",
        "AWS::Logs::MetricFilter",
        "AWS::Logs::ResourcePolicy",
        "AWS::ApiGatewayV2::Stage",
        "AWS::ApiGatewayV2::Route",
        "AWS::ApiGatewayV2::Integration",
        "AWS::ApiGatewayV2::Authorizer",
        "AWS::Cognito::UserPoolClient",
        "AWS::Cognito::UserPoolDomain",
        "AWS::Cognito::UserPoolGroup",
        "AWS::CloudFront::OriginAccessControl",
        "AWS::CloudFront::KeyGroup",
        "AWS::CloudFront::PublicKey",
        "AWS::CloudFront::CachePolicy",
        "AWS::CloudFront::OriginRequestPolicy",
        "AWS::CloudFront::ResponseHeadersPolicy",
        "AWS::ElasticLoadBalancingV2::Listener",
        "AWS::ElasticLoadBalancingV2::ListenerRule",
        "AWS::ElasticLoadBalancingV2::ListenerCertificate",
        "AWS::ElasticLoadBalancingV2::TargetGroup",
        "AWS::AutoScaling::ScalingPolicy",
        "AWS::AutoScaling::LifecycleHook",
        "AWS::AutoScaling::ScheduledAction",
        "AWS::AutoScaling::WarmPool",
        "AWS::WAFv2::IPSet",
        "AWS::WAFv2::RegexPatternSet",
        "AWS::WAFv2::WebACLAssociation",
        "AWS::WAFv2::LoggingConfiguration",
        "AWS::Route53::RecordSet",
        "AWS::Route53::RecordSetGroup",
        "AWS::CertificateManager::Certificate",
        "AWS::KinesisFirehose::ResourcePolicy",
        "AWS::Events::EventBus",
        "AWS::EMR::Step",
        "AWS::EMR::SecurityConfiguration",
        "AWS::MediaConvert::JobTemplate",
    }
)


def _no_charge(resource_type: str) -> bool:
    return resource_type in NO_CHARGE or resource_type.startswith(NO_CHARGE_PREFIXES)


def estimate(index: AssemblyIndex, stacks: list[str], table: PriceTable) -> CostEstimate:
    """The idle floor of ``stacks`` (stack names), line by line."""
    result = CostEstimate(table=table)
    for stack in stacks:
        artifact = index.stacks[stack]
        prices = table.regions.get(artifact.region, {})
        ctx = Context(index, stack)
        for logical_id, resource in artifact.resources.items():
            resource_type = resource.get("Type", "")
            rule = COST_RULES.get(resource_type)
            if rule is not None:
                for need in rule(ctx, resource.get("Properties", {})):
                    result.lines.append(
                        CostLine(
                            key=ResourceKey(stack, logical_id),
                            resource_type=resource_type,
                            region=artifact.region,
                            need=need,
                            price=prices.get(need.price_key),
                            hours_per_month=table.hours_per_month,
                        )
                    )
            elif resource_type in USAGE_PRICED:
                result.usage[resource_type] += 1
            elif not _no_charge(resource_type):
                result.unassessed[resource_type] += 1
    return result
