"""An internet-facing ALB that only CloudFront can use."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_s3 as s3
from constructs import Construct


class CloudFrontOnlyLoadBalancer(Construct):
    """An ALB in the public subnets that answers only CloudFront, and only with the origin header.

    * Its security group admits one port (443 with a certificate, else 80)
      from CloudFront's origin-facing managed prefix list and nothing else.
      The prefix list counts as its maximum size (about 55 entries) against the
      60-rule security group quota, so one port is all it can hold.
    * The listener's default action is a fixed 403; only ``forward_with_header``
      rules reach a target group.
    * Access logs go to ``logs_bucket`` under ``alb/``; invalid header fields
      are dropped; prod gets deletion protection.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        vpc: ec2.IVpc,
        logs_bucket: s3.IBucket,
        prefix_list_id: str,
        certificate_arn: str | None,
        deletion_protection: bool,
    ) -> None:
        super().__init__(scope, construct_id)
        self.https = certificate_arn is not None
        self.port = 443 if self.https else 80

        self.security_group = ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=vpc,
            description="Origin ALB: CloudFront origin-facing prefix list only",
            allow_all_outbound=False,
        )
        self.security_group.add_ingress_rule(
            ec2.Peer.prefix_list(prefix_list_id),
            ec2.Port.tcp(self.port),
            "CloudFront origin-facing servers only",
        )
        self.load_balancer = elbv2.ApplicationLoadBalancer(
            self,
            "LoadBalancer",
            vpc=vpc,
            internet_facing=True,
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC),
            security_group=self.security_group,
            drop_invalid_header_fields=True,
            desync_mitigation_mode=elbv2.DesyncMitigationMode.DEFENSIVE,
            deletion_protection=deletion_protection,
            idle_timeout=Duration.seconds(60),
        )
        self.load_balancer.log_access_logs(logs_bucket, prefix="alb")

        self.listener = self.load_balancer.add_listener(
            "Listener",
            port=self.port,
            protocol=elbv2.ApplicationProtocol.HTTPS if self.https else elbv2.ApplicationProtocol.HTTP,
            certificates=[elbv2.ListenerCertificate.from_arn(certificate_arn)] if certificate_arn else None,
            ssl_policy=elbv2.SslPolicy.RECOMMENDED_TLS if self.https else None,
            open=False,
            default_action=elbv2.ListenerAction.fixed_response(
                403, content_type="text/plain", message_body="Forbidden"
            ),
        )

    def forward_with_header(
        self,
        construct_id: str,
        *,
        header_name: str,
        header_values: list[str],
        targets: list[elbv2.IApplicationLoadBalancerTarget],
        health_check_path: str,
        deregistration_delay: Duration,
    ) -> elbv2.ApplicationTargetGroup:
        """Forward requests that carry ``header_name`` with one of ``header_values`` to ``targets`` on port 80."""
        return self.listener.add_targets(
            construct_id,
            priority=10,
            conditions=[elbv2.ListenerCondition.http_header(header_name, header_values)],
            port=80,
            protocol=elbv2.ApplicationProtocol.HTTP,
            targets=targets,
            deregistration_delay=deregistration_delay,
            health_check=elbv2.HealthCheck(
                path=health_check_path,
                healthy_http_codes="200",
                interval=Duration.seconds(15),
                timeout=Duration.seconds(5),
                healthy_threshold_count=2,
                unhealthy_threshold_count=3,
            ),
        )
