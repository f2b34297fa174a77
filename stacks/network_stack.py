"""Network: the VPC of one environment."""

from __future__ import annotations

from typing import Any

from aws_cdk import Aspects
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_s3 as s3
from constructs import Construct

from stacks.base_stack import ShowrunnerStack
from stacks.compliance import Ack


class NetworkStack(ShowrunnerStack):
    """A VPC across the configured AZs.

    * Subnets per AZ: ``public`` /24 (ALB, NAT), ``private`` /20 with egress
      (origin fleet, EMR), ``isolated`` /24 (nothing reaches the internet).
    * NAT: one NAT instance (``nat.mode = instance``) or ``nat.gateways``
      managed NAT gateways.
    * An S3 gateway endpoint (free), plus the interface endpoints listed in
      ``interface_endpoints`` (none by default: see docs/cost.md).
    * Flow logs of all traffic to the logs bucket under ``vpc-flow-logs/``.
    * The default security group is stripped of all rules.
    """

    acknowledgments = (
        Ack(
            "Vpc/publicSubnet*/NatInstance/Resource",
            "AwsSolutions-EC28",
            "Dev's NAT instance (nat.mode=instance) keeps basic 5-minute metrics: detailed monitoring "
            "would add about $2.10/month to a $3/month instance, and nothing autoscales on its metrics.",
        ),
        Ack(
            "Vpc/publicSubnet*/NatInstance/Resource",
            "AwsSolutions-EC29",
            "API termination protection on the NAT instance would make CloudFormation unable to delete "
            "it, so 'cdk destroy dev/*' would fail; the instance is stateless and CloudFormation recreates it.",
        ),
    )

    def __init__(self, scope: Construct, construct_id: str, *, logs_bucket: s3.IBucket, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, description="VPC, NAT, endpoints and flow logs", **kwargs)
        config = self.config

        nat_instance = config.nat.mode == "instance"
        nat_provider = (
            ec2.NatProvider.instance_v2(
                instance_type=ec2.InstanceType(config.nat.instance_type),
                default_allowed_traffic=ec2.NatTrafficDirection.OUTBOUND_ONLY,
            )
            if nat_instance
            else ec2.NatProvider.gateway()
        )
        self.vpc = ec2.Vpc(
            self,
            "Vpc",
            ip_addresses=ec2.IpAddresses.cidr(config.vpc_cidr),
            availability_zones=list(config.availability_zones),
            nat_gateway_provider=nat_provider,
            nat_gateways=1 if nat_instance else config.nat.gateways,
            restrict_default_security_group=True,
            subnet_configuration=[
                ec2.SubnetConfiguration(name="public", subnet_type=ec2.SubnetType.PUBLIC, cidr_mask=24),
                ec2.SubnetConfiguration(name="private", subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS, cidr_mask=20),
                ec2.SubnetConfiguration(name="isolated", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED, cidr_mask=24),
            ],
            gateway_endpoints={"S3": ec2.GatewayVpcEndpointOptions(service=ec2.GatewayVpcEndpointAwsService.S3)},
            flow_logs={
                "AllTraffic": ec2.FlowLogOptions(
                    destination=ec2.FlowLogDestination.to_s3(logs_bucket, "vpc-flow-logs/"),
                    traffic_type=ec2.FlowLogTrafficType.ALL,
                )
            },
        )
        if isinstance(nat_provider, ec2.NatInstanceProviderV2):
            nat_provider.connections.allow_from(
                ec2.Peer.ipv4(config.vpc_cidr), ec2.Port.all_traffic(), "NAT for the private subnets"
            )
            self._harden_nat_instances()

        for service in config.interface_endpoints:
            self.vpc.add_interface_endpoint(
                f"{service.title().replace('-', '')}Endpoint",
                service=ec2.InterfaceVpcEndpointAwsService(service),
                private_dns_enabled=True,
                subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
            )

    def _harden_nat_instances(self) -> None:
        """Encrypted gp3 root volume and IMDSv2 on the NAT instance (the provider exposes neither)."""
        Aspects.of(self).add(ec2.InstanceRequireImdsv2Aspect())
        for subnet in self.vpc.public_subnets:
            instance = subnet.node.try_find_child("NatInstance")
            if isinstance(instance, ec2.Instance):
                cfn = instance.node.default_child
                assert isinstance(cfn, ec2.CfnInstance)
                cfn.block_device_mappings = [
                    ec2.CfnInstance.BlockDeviceMappingProperty(
                        device_name="/dev/xvda",
                        ebs=ec2.CfnInstance.EbsProperty(encrypted=True, volume_type="gp3", volume_size=8),
                    )
                ]
