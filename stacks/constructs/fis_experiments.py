"""AWS FIS experiment templates against the origin fleet, with one least-privilege role."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_fis as fis
from aws_cdk import aws_iam as iam
from constructs import Construct

from stacks.constructs.origin_fleet import COMPONENT, COMPONENT_TAG

CPU_STRESS_DOCUMENT = "AWSFIS-Run-CPU-Stress"
CPU_STRESS_SECONDS = 300
TERMINATE_PERCENT = 30
TARGET = "OriginInstances"


class FisExperiments(Construct):
    """Three kinds of experiment on the instances tagged ``showrunner:component=origin`` in this environment.

    * ``terminate``: terminate 30% of the running origin instances (FIS picks them
      when the experiment starts; nothing is chosen at synth).
    * ``zone_outages``: one template per zone of ``availability_zones``, each
      terminating every running origin instance in that zone.
    * ``cpu_stress``: ``AWSFIS-Run-CPU-Stress`` on every running origin instance
      through SSM Run Command, all vCPUs for 5 minutes.

    Every template stops as soon as ``stop_alarm`` (the origin 5xx alarm) is in
    ALARM. The role trusts only FIS experiments of this account and region, may
    terminate and run commands only on instances carrying the origin and
    environment tags, and may send only the CPU-stress document.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        environment: str,
        availability_zones: Sequence[str],
        stop_alarm: cloudwatch.IAlarm,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        partition, region, account = stack.partition, stack.region, stack.account
        tags = {COMPONENT_TAG: COMPONENT, "environment": environment}
        self.role = iam.Role(
            self,
            "Role",
            description=f"Showrunner {environment} FIS experiments on origin instances",
            assumed_by=iam.ServicePrincipal(
                "fis.amazonaws.com",
                conditions={
                    "StringEquals": {"aws:SourceAccount": account},
                    "ArnLike": {"aws:SourceArn": f"arn:{partition}:fis:{region}:{account}:experiment/*"},
                },
            ),
        )
        instances = f"arn:{partition}:ec2:{region}:{account}:instance/*"
        statements = [
            iam.PolicyStatement(
                sid="ResolveTargets",
                actions=["ec2:DescribeInstances", "tag:GetResources"],
                resources=["*"],  # neither action takes a resource ARN
            ),
            iam.PolicyStatement(
                sid="TerminateOriginInstances",
                actions=["ec2:TerminateInstances"],
                resources=[instances],
                conditions={"StringEquals": {f"aws:ResourceTag/{k}": v for k, v in tags.items()}},
            ),
            iam.PolicyStatement(
                sid="SendCpuStressDocument",
                actions=["ssm:SendCommand"],
                resources=[f"arn:{partition}:ssm:{region}::document/{CPU_STRESS_DOCUMENT}"],
            ),
            iam.PolicyStatement(
                sid="SendCommandsToOriginInstances",
                actions=["ssm:SendCommand"],
                resources=[instances],
                conditions={"StringEquals": {f"ssm:resourceTag/{k}": v for k, v in tags.items()}},
            ),
            iam.PolicyStatement(
                sid="FollowAndCancelCommands",
                actions=["ssm:ListCommands", "ssm:CancelCommand"],
                resources=["*"],  # neither action takes a resource ARN
            ),
        ]
        self.role.attach_inline_policy(iam.Policy(self, "Policy", statements=statements))

        def template(
            template_id: str, description: str, *, selection: str, filters: dict[str, str], action: dict[str, Any]
        ) -> fis.CfnExperimentTemplate:
            return fis.CfnExperimentTemplate(
                self,
                template_id,
                description=f"Showrunner {environment}: {description}",
                role_arn=self.role.role_arn,
                stop_conditions=[
                    fis.CfnExperimentTemplate.ExperimentTemplateStopConditionProperty(
                        source="aws:cloudwatch:alarm", value=stop_alarm.alarm_arn
                    )
                ],
                targets={
                    TARGET: fis.CfnExperimentTemplate.ExperimentTemplateTargetProperty(
                        resource_type="aws:ec2:instance",
                        resource_tags=tags,
                        filters=[
                            fis.CfnExperimentTemplate.ExperimentTemplateTargetFilterProperty(path=path, values=[value])
                            for path, value in {"State.Name": "running", **filters}.items()
                        ],
                        selection_mode=selection,
                    )
                },
                actions={
                    "Inject": fis.CfnExperimentTemplate.ExperimentTemplateActionProperty(
                        **action, targets={"Instances": TARGET}
                    )
                },
                tags={"Name": f"showrunner-{environment}-{template_id}"},
            )

        terminate = {"action_id": "aws:ec2:terminate-instances", "description": "terminate the selected instances"}
        self.terminate = template(
            "TerminateOriginPercent",
            f"terminate {TERMINATE_PERCENT}% of the running origin instances",
            selection=f"PERCENT({TERMINATE_PERCENT})",
            filters={},
            action=terminate,
        )
        self.zone_outages = {
            zone: template(
                f"OriginZoneOutage{zone[-1].upper()}",
                f"terminate every running origin instance in {zone}",
                selection="ALL",
                filters={"Placement.AvailabilityZone": zone},
                action=terminate,
            )
            for zone in availability_zones
        }
        self.cpu_stress = template(
            "OriginCpuStress",
            f"stress every vCPU of every running origin instance for {CPU_STRESS_SECONDS} s",
            selection="ALL",
            filters={},
            action={
                "action_id": "aws:ssm:send-command",
                "description": f"{CPU_STRESS_DOCUMENT} through SSM Run Command",
                "parameters": {
                    "documentArn": f"arn:{partition}:ssm:{region}::document/{CPU_STRESS_DOCUMENT}",
                    "documentParameters": json.dumps(
                        {"DurationSeconds": str(CPU_STRESS_SECONDS), "CPU": "0", "InstallDependencies": "True"},
                        separators=(",", ":"),
                    ),
                    "duration": f"PT{CPU_STRESS_SECONDS // 60 + 1}M",
                },
            },
        )
