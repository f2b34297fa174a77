"""Rotating the origin header against moto's Secrets Manager: labels, values, refusals, clean-up."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from stacks.constructs.origin_header_secret import accepted_stages
from stacks.names import origin_header_stage
from tests.support.aws import REGION
from tools.operator.rotate_origin_header import RotationError, main, rotate, secret_arn_from_stack


@pytest.fixture
def secrets() -> Iterator[tuple[Any, str]]:
    with mock_aws():
        client = boto3.client("secretsmanager", region_name=REGION)
        arn = client.create_secret(Name="dev-origin-header", SecretString="generated-by-cloudformation-0")["ARN"]
        yield client, arn


def _value(client: Any, arn: str, stage: str) -> str:
    value: str = client.get_secret_value(SecretId=arn, VersionStage=stage)["SecretString"]
    return value


def _labels(client: Any, arn: str) -> set[str]:
    versions = client.list_secret_version_ids(SecretId=arn, IncludeDeprecated=True)["Versions"]
    return {label for v in versions for label in v.get("VersionStages", [])}


def test_stage_names():
    assert origin_header_stage(0) == "AWSCURRENT"
    assert origin_header_stage(7) == "origin-header-7"
    assert accepted_stages(0) == ["AWSCURRENT"]
    assert accepted_stages(1) == ["origin-header-1", "AWSCURRENT"]
    assert accepted_stages(4) == ["origin-header-4", "origin-header-3"]
    with pytest.raises(ValueError, match="generation must be >= 0"):
        origin_header_stage(-1)


def test_a_rotation_adds_a_new_value_and_keeps_the_one_cloudfront_still_sends(secrets: tuple[Any, str]):
    client, arn = secrets
    original = _value(client, arn, "AWSCURRENT")

    rotation = rotate(client, arn, 1)

    new = _value(client, arn, "origin-header-1")
    assert re.fullmatch(r"[A-Za-z0-9]{48}", new)
    assert new != original
    assert _value(client, arn, "AWSCURRENT") == original, "AWSCURRENT stays: deployed generation 0 references it"
    assert client.describe_secret(SecretId=arn)["VersionIdsToStages"][rotation.version_id] == ["origin-header-1"]
    # Generation 1 deployed: the ALB accepts the new value and the one CloudFront sent until its update.
    assert [_value(client, arn, s) for s in accepted_stages(1)] == [new, original]
    assert rotation.removed_labels == ()


def test_successive_rotations_keep_what_deployed_and_rollback_templates_reference(secrets: tuple[Any, str]):
    client, arn = secrets
    values = {}
    for generation in range(1, 6):
        rotation = rotate(client, arn, generation)
        values[generation] = _value(client, arn, origin_header_stage(generation))
        expected_removed = (f"origin-header-{generation - 3}",) if generation >= 4 else ()
        assert rotation.removed_labels == expected_removed
    assert len(set(values.values())) == 5
    assert _labels(client, arn) >= {"AWSCURRENT", "origin-header-3", "origin-header-4", "origin-header-5"}
    assert not _labels(client, arn) & {"origin-header-1", "origin-header-2"}
    assert [_value(client, arn, s) for s in accepted_stages(5)] == [values[5], values[4]]


@pytest.mark.parametrize(
    ("generation", "message"),
    [
        (0, "generation must be 1 or more"),
        (2, "the secret has no origin-header-1 version: deploy generation 1 first"),
    ],
)
def test_out_of_order_generations_are_refused_and_change_nothing(
    secrets: tuple[Any, str], generation: int, message: str
):
    client, arn = secrets
    before = client.list_secret_version_ids(SecretId=arn)["Versions"]
    with pytest.raises(RotationError, match=message):
        rotate(client, arn, generation)
    assert client.list_secret_version_ids(SecretId=arn)["Versions"] == before


def test_the_same_generation_twice_is_refused(secrets: tuple[Any, str]):
    client, arn = secrets
    rotate(client, arn, 1)
    value = _value(client, arn, "origin-header-1")
    with pytest.raises(RotationError, match="already has a origin-header-1 version"):
        rotate(client, arn, 1)
    assert _value(client, arn, "origin-header-1") == value


def test_main_finds_the_secret_through_the_origin_stack_and_never_prints_the_value(
    secrets: tuple[Any, str], capsys: pytest.CaptureFixture[str]
):
    client, arn = secrets
    cloudformation = boto3.client("cloudformation", region_name=REGION)
    template = {
        "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {"OriginHeaderSecretArn": {"Value": arn}},
    }
    cloudformation.create_stack(StackName="dev-Origin", TemplateBody=json.dumps(template))
    assert secret_arn_from_stack(cloudformation, "dev-Origin") == arn

    assert main(["--env", "dev", "--generation", "1"]) == 0
    out = capsys.readouterr().out
    assert "Added origin-header-1 (version " in out
    assert arn in out
    assert """-c overrides='{"dev": {"origin": {"header_generation": 1}}}'""" in out
    assert _value(client, arn, "origin-header-1") not in out

    assert main(["--env", "dev", "--generation", "1"]) == 1
    assert "error: the secret already has a origin-header-1 version" in capsys.readouterr().err


def test_a_stack_without_the_output_is_a_clear_error(secrets: tuple[Any, str], capsys: pytest.CaptureFixture[str]):
    cloudformation = boto3.client("cloudformation", region_name=REGION)
    cloudformation.create_stack(
        StackName="staging-Origin", TemplateBody=json.dumps({"Resources": {"T": {"Type": "AWS::SNS::Topic"}}})
    )
    assert main(["--env", "staging", "--generation", "1"]) == 1
    assert "stack staging-Origin has no output OriginHeaderSecretArn" in capsys.readouterr().err
