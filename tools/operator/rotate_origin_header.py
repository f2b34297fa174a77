"""Step 1 of rotating the origin header: add the next generation's value to the secret.

    .venv/bin/python -m tools.operator.rotate_origin_header --env prod --generation 3

adds a new random value labelled ``origin-header-3`` (leaving ``AWSCURRENT``
and every label that deployed templates still reference alone), then tells you
to deploy with ``origin.header_generation = 3``. That deploy updates the ALB
first, to accept the new and the previous value, then CloudFront, to send the
new one, so no request is refused at any point. The value is never printed.
See docs/operations.md, "Rotating the origin header".
"""

from __future__ import annotations

import argparse
import sys
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import boto3

from stacks.config import load_config
from stacks.names import (
    ENVIRONMENT_NAMES,
    ORIGIN_HEADER_LENGTH,
    ORIGIN_HEADER_SECRET_OUTPUT,
    origin_header_stage,
    stack_name,
)
from tools.operator.stack_outputs import stack_output

if TYPE_CHECKING:
    from types_boto3_secretsmanager import SecretsManagerClient

_LABEL_PREFIX = "origin-header-"


class RotationError(Exception):
    """The secret is not in the state this generation needs; nothing was changed."""


@dataclass(frozen=True)
class Rotation:
    generation: int
    version_id: str
    removed_labels: tuple[str, ...]


def _labels(client: SecretsManagerClient, secret_id: str) -> dict[str, str]:
    """Staging label -> version ID, over every labelled version of the secret."""
    versions = client.describe_secret(SecretId=secret_id).get("VersionIdsToStages", {})
    return {label: version_id for version_id, labels in versions.items() for label in labels}


def rotate(client: SecretsManagerClient, secret_id: str, generation: int) -> Rotation:
    """Add generation ``generation``'s value; remove labels no deployed or rollback template can reference.

    While generation ``g`` is deployed, templates reference ``g`` and ``g - 1``
    (the ALB) and a failed deploy of ``g + 1`` rolls back to them, so labels of
    generations below ``generation - 2`` are safe to remove.
    """
    if generation < 1:
        raise RotationError(f"generation must be 1 or more (0 is the value created with the secret), got {generation}")
    labels = _labels(client, secret_id)
    previous, new = origin_header_stage(generation - 1), origin_header_stage(generation)
    if previous not in labels:
        raise RotationError(
            f"the secret has no {previous} version: deploy generation {generation - 1} first "
            f"(is origin.header_generation {generation - 1}?)"
        )
    if new in labels:
        raise RotationError(f"the secret already has a {new} version; deploy origin.header_generation={generation}")

    value = client.get_random_password(
        PasswordLength=ORIGIN_HEADER_LENGTH, ExcludePunctuation=True, IncludeSpace=False, RequireEachIncludedType=True
    )["RandomPassword"]
    version_id = str(uuid.uuid4())
    client.put_secret_value(SecretId=secret_id, ClientRequestToken=version_id, SecretString=value, VersionStages=[new])

    removed = []
    for label, label_version in sorted(labels.items()):
        if label.startswith(_LABEL_PREFIX) and int(label.removeprefix(_LABEL_PREFIX)) < generation - 2:
            client.update_secret_version_stage(
                SecretId=secret_id, VersionStage=label, RemoveFromVersionId=label_version
            )
            removed.append(label)
    return Rotation(generation=generation, version_id=version_id, removed_labels=tuple(removed))


def secret_arn_from_stack(cloudformation: Any, stack: str) -> str:
    """The origin header secret's ARN, from the Origin stack's outputs."""
    arn = stack_output(cloudformation, stack, ORIGIN_HEADER_SECRET_OUTPUT)
    if arn is None:
        raise RotationError(f"stack {stack} has no output {ORIGIN_HEADER_SECRET_OUTPUT}; is the Origin stack deployed?")
    return arn


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--env", required=True, choices=ENVIRONMENT_NAMES)
    parser.add_argument("--generation", required=True, type=int, help="the generation to add (current + 1)")
    parser.add_argument("--region", help="default: the environment's configured region")
    parser.add_argument("--secret-id", help="default: the OriginHeaderSecretArn output of <env>-Origin")
    args = parser.parse_args(argv)

    region = args.region or load_config()[args.env].region
    try:
        secret_id = args.secret_id or secret_arn_from_stack(
            boto3.client("cloudformation", region_name=region), stack_name(args.env, "Origin")
        )
        rotation = rotate(boto3.client("secretsmanager", region_name=region), secret_id, args.generation)
    except RotationError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"Added {origin_header_stage(rotation.generation)} (version {rotation.version_id}) to {secret_id}.")
    if rotation.removed_labels:
        print(f"Removed labels no template references any more: {', '.join(rotation.removed_labels)}.")
    print(
        "Next: deploy it, e.g.\n"
        f"  npx cdk deploy '{args.env}/*' -c overrides='{{\"{args.env}\": "
        f'{{"origin": {{"header_generation": {rotation.generation}}}}}}}\'\n'
        f"and set origin.header_generation = {rotation.generation} wherever you keep {args.env}'s settings."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
