"""The secret header CloudFront adds to every request it sends to the origin ALB."""

from __future__ import annotations

from aws_cdk import RemovalPolicy, SecretValue
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from stacks.names import ORIGIN_HEADER_LENGTH, origin_header_stage


def accepted_stages(generation: int) -> list[str]:
    """What the ALB accepts during ``generation``: its value and, after a rotation, the previous one."""
    return [origin_header_stage(generation)] + ([origin_header_stage(generation - 1)] if generation > 0 else [])


class OriginHeaderSecret(Construct):
    """A generated secret, referenced only through CloudFormation dynamic references.

    Neither the value nor anything derived from it appears in a template,
    environment variable or log: templates hold
    ``{{resolve:secretsmanager:<arn>:SecretString::<stage>:}}``, which
    CloudFormation resolves when it creates or updates the resource.

    * ``value``: the reference to the current generation's value, for
      CloudFront's origin custom header.
    * ``accepted_values``: the references the ALB listener rule accepts (the
      current value and, after a rotation, the previous one), so CloudFront
      and the ALB never disagree while a rotation is deployed.
    """

    def __init__(self, scope: Construct, construct_id: str, *, generation: int, description: str) -> None:
        super().__init__(scope, construct_id)
        self.generation = generation
        self.secret = secretsmanager.Secret(
            self,
            "Secret",
            description=description,
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=ORIGIN_HEADER_LENGTH, exclude_punctuation=True, include_space=False
            ),
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.value = self._reference(origin_header_stage(generation))
        self.accepted_values = [self._reference(stage) for stage in accepted_stages(generation)]

    def _reference(self, stage: str) -> str:
        return SecretValue.secrets_manager(self.secret.secret_arn, version_stage=stage).unsafe_unwrap()
