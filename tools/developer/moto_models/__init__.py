"""CloudFormation models for moto: the resource types our templates use that moto 5.2 skips.

Written as a candidate contribution back to moto: each model creates its
resource through moto's public AWS API, dispatched in-process, so that boto3
``get_*``/``describe_*`` calls return what the template declared.

Usage::

    from tools.developer import moto_models
    moto_models.install()            # once per process, before creating stacks
    moto_models.support_level("AWS::CloudFront::Distribution")  # Emulation.EMULATED

After ``install()``, a template resource of a type that neither moto nor these
models support fails ``CreateStack`` with a ``ValidationError`` naming its
logical ID and type, instead of being skipped silently.
"""

from __future__ import annotations

from tools.developer.moto_models import (  # noqa: F401  (importing registers the models)
    app_services,
    cdk,
    cloudfront,
    ec2,
    elbv2,
    events,
    kinesis,
    kms,
    media,
    ops_services,
    s3,
    ssm_sns,
)
from tools.developer.moto_models.base import LEVELS, REGISTRY, Emulation, UnsupportedResourceTypeError, aws_client
from tools.developer.moto_models.change_sets import install_change_set_scoping
from tools.developer.moto_models.parser import install_parser, support_level


def install() -> None:
    """Install the models into moto's CloudFormation (idempotent; once per process)."""
    install_parser()
    install_change_set_scoping()
    s3.install_bucket_policy_conditions()
    elbv2.install_elbv2_attributes()
    events.install_state_machine_targets()


__all__ = [
    "LEVELS",
    "REGISTRY",
    "Emulation",
    "UnsupportedResourceTypeError",
    "aws_client",
    "install",
    "support_level",
]
