"""Load balancer and target group attributes moto's models do not answer.

``AWS::AutoScaling::ScalingPolicy`` with ``ALBRequestCountPerTarget`` needs
``LoadBalancerFullName`` and ``TargetGroupFullName`` (its ``ResourceLabel``);
moto's target group has no ``Fn::GetAtt`` at all.
"""

from __future__ import annotations

from typing import Any

from moto.cloudformation.exceptions import UnformattedGetAttTemplateException
from moto.elbv2.models import FakeLoadBalancer, FakeTargetGroup

# ALB hosted zones (Route 53 alias targets), from the ELB endpoints table.
ALB_HOSTED_ZONES = {
    "us-east-1": "Z35SXDOTRQ7X7K",
    "us-east-2": "Z3AADJGX6KTTL2",
    "us-west-1": "Z368ELLRRE2KJ0",
    "us-west-2": "Z1H1FL5HABSF5",
    "eu-west-1": "Z32O12XQLNTSW2",
    "eu-central-1": "Z215JYRZR1TBD5",
}

_load_balancer_attribute = FakeLoadBalancer.get_cfn_attribute


def _load_balancer_get_cfn_attribute(self: FakeLoadBalancer, attribute_name: str) -> Any:
    if attribute_name == "LoadBalancerFullName":
        return self.arn.split(":loadbalancer/", 1)[1]
    if attribute_name == "SecurityGroups":
        return list(self.security_groups)
    region = self.arn.split(":")[3]
    if attribute_name == "CanonicalHostedZoneID" and region in ALB_HOSTED_ZONES:
        return ALB_HOSTED_ZONES[region]
    return _load_balancer_attribute(self, attribute_name)


def _target_group_get_cfn_attribute(self: FakeTargetGroup, attribute_name: str) -> Any:
    attributes = {
        "TargetGroupArn": self.arn,
        "TargetGroupName": self.name,
        "TargetGroupFullName": self.arn.rsplit(":", 1)[1],
        "LoadBalancerArns": list(self.load_balancer_arns),
    }
    if attribute_name not in attributes:
        raise UnformattedGetAttTemplateException()
    return attributes[attribute_name]


def install_elbv2_attributes() -> None:
    FakeLoadBalancer.get_cfn_attribute = _load_balancer_get_cfn_attribute  # type: ignore[method-assign]
    FakeTargetGroup.get_cfn_attribute = _target_group_get_cfn_attribute  # type: ignore[attr-defined]
