"""Install or rotate the CloudFront signing key of an environment's signed-URL issuer.

The private key goes straight from memory into the Playback stack's secret; it
is never written to disk or printed. Each key is one secret version, labelled
with its CloudFront public key ID once CloudFront knows it, and the issuer
reads the version labelled with its own ``KEY_PAIR_ID``. So a deploy that
changes ``KEY_PAIR_ID`` switches key and ID together, and containers still
running the old ID keep signing with the old key until they are replaced.

    .venv/bin/python -m tools.operator.signing_key create --env prod --public-key-out assets/keys/prod-2026-11.pub.pem
    # add that file second in edge.signing_public_keys and deploy; the Edge stack's output
    # SigningPublicKeyIds gives its CloudFront ID, then:
    .venv/bin/python -m tools.operator.signing_key activate --env prod --key-pair-id K2JCJMDEHXQW5F \\
        --public-key assets/keys/prod-2026-11.pub.pem
    # move it first in edge.signing_public_keys and deploy; once the old key's URLs have expired,
    # remove the old file from the list, deploy, and:
    .venv/bin/python -m tools.operator.signing_key retire --env prod --key-pair-id KOLDKEYID1234

See docs/operations.md, "The CloudFront signing key".
"""

from __future__ import annotations

import argparse
import re
import sys
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from stacks.config import load_config
from stacks.names import (
    ACTIVE_SIGNING_KEY_OUTPUT,
    ENVIRONMENT_NAMES,
    SIGNING_KEY_BITS,
    SIGNING_KEY_SECRET_OUTPUT,
    stack_name,
)
from tools.operator.stack_outputs import stack_output

if TYPE_CHECKING:
    from types_boto3_secretsmanager import SecretsManagerClient

PENDING = "pending-signing-key"
_KEY_PAIR_ID = re.compile(r"[A-Z0-9]{8,64}")


class SigningKeyToolError(Exception):
    """The secret is not in the state the step needs; nothing was changed."""


def _labels(client: SecretsManagerClient, secret_id: str) -> dict[str, str]:
    """Staging label -> version ID, over every labelled version of the secret."""
    versions = client.describe_secret(SecretId=secret_id).get("VersionIdsToStages", {})
    return {label: version_id for version_id, labels in versions.items() for label in labels}


def _public_pem(key: rsa.RSAPublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def create(client: SecretsManagerClient, secret_id: str, public_key_out: Path) -> str:
    """Generate a key pair, store the private key as the pending version, write the public key. Returns the version."""
    if public_key_out.exists():
        raise SigningKeyToolError(f"{public_key_out} already exists; choose a new file for the new public key")
    if PENDING in _labels(client, secret_id):
        raise SigningKeyToolError(
            f"a key is already pending ({PENDING}); activate it, or remove that label to discard it"
        )
    key = rsa.generate_private_key(public_exponent=65537, key_size=SIGNING_KEY_BITS)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")
    version_id = str(uuid.uuid4())
    client.put_secret_value(
        SecretId=secret_id, ClientRequestToken=version_id, SecretString=pem, VersionStages=[PENDING]
    )
    public_key_out.write_bytes(_public_pem(key.public_key()))
    return version_id


def activate(client: SecretsManagerClient, secret_id: str, key_pair_id: str, public_key: Path | None = None) -> str:
    """Label the pending version with its CloudFront public key ID. Returns the version."""
    if _KEY_PAIR_ID.fullmatch(key_pair_id) is None:
        raise SigningKeyToolError(f"{key_pair_id!r} is not a CloudFront public key ID")
    labels = _labels(client, secret_id)
    if PENDING not in labels:
        raise SigningKeyToolError(f"no pending key ({PENDING}); run 'create' first")
    if key_pair_id in labels:
        raise SigningKeyToolError(f"a version is already labelled {key_pair_id}; public key IDs are never reused")
    version_id = labels[PENDING]
    if public_key is not None:
        pem = client.get_secret_value(SecretId=secret_id, VersionId=version_id)["SecretString"]
        private = serialization.load_pem_private_key(pem.encode("ascii"), password=None)
        if not isinstance(private, rsa.RSAPrivateKey) or _public_pem(private.public_key()) != _public_key(public_key):
            raise SigningKeyToolError(f"the pending private key does not match {public_key}")
    client.update_secret_version_stage(SecretId=secret_id, VersionStage=key_pair_id, MoveToVersionId=version_id)
    client.update_secret_version_stage(SecretId=secret_id, VersionStage=PENDING, RemoveFromVersionId=version_id)
    return version_id


def _public_key(path: Path) -> bytes:
    key = serialization.load_pem_public_key(path.read_bytes())
    if not isinstance(key, rsa.RSAPublicKey):
        raise SigningKeyToolError(f"{path} is not an RSA public key")
    return _public_pem(key)


def retire(client: SecretsManagerClient, secret_id: str, key_pair_id: str) -> str:
    """Remove a retired key's label; its version is then unlabelled and no issuer can read it."""
    labels = _labels(client, secret_id)
    if key_pair_id not in labels:
        raise SigningKeyToolError(f"no version is labelled {key_pair_id}")
    version_id = labels[key_pair_id]
    client.update_secret_version_stage(SecretId=secret_id, VersionStage=key_pair_id, RemoveFromVersionId=version_id)
    return version_id


def secret_arn_from_stack(cloudformation: Any, stack: str) -> str:
    """The signing-key secret's ARN, from the Playback stack's outputs."""
    arn = stack_output(cloudformation, stack, SIGNING_KEY_SECRET_OUTPUT)
    if arn is None:
        raise SigningKeyToolError(
            f"stack {stack} has no output {SIGNING_KEY_SECRET_OUTPUT}; is the Playback stack deployed?"
        )
    return arn


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("step", choices=("create", "activate", "retire"))
    parser.add_argument("--env", required=True, choices=ENVIRONMENT_NAMES)
    parser.add_argument("--region", help="default: the environment's configured region")
    parser.add_argument("--secret-id", help="default: the SigningKeySecretArn output of <env>-Playback")
    parser.add_argument("--public-key-out", type=Path, help="create: where to write the new public key (PEM)")
    parser.add_argument("--key-pair-id", help="activate, retire: the CloudFront public key ID")
    parser.add_argument("--public-key", type=Path, help="activate: check the pending key against this public key")
    args = parser.parse_args(argv)
    if args.step == "create" and args.public_key_out is None:
        parser.error("create needs --public-key-out")
    if args.step != "create" and not args.key_pair_id:
        parser.error(f"{args.step} needs --key-pair-id")

    region = args.region or load_config()[args.env].region
    try:
        secret_id = args.secret_id or secret_arn_from_stack(
            boto3.client("cloudformation", region_name=region), stack_name(args.env, "Playback")
        )
        client = boto3.client("secretsmanager", region_name=region)
        if args.step == "create":
            version = create(client, secret_id, args.public_key_out)
            print(f"Stored a new private key as version {version} ({PENDING}) of {secret_id}.")
            print(f"Public key: {args.public_key_out}. Next: add it to CloudFront (the Edge stack's key group),")
            print("deploy, and run 'activate' with the public key ID CloudFront gave it.")
        elif args.step == "activate":
            version = activate(client, secret_id, args.key_pair_id, args.public_key)
            print(f"Version {version} is now labelled {args.key_pair_id}. Next: move its public key first in")
            print("  edge.signing_public_keys and deploy, so the issuer signs with it.")
        else:
            cloudformation = boto3.client("cloudformation", region_name=region)
            if args.key_pair_id == stack_output(
                cloudformation, stack_name(args.env, "Edge"), ACTIVE_SIGNING_KEY_OUTPUT
            ):
                raise SigningKeyToolError(
                    f"{args.key_pair_id} is the key {args.env}'s issuer signs with ({args.env}-Edge output "
                    f"{ACTIVE_SIGNING_KEY_OUTPUT}); deploy its successor first"
                )
            version = retire(client, secret_id, args.key_pair_id)
            print(f"Removed label {args.key_pair_id} from version {version}; no issuer can read that key now.")
    except SigningKeyToolError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
