"""PythonFunction and Docker-free bundling."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from aws_cdk import App, Stack
from aws_cdk.assertions import Template

from stacks import bundling
from stacks.bundling import BundlingError, LocalPythonBundling, python_code
from stacks.constructs.props import EnvironmentProps
from stacks.constructs.python_function import COMMON_PACKAGE, PythonFunction
from tests.support.synth import cdk_context
from tests.support.templates import resources_of_type

ELF_MACHINE_AARCH64 = 0xB7


@pytest.fixture
def lambda_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    source = tmp_path / "probe"
    source.mkdir()
    (source / "__init__.py").write_text("")
    (source / "handler.py").write_text("def handler(event, context):\n    return event\n")
    (source / "logic.py").write_text("VALUE = 1\n")
    (source / "__pycache__").mkdir()
    (source / "__pycache__" / "logic.cpython-311.pyc").write_bytes(b"stale")
    (tmp_path / COMMON_PACKAGE).mkdir()
    (tmp_path / COMMON_PACKAGE / "__init__.py").write_text("")
    monkeypatch.setattr(bundling, "LAMBDA_ROOT", tmp_path)
    return tmp_path


def test_function_is_arm64_python_3_14_with_its_own_log_group_and_minimal_role(lambda_root: Path):
    env = EnvironmentProps(name="probe", retain_data=False, log_retention_days=30, noncurrent_versions_days=7)
    stack = Stack(App(context=cdk_context()), "Probe")
    PythonFunction(stack, "Probe", env=env, source="probe", description="probe", environment={"MODE": "test"})
    template = Template.from_stack(stack).to_json()

    (function,) = resources_of_type(template, "AWS::Lambda::Function").values()
    props = function["Properties"]
    assert props["Runtime"] == "python3.14"
    assert props["Architectures"] == ["arm64"]
    assert props["Handler"] == "probe.handler.handler"
    assert props["Environment"] == {"Variables": {"MODE": "test"}}
    (log_group_id, log_group) = next(iter(resources_of_type(template, "AWS::Logs::LogGroup").items()))
    assert props["LoggingConfig"] == {"LogFormat": "JSON", "LogGroup": {"Ref": log_group_id}}
    assert log_group["Properties"]["RetentionInDays"] == 30
    assert log_group["DeletionPolicy"] == "Delete"

    (role_id, role) = next(iter(resources_of_type(template, "AWS::IAM::Role").items()))
    assert props["Role"] == {"Fn::GetAtt": [role_id, "Arn"]}
    assert "ManagedPolicyArns" not in role["Properties"]
    (policy,) = resources_of_type(template, "AWS::IAM::Policy").values()
    assert policy["Properties"]["PolicyDocument"]["Statement"] == [
        {
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Effect": "Allow",
            "Resource": {"Fn::GetAtt": [log_group_id, "Arn"]},
        }
    ]


def test_missing_handler_is_a_clear_error(lambda_root: Path):
    with pytest.raises(BundlingError, match=r"lambda/nothing/handler.py does not exist"):
        python_code("nothing")


def test_local_bundling_copies_sources_without_caches(lambda_root: Path, tmp_path: Path):
    out = tmp_path / "out"
    out.mkdir()
    (lambda_root / "probe" / "requirements.txt").write_text("")
    assert LocalPythonBundling(lambda_root / "probe", cache=tmp_path / "cache").try_bundle(str(out)) is True
    assert [p.name for p in out.iterdir()] == ["probe"]
    assert sorted(p.name for p in (out / "probe").iterdir()) == ["__init__.py", "handler.py", "logic.py"]


def test_local_bundling_installs_aarch64_wheels_for_the_lambda_runtime(lambda_root: Path, tmp_path: Path):
    source = lambda_root / "probe"
    (source / "requirements.txt").write_text("cffi==2.0.0\n")
    out = tmp_path / "out"
    out.mkdir()
    LocalPythonBundling(source, cache=tmp_path / "cache").try_bundle(str(out))
    (extension,) = out.glob("_cffi_backend*.so")
    assert "cpython-314-aarch64-linux-gnu" in extension.name
    header = extension.read_bytes()[:20]
    assert header[:4] == b"\x7fELF"
    assert int.from_bytes(header[18:20], "little") == ELF_MACHINE_AARCH64


def test_installed_requirements_are_reused_until_the_requirements_change(
    lambda_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    source = lambda_root / "probe"
    (source / "requirements.txt").write_text("cffi==2.0.0\n")
    cache = tmp_path / "cache"
    LocalPythonBundling(source, cache=cache).try_bundle(str(tmp_path / "first"))
    (entry,) = cache.iterdir()
    assert list(entry.glob("_cffi_backend*.so"))

    def no_pip(*args: object, **kwargs: object) -> None:
        raise AssertionError("pip ran although the requirements were installed before")

    monkeypatch.setattr(subprocess, "run", no_pip)
    second = tmp_path / "second"
    LocalPythonBundling(source, cache=cache).try_bundle(str(second))
    assert sorted(p.name for p in second.iterdir()) == sorted(p.name for p in (tmp_path / "first").iterdir())

    (source / "requirements.txt").write_text("cffi==2.0.0\npycparser==2.23\n")
    with pytest.raises(AssertionError, match="pip ran"):
        LocalPythonBundling(source, cache=cache).try_bundle(str(tmp_path / "third"))


def test_bundling_failure_names_the_requirements_file(lambda_root: Path, tmp_path: Path):
    source = lambda_root / "probe"
    (source / "requirements.txt").write_text("no-such-package-showrunner-test==0.0.1\n")
    out = tmp_path / "out"
    out.mkdir()
    cache = tmp_path / "cache"
    with pytest.raises(BundlingError, match=r"pip could not bundle .*requirements.txt"):
        LocalPythonBundling(source, cache=cache).try_bundle(str(out))
    assert list(cache.iterdir()) == []  # nothing half-installed is left to be reused
