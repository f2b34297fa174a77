"""Package-layout bundling: a function and its shared packages, imported in Lambda exactly as in the tests."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
from aws_cdk import App, Stack
from aws_cdk.assertions import Template

from stacks import bundling
from stacks.bundling import LAMBDA_ROOT, BundlingError, LocalPythonBundling, python_code
from stacks.constructs.props import EnvironmentProps
from stacks.constructs.python_function import COMMON_PACKAGE, PythonFunction
from tests.support.synth import cdk_context
from tests.support.templates import resources_of_type

ELF_MACHINE_AARCH64 = 0xB7
PROBE_ENV = EnvironmentProps(name="probe", retain_data=False, log_retention_days=14, noncurrent_versions_days=7)


@pytest.fixture
def lambda_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "lambda"
    for package, files in {
        "probe": {"__init__.py": "", "handler.py": "from common.values import VALUE\n", "logic.py": "X = 1\n"},
        "common": {"__init__.py": "", "values.py": "VALUE = 1\n"},
        COMMON_PACKAGE: {"__init__.py": ""},
        "loose": {"values.py": "VALUE = 2\n"},
    }.items():
        (root / package / "__pycache__").mkdir(parents=True)
        (root / package / "__pycache__" / "stale.cpython-311.pyc").write_bytes(b"stale")
        for name, text in files.items():
            (root / package / name).write_text(text)
    monkeypatch.setattr(bundling, "LAMBDA_ROOT", root)
    return root


def test_package_layout_copies_the_function_and_shared_packages_as_packages(lambda_root: Path, tmp_path: Path):
    out = tmp_path / "out"
    out.mkdir()
    LocalPythonBundling(lambda_root / "probe", [lambda_root / "common"]).try_bundle(str(out))
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*")) == [
        "common",
        "common/__init__.py",
        "common/values.py",
        "probe",
        "probe/__init__.py",
        "probe/handler.py",
        "probe/logic.py",
    ]


def test_package_layout_handler_and_a_missing_package(lambda_root: Path):
    stack = Stack(App(context=cdk_context()), "Probe")
    PythonFunction(stack, "Fn", env=PROBE_ENV, source="probe", description="probe", shared=["common"])
    (function,) = resources_of_type(Template.from_stack(stack).to_json(), "AWS::Lambda::Function").values()
    assert function["Properties"]["Handler"] == "probe.handler.handler"
    with pytest.raises(BundlingError, match=r"lambda/loose/ is not a package"):
        python_code("probe", ["loose"])


def _asset_hash(stack_name: str) -> str:
    stack = Stack(App(context=cdk_context()), stack_name)
    PythonFunction(stack, "Fn", env=PROBE_ENV, source="probe", description="probe", shared=["common"])
    (function,) = resources_of_type(Template.from_stack(stack).to_json(), "AWS::Lambda::Function").values()
    key: str = function["Properties"]["Code"]["S3Key"]
    return key


def test_a_change_in_a_shared_package_changes_the_asset(lambda_root: Path):
    before = _asset_hash("Before")
    assert _asset_hash("Again") == before
    (lambda_root / "common" / "values.py").write_text("VALUE = 3\n")
    assert _asset_hash("After") != before


def _bundle(source: str, tmp_path: Path) -> Path:
    out = tmp_path / source
    out.mkdir()
    shared = [LAMBDA_ROOT / COMMON_PACKAGE, LAMBDA_ROOT / "cloudfront_token"]
    LocalPythonBundling(LAMBDA_ROOT / source, shared).try_bundle(str(out))
    return out


def test_the_rewriter_bundle_runs_on_its_own(tmp_path: Path):
    """A fresh interpreter that sees the bundle and, after it, only boto3 (as the Lambda runtime provides it)."""
    out = _bundle("manifest_rewriter", tmp_path)
    runtime_packages = Path(boto3.__file__).parents[1]
    program = (
        "import json, sys; sys.path[:0] = [sys.argv[1]]; sys.path.append(sys.argv[2])\n"
        "from manifest_rewriter.handler import handler\n"
        "import manifest_rewriter.dash, defusedxml\n"
        "response = handler({'rawPath': '/vod/t1/master.m3u8', 'rawQueryString': ''}, None)\n"
        "print(json.dumps([response['statusCode'], json.loads(response['body'])['error'], defusedxml.__file__]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-I", "-S", "-c", program, str(out), str(runtime_packages)],
        capture_output=True,
        text=True,
        check=True,
        env={"CONTENT_BUCKET": "unused", "AWS_DEFAULT_REGION": "us-east-1"},
    )
    status, code, defusedxml_file = json.loads(result.stdout)
    assert (status, code) == (400, "missing_token")
    assert Path(defusedxml_file).is_relative_to(out)


def test_the_issuer_bundle_has_its_packages_and_aarch64_cryptography(tmp_path: Path):
    out = _bundle("signed_url", tmp_path)
    for path in (
        "signed_url/handler.py",
        "signed_url/issuer.py",
        "cloudfront_token/signer.py",
        "cloudfront_token/policy.py",
    ):
        assert (out / path).is_file(), path
    (binding,) = (out / "cryptography" / "hazmat" / "bindings").glob("_rust*.so")
    header = binding.read_bytes()[:20]
    assert header[:4] == b"\x7fELF"
    assert int.from_bytes(header[18:20], "little") == ELF_MACHINE_AARCH64
    assert sorted(p.name for p in out.glob("*.dist-info")) == [
        "cffi-2.1.1.dist-info",
        "cryptography-50.0.2.dist-info",
        "pycparser-3.12.dist-info",
    ]
