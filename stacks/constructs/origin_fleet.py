"""The origin's EC2 Auto Scaling group: Graviton, AL2023, private subnets, Spot where allowed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import jsii
from aws_cdk import Duration, IStableStringProducer, Lazy, Stack, Tags
from aws_cdk import aws_autoscaling as autoscaling
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sns as sns
from constructs import Construct

from stacks.origin_user_data import render_user_data

# AWS's public parameter for the newest AL2023 arm64 AMI with the distribution's default kernel.
# (CDK's latest_amazon_linux2023() pins the 6.1 kernel parameter instead.)
AL2023_ARM64_PARAMETER = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64"
ROOT_VOLUME_GIB = 10
HEALTH_CHECK_GRACE = Duration.minutes(5)
INSTANCE_WARMUP = Duration.minutes(2)
SIGNAL_TIMEOUT = Duration.minutes(10)
# Tags on the group. The chaos monkey acts only on groups that opt in (lambda/chaos_monkey/rules.py);
# the component tag reaches every instance, so FIS experiments and their role can select origin instances by tag.
CHAOS_MONKEY_TAG = "showrunner:chaos-monkey"
CHAOS_MONKEY_OPT_IN = "opt-in"
COMPONENT_TAG = "showrunner:component"
COMPONENT = "origin"


@dataclass(frozen=True, kw_only=True)
class FleetCapacity:
    """The group's size and purchase options (docs/architecture.md, "Origin")."""

    instance_types: Sequence[str]  # Graviton; the first is the on-demand choice, the rest widen the Spot pools
    burstable: bool  # t4g types, launched in standard credit mode
    min_capacity: int
    desired_capacity: int
    max_capacity: int
    on_demand_base_capacity: int
    on_demand_percentage_above_base: int


@dataclass(frozen=True, kw_only=True)
class PrimeTime:
    """Scheduled evening scale-out: at least ``min_capacity`` from ``start`` to ``end`` (HH:MM local time)."""

    start: str
    end: str
    min_capacity: int


@jsii.implements(IStableStringProducer)
class _LogicalId:
    """The group's logical ID, known only once the group exists (the launch template comes first)."""

    def __init__(self) -> None:
        self.group: autoscaling.CfnAutoScalingGroup | None = None

    def produce(self) -> str:
        assert self.group is not None, "the Auto Scaling group was never created"
        return Stack.of(self.group).get_logical_id(self.group)


class OriginFleet(Construct):
    """Instances that run nginx from ``assets/origin/`` (see ``stacks/origin_user_data.py``).

    * Launch template: AL2023 arm64 through its public SSM parameter (resolved at
      deploy, so each deploy picks up the newest AMI), the first configured
      instance type, IMDSv2 required with hop limit 1, an encrypted gp3 root
      volume, detailed monitoring, no key pair, and an instance profile with
      only the SSM-managed-instance policy (Session Manager instead of SSH).
    * Security group: no ingress of its own (the load balancer adds port 80 from
      its own group); egress HTTPS only (package repositories through the S3
      endpoint, SSM, the CloudFormation signal).
    * Auto Scaling group across every private subnet, with a mixed-instances
      policy: ``on_demand_base_capacity`` plus ``on_demand_percentage_above_base``
      on-demand, the rest Spot (price-capacity-optimized, capacity rebalancing).
    * ELB health checks after a grace period; notifications of every launch and
      termination (and their errors) to ``topic``.
    * Burstable (t4g) types launch in standard credit mode: never billed for
      surplus CPU credits.
    * Tagged ``showrunner:component=origin`` (propagated to instances) and opted
      in to the chaos monkey (``showrunner:chaos-monkey=opt-in``).
    * A changed launch template rolls out through CloudFormation's rolling
      update, one instance at a time, each new instance signalling success
      only once nginx answers ``/healthz``; a failed rollout rolls back.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        environment: str,
        capacity: FleetCapacity,
        vpc: ec2.IVpc,
        topic: sns.ITopic,
        viewer_pool_id: str = "",
        viewer_client_id: str = "",
    ) -> None:
        super().__init__(scope, construct_id)
        origin = capacity

        self.role = iam.Role(
            self,
            "InstanceRole",
            assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"),
            description=f"Showrunner {environment} origin instances: SSM management only",
            managed_policies=[iam.ManagedPolicy.from_aws_managed_policy_name("AmazonSSMManagedInstanceCore")],
        )
        self.security_group = ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=vpc,
            description="Origin instances: HTTP from the origin ALB only",
            allow_all_outbound=False,
        )
        self.security_group.add_egress_rule(
            ec2.Peer.any_ipv4(),
            ec2.Port.tcp(443),
            "HTTPS out: package repositories, Systems Manager, CloudFormation signal",
        )

        stack = Stack.of(self)
        group_logical_id = _LogicalId()
        user_data = render_user_data(
            stack_name=stack.stack_name,
            resource=Lazy.string(group_logical_id),
            region=stack.region,
            viewer_pool=viewer_pool_id,
            viewer_client=viewer_client_id,
        )
        self.launch_template = ec2.LaunchTemplate(
            self,
            "LaunchTemplate",
            machine_image=ec2.MachineImage.from_ssm_parameter(AL2023_ARM64_PARAMETER, os=ec2.OperatingSystemType.LINUX),
            instance_type=ec2.InstanceType(origin.instance_types[0]),
            user_data=ec2.UserData.custom(user_data),
            role=self.role,
            security_group=self.security_group,
            cpu_credits=ec2.CpuCredits.STANDARD if origin.burstable else None,
            http_endpoint=True,
            http_tokens=ec2.LaunchTemplateHttpTokens.REQUIRED,
            http_put_response_hop_limit=1,
            detailed_monitoring=True,
            block_devices=[
                ec2.BlockDevice(
                    device_name="/dev/xvda",
                    volume=ec2.BlockDeviceVolume.ebs(
                        ROOT_VOLUME_GIB,
                        encrypted=True,
                        volume_type=ec2.EbsDeviceVolumeType.GP3,
                        delete_on_termination=True,
                    ),
                )
            ],
        )

        # Spot is in play unless the on-demand base covers the whole group or everything above it is on-demand.
        uses_spot = (
            origin.on_demand_base_capacity < origin.max_capacity and origin.on_demand_percentage_above_base < 100
        )
        self.group = autoscaling.AutoScalingGroup(
            self,
            "Group",
            vpc=vpc,
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
            mixed_instances_policy=autoscaling.MixedInstancesPolicy(
                launch_template=self.launch_template,
                instances_distribution=autoscaling.InstancesDistribution(
                    on_demand_allocation_strategy=autoscaling.OnDemandAllocationStrategy.PRIORITIZED,
                    on_demand_base_capacity=origin.on_demand_base_capacity,
                    on_demand_percentage_above_base_capacity=origin.on_demand_percentage_above_base,
                    spot_allocation_strategy=autoscaling.SpotAllocationStrategy.PRICE_CAPACITY_OPTIMIZED,
                ),
                launch_template_overrides=[
                    autoscaling.LaunchTemplateOverrides(instance_type=ec2.InstanceType(instance_type))
                    for instance_type in origin.instance_types
                ],
            ),
            capacity_rebalance=uses_spot,
            min_capacity=origin.min_capacity,
            desired_capacity=origin.desired_capacity,
            max_capacity=origin.max_capacity,
            health_checks=autoscaling.HealthChecks.with_additional_checks(
                additional_types=[autoscaling.AdditionalHealthCheckType.ELB], grace_period=HEALTH_CHECK_GRACE
            ),
            default_instance_warmup=INSTANCE_WARMUP,
            cooldown=Duration.minutes(5),
            group_metrics=[autoscaling.GroupMetrics.all()],
            notifications=[autoscaling.NotificationConfiguration(topic=topic)],
            signals=autoscaling.Signals.wait_for_min_capacity(timeout=SIGNAL_TIMEOUT),
            update_policy=autoscaling.UpdatePolicy.rolling_update(
                max_batch_size=1,
                # CloudFormation requires MinInstancesInService < MaxSize.
                min_instances_in_service=min(origin.min_capacity, origin.max_capacity - 1),
                pause_time=SIGNAL_TIMEOUT,
                wait_on_resource_signals=True,
            ),
        )
        cfn_group = self.group.node.default_child
        assert isinstance(cfn_group, autoscaling.CfnAutoScalingGroup)
        group_logical_id.group = cfn_group
        Tags.of(self.group).add(COMPONENT_TAG, COMPONENT)
        Tags.of(self.group).add(CHAOS_MONKEY_TAG, CHAOS_MONKEY_OPT_IN, apply_to_launched_instances=False)

    def add_scaling(
        self,
        *,
        cpu_target_percent: int,
        requests_per_target: int,
        min_capacity: int,
        prime_time: PrimeTime | None,
        time_zone: str,
    ) -> None:
        """Target tracking on CPU and on requests per target, plus the prime-time schedule in ``time_zone``.

        Call after the group is registered with its ALB target group (request
        count tracking needs it). Either tracking policy can scale out; the
        group scales in only when both allow it. After prime time the minimum
        returns to ``min_capacity``.
        """
        self.group.scale_on_cpu_utilization("CpuTracking", target_utilization_percent=cpu_target_percent)
        self.group.scale_on_request_count("RequestTracking", target_requests_per_minute=requests_per_target)
        if prime_time is None:
            return
        for action_id, clock, minimum in (
            ("PrimeTimeStart", prime_time.start, prime_time.min_capacity),
            ("PrimeTimeEnd", prime_time.end, min_capacity),
        ):
            hour, minute = clock.split(":")
            self.group.scale_on_schedule(
                action_id,
                schedule=autoscaling.Schedule.cron(hour=str(int(hour)), minute=str(int(minute))),
                time_zone=time_zone,
                min_capacity=minimum,
            )
