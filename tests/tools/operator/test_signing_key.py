"""The signing-key tool against moto: create, activate, retire, and the issuer reading the right version."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from moto import mock_aws
from signed_url.aws import SigningKey
from signed_url.issuer import ServiceUnavailableError

from tests.support.aws import client as aws_client
from tools.operator.signing_key import (
    PENDING,
    SigningKeyToolError,
    activate,
    create,
    main,
    retire,
    secret_arn_from_stack,
)

OLD, NEW = "KOLDKEY00001", "KNEWKEY00002"


@pytest.fixture
def secrets() -> Iterator[tuple[Any, str]]:
    with mock_aws():
        secretsmanager = aws_client("secretsmanager")
        arn = secretsmanager.create_secret(Name="dev-signing-key", SecretString="cloudformation-placeholder")["ARN"]
        yield secretsmanager, arn


def _labels(client: Any, arn: str) -> dict[str, str]:
    versions = client.describe_secret(SecretId=arn)["VersionIdsToStages"]
    return {label: version for version, labels in versions.items() for label in labels}


def _verifies(public_key_file: Path, signature: bytes, message: bytes) -> bool:
    key = serialization.load_pem_public_key(public_key_file.read_bytes())
    assert isinstance(key, rsa.RSAPublicKey)
    try:
        key.verify(signature, message, padding.PKCS1v15(), hashes.SHA1())
    except Exception:
        return False
    return True


def test_create_stores_a_pending_private_key_and_writes_only_the_public_key(secrets: tuple[Any, str], tmp_path: Path):
    client, arn = secrets
    public = tmp_path / "dev-1.pub.pem"
    version = create(client, arn, public)
    assert _labels(client, arn)[PENDING] == version
    assert _labels(client, arn)["AWSCURRENT"] != version  # the placeholder stays current; nothing reads it
    text = public.read_text()
    assert text.startswith("-----BEGIN PUBLIC KEY-----")
    assert "PRIVATE" not in text
    private = client.get_secret_value(SecretId=arn, VersionStage=PENDING)["SecretString"]
    key = serialization.load_pem_private_key(private.encode(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    assert key.key_size == 2048


def test_create_refuses_to_overwrite_or_stack_pending_keys(secrets: tuple[Any, str], tmp_path: Path):
    client, arn = secrets
    create(client, arn, tmp_path / "a.pem")
    with pytest.raises(SigningKeyToolError, match="already exists"):
        create(client, arn, tmp_path / "a.pem")
    with pytest.raises(SigningKeyToolError, match="already pending"):
        create(client, arn, tmp_path / "b.pem")
    assert not (tmp_path / "b.pem").exists()


def test_rotation_switches_key_and_id_together(secrets: tuple[Any, str], tmp_path: Path):
    client, arn = secrets
    create(client, arn, tmp_path / "old.pem")
    activate(client, arn, OLD, tmp_path / "old.pem")
    create(client, arn, tmp_path / "new.pem")
    new_version = activate(client, arn, NEW, tmp_path / "new.pem")
    labels = _labels(client, arn)
    assert labels[NEW] == new_version
    assert PENDING not in labels

    message = b"policy"
    for key_pair_id, public in ((OLD, tmp_path / "old.pem"), (NEW, tmp_path / "new.pem")):
        signer = SigningKey(client, arn, key_pair_id)()  # what an issuer with this KEY_PAIR_ID loads
        assert signer.key_pair_id == key_pair_id
        assert _verifies(public, signer.sign(message), message)

    retire(client, arn, OLD)
    assert OLD not in _labels(client, arn)
    with pytest.raises(ServiceUnavailableError):  # the retired ID now falls back to the placeholder
        SigningKey(client, arn, OLD)()


@pytest.mark.parametrize(
    ("setup", "key_pair_id", "message"),
    [
        ("nothing pending", NEW, "no pending key"),
        ("label taken", OLD, "already labelled"),
        ("bad id", "k-lower", "not a CloudFront public key ID"),
        ("other public key", NEW, "does not match"),
    ],
)
def test_activate_refusals_change_nothing(
    secrets: tuple[Any, str], tmp_path: Path, setup: str, key_pair_id: str, message: str
):
    client, arn = secrets
    create(client, arn, tmp_path / "old.pem")
    activate(client, arn, OLD)
    public = None
    if setup != "nothing pending":
        create(client, arn, tmp_path / "new.pem")
    if setup == "other public key":
        public = tmp_path / "other.pem"
        public.write_bytes(
            rsa.generate_private_key(public_exponent=65537, key_size=2048)
            .public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        )
    before = _labels(client, arn)
    with pytest.raises(SigningKeyToolError, match=message):
        activate(client, arn, key_pair_id, public)
    assert _labels(client, arn) == before


def test_retire_an_unknown_label(secrets: tuple[Any, str]):
    client, arn = secrets
    with pytest.raises(SigningKeyToolError, match="no version is labelled"):
        retire(client, arn, OLD)


def test_command_line(secrets: tuple[Any, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    client, arn = secrets
    public = tmp_path / "cli.pem"
    assert main(["create", "--env", "dev", "--secret-id", arn, "--public-key-out", str(public)]) == 0
    assert (
        main(["activate", "--env", "dev", "--secret-id", arn, "--key-pair-id", NEW, "--public-key", str(public)]) == 0
    )
    assert main(["activate", "--env", "dev", "--secret-id", arn, "--key-pair-id", OLD]) == 1
    output = capsys.readouterr()
    assert "error: no pending key" in output.err
    assert "BEGIN" not in output.out + output.err
    pem = client.get_secret_value(SecretId=arn, VersionStage=NEW)["SecretString"]
    assert base64.b64decode("".join(pem.splitlines()[1:-1]))  # a real key is stored ...
    assert pem.splitlines()[1] not in output.out + output.err  # ... and never printed
    with pytest.raises(SystemExit):
        main(["create", "--env", "dev", "--secret-id", arn])  # needs --public-key-out


def test_retire_refuses_the_key_the_deployed_issuer_signs_with(
    secrets: tuple[Any, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    client, arn = secrets
    create(client, arn, tmp_path / "old.pem")
    activate(client, arn, OLD)
    edge = {"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}, "Outputs": {"ActiveSigningKeyId": {"Value": OLD}}}
    aws_client("cloudformation").create_stack(StackName="dev-Edge", TemplateBody=json.dumps(edge))
    assert main(["retire", "--env", "dev", "--secret-id", arn, "--key-pair-id", OLD]) == 1
    assert "is the key dev's issuer signs with (dev-Edge output ActiveSigningKeyId)" in capsys.readouterr().err
    assert OLD in _labels(client, arn)


def test_the_secret_is_found_through_the_playback_stack(secrets: tuple[Any, str], tmp_path: Path):
    client, arn = secrets
    cloudformation = aws_client("cloudformation")
    template = {"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}, "Outputs": {"SigningKeySecretArn": {"Value": arn}}}
    cloudformation.create_stack(StackName="dev-Playback", TemplateBody=json.dumps(template))
    assert secret_arn_from_stack(cloudformation, "dev-Playback") == arn
    assert main(["create", "--env", "dev", "--public-key-out", str(tmp_path / "k.pem")]) == 0
    assert PENDING in _labels(client, arn)
    cloudformation.create_stack(
        StackName="staging-Playback", TemplateBody=json.dumps({"Resources": template["Resources"]})
    )
    with pytest.raises(SigningKeyToolError, match="has no output SigningKeySecretArn"):
        secret_arn_from_stack(cloudformation, "staging-Playback")
