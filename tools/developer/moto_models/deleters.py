"""Deletion for moto's own models that cannot delete themselves.

moto's CloudFormation skips the deletion of a resource whose model has no
delete method, silently: the route tables, routes, gateways and attachments of
a VPC stay behind, and the VPC itself then fails with ``DependencyViolation``.
Each function here deletes one such resource through the AWS API. A native
resource that has neither a moto delete method nor a deleter here makes the
stack deletion fail, naming it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from tools.developer.moto_models.base import aws_client

Deleter = Callable[[Any, str], None]
DELETERS: dict[str, Deleter] = {}

# Types that disappear with their parent resource (a function's version).
DELETED_WITH_PARENT = frozenset({"AWS::Lambda::Version"})

_GONE = {
    "InvalidRouteTableID.NotFound",
    "InvalidInternetGatewayID.NotFound",
    "InvalidAllocationID.NotFound",
    "InvalidRoute.NotFound",
    "InvalidAssociationID.NotFound",
    "Gateway.NotAttached",
    "TargetGroupNotFound",
    "ListenerNotFound",
    "RuleNotFound",
    "NoSuchEntity",
}


def deleter(resource_type: str) -> Callable[[Deleter], Deleter]:
    def decorate(function: Deleter) -> Deleter:
        DELETERS[resource_type] = function
        return function

    return decorate


def run_deleter(resource_type: str, resource: Any, region: str) -> bool:
    """Delete with our deleter; False when there is none for the type."""
    function = DELETERS.get(resource_type)
    if function is None:
        return False
    try:
        function(resource, region)
    except ClientError as error:
        if error.response["Error"]["Code"] not in _GONE:
            raise
    return True


@deleter("AWS::EC2::RouteTable")
def _route_table(resource: Any, region: str) -> None:
    aws_client("ec2", region).delete_route_table(RouteTableId=resource.id)


@deleter("AWS::EC2::Route")
def _route(resource: Any, region: str) -> None:
    destination = (
        {"DestinationCidrBlock": resource.destination_cidr_block}
        if resource.destination_cidr_block
        else {"DestinationIpv6CidrBlock": resource.destination_ipv6_cidr_block}
    )
    aws_client("ec2", region).delete_route(RouteTableId=resource.route_table.id, **destination)


@deleter("AWS::EC2::InternetGateway")
def _internet_gateway(resource: Any, region: str) -> None:
    aws_client("ec2", region).delete_internet_gateway(InternetGatewayId=resource.id)


@deleter("AWS::EC2::VPCGatewayAttachment")
def _gateway_attachment(resource: Any, region: str) -> None:
    ec2 = aws_client("ec2", region)
    if resource.gateway_id.startswith("igw-"):
        ec2.detach_internet_gateway(InternetGatewayId=resource.gateway_id, VpcId=resource.vpc_id)
    else:
        ec2.detach_vpn_gateway(VpnGatewayId=resource.gateway_id, VpcId=resource.vpc_id)


@deleter("AWS::EC2::EIP")
def _elastic_ip(resource: Any, region: str) -> None:
    aws_client("ec2", region).release_address(AllocationId=resource.allocation_id)


@deleter("AWS::EC2::NatGateway")
def _nat_gateway(resource: Any, region: str) -> None:
    ec2 = aws_client("ec2", region)
    gateways = ec2.describe_nat_gateways(NatGatewayIds=[resource.id])["NatGateways"]
    own = [
        a["NetworkInterfaceId"] for g in gateways for a in g.get("NatGatewayAddresses", []) if "NetworkInterfaceId" in a
    ]
    ec2.delete_nat_gateway(NatGatewayId=resource.id)
    # moto keeps the gateway's own network interface, which would keep its subnet in use;
    # other interfaces in the subnet belong to other resources.
    for interface_id in own:
        ec2.delete_network_interface(NetworkInterfaceId=interface_id)


@deleter("AWS::EC2::VPCEndpoint")
def _vpc_endpoint(resource: Any, region: str) -> None:
    aws_client("ec2", region).delete_vpc_endpoints(VpcEndpointIds=[resource.id])


@deleter("AWS::AutoScaling::AutoScalingGroup")
def _auto_scaling_group(resource: Any, region: str) -> None:
    from tools.developer.moto_models.ec2 import terminate_instances

    autoscaling = aws_client("autoscaling", region)
    groups = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[resource.name])["AutoScalingGroups"]
    instances = [i["InstanceId"] for g in groups for i in g["Instances"]]
    autoscaling.delete_auto_scaling_group(AutoScalingGroupName=resource.name, ForceDelete=True)
    terminate_instances(region, instances)


@deleter("AWS::ElasticLoadBalancingV2::Listener")
def _listener(resource: Any, region: str) -> None:
    aws_client("elbv2", region).delete_listener(ListenerArn=resource.arn)


@deleter("AWS::ElasticLoadBalancingV2::ListenerRule")
def _listener_rule(resource: Any, region: str) -> None:
    aws_client("elbv2", region).delete_rule(RuleArn=resource.arn)


@deleter("AWS::ElasticLoadBalancingV2::TargetGroup")
def _target_group(resource: Any, region: str) -> None:
    aws_client("elbv2", region).delete_target_group(TargetGroupArn=resource.arn)


@deleter("AWS::IAM::ManagedPolicy")
def _managed_policy(resource: Any, region: str) -> None:
    iam = aws_client("iam", region)
    arn = resource.arn
    entities = iam.list_entities_for_policy(PolicyArn=arn)
    for role in entities["PolicyRoles"]:
        iam.detach_role_policy(RoleName=role["RoleName"], PolicyArn=arn)
    for user in entities["PolicyUsers"]:
        iam.detach_user_policy(UserName=user["UserName"], PolicyArn=arn)
    for group in entities["PolicyGroups"]:
        iam.detach_group_policy(GroupName=group["GroupName"], PolicyArn=arn)
    iam.delete_policy(PolicyArn=arn)
