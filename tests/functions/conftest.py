"""Handler tests: the real handlers against moto's S3, DynamoDB and Secrets Manager (no network, no Docker)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import catalog_api.handler
import manifest_rewriter.handler
import pytest
import signed_url.handler
from moto import mock_aws

BUCKET = "showrunner-content-test"


@pytest.fixture
def aws() -> Iterator[None]:
    with mock_aws():
        boto3.client("s3").create_bucket(Bucket=BUCKET)
        yield


@pytest.fixture
def s3(aws: None) -> Any:
    return boto3.client("s3")


@pytest.fixture
def secrets(aws: None) -> Any:
    return boto3.client("secretsmanager")


@pytest.fixture
def dynamodb(aws: None) -> Any:
    return boto3.client("dynamodb")


@pytest.fixture(autouse=True)
def fresh_containers() -> Iterator[None]:
    """Every test starts as a cold container: no cached key, catalog or manifests."""
    for module in (signed_url.handler, manifest_rewriter.handler, catalog_api.handler):
        module.reset()
    yield
    for module in (signed_url.handler, manifest_rewriter.handler, catalog_api.handler):
        module.reset()
