"""EC2: security groups and their rules, instances, flow logs, subnet route table associations.

moto's models require ``FromPort``/``ToPort`` on every rule (an all-traffic
rule, ``IpProtocol: -1``, has none) and have no ``SecurityGroupEgress`` type.
"""

from __future__ import annotations

import base64
from typing import Any

from botocore.exceptions import ClientError

from tools.developer.moto_models.base import CreateContext, Emulation, ResourceModel, aws_client, compact, register

ALL_TRAFFIC_EGRESS = {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}


def ip_permission(rule: dict[str, Any], direction: str) -> dict[str, Any]:
    """A CloudFormation ingress/egress rule -> an EC2 API IpPermission."""
    peer = "Source" if direction == "ingress" else "Destination"
    permission: dict[str, Any] = compact(
        IpProtocol=str(rule["IpProtocol"]),
        FromPort=int(rule["FromPort"]) if "FromPort" in rule else None,
        ToPort=int(rule["ToPort"]) if "ToPort" in rule else None,
    )
    description = compact(Description=rule.get("Description"))
    if "CidrIp" in rule:
        permission["IpRanges"] = [{"CidrIp": rule["CidrIp"], **description}]
    if "CidrIpv6" in rule:
        permission["Ipv6Ranges"] = [{"CidrIpv6": rule["CidrIpv6"], **description}]
    group = rule.get(f"{peer}SecurityGroupId") or rule.get("SourceSecurityGroupId")
    if group:
        permission["UserIdGroupPairs"] = [{"GroupId": group, **description}]
    prefix_list = rule.get(f"{peer}PrefixListId")
    if prefix_list:
        permission["PrefixListIds"] = [{"PrefixListId": prefix_list, **description}]
    return permission


@register("AWS::EC2::SecurityGroup", Emulation.EMULATED)
class SecurityGroup(ResourceModel):
    @classmethod
    def create(cls, ctx: CreateContext, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        ec2 = ctx.client("ec2")
        tags = props.get("Tags", [])
        group_id: str = ec2.create_security_group(
            **compact(
                GroupName=props.get("GroupName") or f"{ctx.name}"[:255],
                Description=props["GroupDescription"],
                VpcId=props.get("VpcId"),
                TagSpecifications=[{"ResourceType": "security-group", "Tags": tags}] if tags else None,
            )
        )["GroupId"]
        ingress = [ip_permission(rule, "ingress") for rule in props.get("SecurityGroupIngress", [])]
        if ingress:
            ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=ingress)
        if "SecurityGroupEgress" in props and props.get("VpcId"):
            # Declaring egress rules replaces the default allow-all rule, as in CloudFormation.
            ec2.revoke_security_group_egress(GroupId=group_id, IpPermissions=[ALL_TRAFFIC_EGRESS])
            egress = [ip_permission(rule, "egress") for rule in props["SecurityGroupEgress"]]
            if egress:
                ec2.authorize_security_group_egress(GroupId=group_id, IpPermissions=egress)
        return group_id, {"GroupId": group_id, "VpcId": props.get("VpcId", "")}

    def destroy(self) -> None:
        aws_client("ec2", self.region_name).delete_security_group(GroupId=self.physical_id)


class _SecurityGroupRule(ResourceModel):
    DIRECTION = ""

    @classmethod
    def create(cls, ctx: CreateContext, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        ec2 = ctx.client("ec2")
        permission = ip_permission(props, cls.DIRECTION)
        authorize = getattr(ec2, f"authorize_security_group_{cls.DIRECTION}")
        rules = authorize(GroupId=props["GroupId"], IpPermissions=[permission]).get("SecurityGroupRules", [])
        rule_id = rules[0]["SecurityGroupRuleId"] if rules else ctx.random_id("sgr-")
        return rule_id, {"Id": rule_id}

    def destroy(self) -> None:
        ec2 = aws_client("ec2", self.region_name)
        revoke = getattr(ec2, f"revoke_security_group_{self.DIRECTION}")
        try:
            revoke(GroupId=self.properties["GroupId"], IpPermissions=[ip_permission(self.properties, self.DIRECTION)])
        except ClientError as error:
            if error.response["Error"]["Code"] not in ("InvalidGroup.NotFound", "InvalidPermission.NotFound"):
                raise


@register("AWS::EC2::SecurityGroupIngress", Emulation.EMULATED)
class SecurityGroupIngress(_SecurityGroupRule):
    DIRECTION = "ingress"


@register("AWS::EC2::SecurityGroupEgress", Emulation.EMULATED)
class SecurityGroupEgress(_SecurityGroupRule):
    DIRECTION = "egress"


@register("AWS::EC2::FlowLog", Emulation.EMULATED)
class FlowLog(ResourceModel):
    """moto's model rejects an S3 destination with a key prefix (``arn:aws:s3:::bucket/prefix/``)."""

    @classmethod
    def create(cls, ctx: CreateContext, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        destination: str | None = props.get("LogDestination")
        bucket_only = destination
        if props.get("LogDestinationType") == "s3" and destination:
            bucket_only = "arn:aws:s3:::" + destination.split(":", 5)[5].split("/", 1)[0]
        response = ctx.client("ec2").create_flow_logs(
            **compact(
                ResourceIds=[props["ResourceId"]],
                ResourceType=props["ResourceType"],
                TrafficType=props.get("TrafficType"),
                LogDestinationType=props.get("LogDestinationType"),
                LogDestination=bucket_only,
                LogGroupName=props.get("LogGroupName"),
                DeliverLogsPermissionArn=props.get("DeliverLogsPermissionArn"),
                LogFormat=props.get("LogFormat"),
                MaxAggregationInterval=props.get("MaxAggregationInterval"),
                TagSpecifications=[{"ResourceType": "vpc-flow-log", "Tags": props["Tags"]}]
                if props.get("Tags")
                else None,
            )
        )
        if response.get("Unsuccessful"):
            raise ValueError(f"flow log not created: {response['Unsuccessful']}")
        flow_log_id: str = response["FlowLogIds"][0]
        if destination and destination != bucket_only:
            from moto.ec2.models import ec2_backends

            ec2_backends[ctx.account_id][ctx.region].flow_logs[flow_log_id].log_destination = destination
        return flow_log_id, {"Id": flow_log_id}

    def destroy(self) -> None:
        aws_client("ec2", self.region_name).delete_flow_logs(FlowLogIds=[self.physical_id])


def terminate_instances(region: str, instance_ids: list[str]) -> None:
    """Terminate, and delete the instances' network interfaces, which moto keeps (EC2 deletes them)."""
    if not instance_ids:
        return
    ec2 = aws_client("ec2", region)
    attached = ec2.describe_network_interfaces(Filters=[{"Name": "attachment.instance-id", "Values": instance_ids}])[
        "NetworkInterfaces"
    ]
    ec2.terminate_instances(InstanceIds=instance_ids)
    for interface in attached:
        try:
            ec2.delete_network_interface(NetworkInterfaceId=interface["NetworkInterfaceId"])
        except ClientError as error:
            if error.response["Error"]["Code"] != "InvalidNetworkInterfaceID.NotFound":
                raise


def launch_template_version(template: dict[str, str]) -> dict[str, Any]:
    """DescribeLaunchTemplateVersions arguments for a LaunchTemplateSpecification."""
    selector = {k: v for k, v in template.items() if k in ("LaunchTemplateId", "LaunchTemplateName")}
    return {**selector, "Versions": [template.get("Version", "$Default")]}


@register("AWS::EC2::Instance", Emulation.EMULATED)
class Instance(ResourceModel):
    """Through RunInstances: moto's model drops SecurityGroupIds, SourceDestCheck and LaunchTemplate."""

    @classmethod
    def create(cls, ctx: CreateContext, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        ec2 = ctx.client("ec2")
        launch_template = props.get("LaunchTemplate")
        if launch_template:
            launch_template = compact(
                LaunchTemplateId=launch_template.get("LaunchTemplateId"),
                LaunchTemplateName=launch_template.get("LaunchTemplateName"),
                Version=str(launch_template["Version"]) if "Version" in launch_template else None,
            )
        profile = props.get("IamInstanceProfile")
        tags = props.get("Tags", [])
        # EC2 deletes volumes attached at launch with the instance unless told otherwise; moto keeps them.
        mappings = [
            {**m, "Ebs": {"DeleteOnTermination": True, **m["Ebs"]}} if "Ebs" in m else m
            for m in props.get("BlockDeviceMappings", [])
        ]
        instance = ec2.run_instances(
            MinCount=1,
            MaxCount=1,
            **compact(
                ImageId=props.get("ImageId"),
                InstanceType=props.get("InstanceType"),
                SubnetId=props.get("SubnetId"),
                SecurityGroupIds=props.get("SecurityGroupIds"),
                KeyName=props.get("KeyName"),
                PrivateIpAddress=props.get("PrivateIpAddress"),
                BlockDeviceMappings=mappings or None,
                UserData=base64.b64decode(props["UserData"]).decode() if props.get("UserData") else None,
                IamInstanceProfile={"Name": profile} if profile else None,
                LaunchTemplate=launch_template,
                Monitoring={"Enabled": bool(props["Monitoring"])} if "Monitoring" in props else None,
                Placement={"AvailabilityZone": props["AvailabilityZone"]} if "AvailabilityZone" in props else None,
                TagSpecifications=[{"ResourceType": "instance", "Tags": tags}] if tags else None,
            ),
        )["Instances"][0]
        instance_id = instance["InstanceId"]
        if "SourceDestCheck" in props:
            ec2.modify_instance_attribute(
                InstanceId=instance_id, SourceDestCheck={"Value": bool(props["SourceDestCheck"])}
            )
        if launch_template:
            # moto's RunInstances ignores the launch template's metadata options (IMDSv2); EC2 applies them.
            versions = ec2.describe_launch_template_versions(**launch_template_version(launch_template))
            options = versions["LaunchTemplateVersions"][0]["LaunchTemplateData"].get("MetadataOptions")
            if options:
                ec2.modify_instance_metadata_options(InstanceId=instance_id, **options)
        return instance_id, {
            "InstanceId": instance_id,
            "AvailabilityZone": instance["Placement"]["AvailabilityZone"],
            "PrivateIp": instance.get("PrivateIpAddress", ""),
            "PrivateDnsName": instance.get("PrivateDnsName", ""),
            "PublicIp": instance.get("PublicIpAddress", ""),
            "PublicDnsName": instance.get("PublicDnsName", ""),
        }

    def destroy(self) -> None:
        terminate_instances(self.region_name, [self.physical_id])


@register("AWS::EC2::SubnetRouteTableAssociation", Emulation.EMULATED)
class SubnetRouteTableAssociation(ResourceModel):
    """moto's model keeps the association to itself: DescribeRouteTables never shows it."""

    @classmethod
    def create(cls, ctx: CreateContext, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        association: str = ctx.client("ec2").associate_route_table(
            RouteTableId=props["RouteTableId"], SubnetId=props["SubnetId"]
        )["AssociationId"]
        return association, {"Id": association}

    def destroy(self) -> None:
        aws_client("ec2", self.region_name).disassociate_route_table(AssociationId=self.physical_id)
