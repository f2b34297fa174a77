"""Docker-free Lambda bundling.

CDK normally bundles Python functions inside a Docker image. ``LocalPythonBundling``
does the same work on the host: it copies the function's directory and, if
it has a ``requirements.txt``, installs those pinned packages as prebuilt
wheels for the Lambda platform (``manylinux2014_aarch64``, CPython 3.14), so
no compiler, no emulation and no Docker are needed. ``bundling.image`` is
required by CDK's API but never pulled.

The directory keeps its name inside the asset (``lambda/<name>/`` becomes
``<name>/`` at the code root, next to the installed requirements), so a
function's modules import as ``<name>.module`` in Lambda exactly as they do in
tests, where ``lambda/`` is on the path. The handler is ``<name>.handler.handler``.

Tests skip bundling entirely with the context ``aws:cdk:bundling-stacks: []``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import BundlingOptions, ILocalBundling
from aws_cdk import aws_lambda as lambda_

LAMBDA_ROOT = Path(__file__).resolve().parents[1] / "lambda"
RUNTIME = lambda_.Runtime.PYTHON_3_14
PYTHON_VERSION = "3.14"
PLATFORM = "manylinux2014_aarch64"
EXCLUDE = ("__pycache__", "*.pyc", "tests", "requirements-dev.txt")


class BundlingError(RuntimeError):
    pass


@jsii.implements(ILocalBundling)
class LocalPythonBundling:
    """Copies ``source`` and pip-installs its requirements for the Lambda platform."""

    def __init__(self, source: Path) -> None:
        self.source = source

    def try_bundle(self, output_dir: str, *, image: Any = None, **_: Any) -> bool:
        package = Path(output_dir) / self.source.name
        shutil.copytree(
            self.source, package, dirs_exist_ok=True, ignore=shutil.ignore_patterns(*EXCLUDE, "requirements.txt")
        )
        requirements = self.source / "requirements.txt"
        if requirements.exists():
            command = [
                sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                "--requirement", str(requirements), "--target", output_dir,
                "--platform", PLATFORM, "--implementation", "cp", "--python-version", PYTHON_VERSION,
                "--only-binary=:all:", "--no-compile",
            ]  # fmt: skip
            result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603 - fixed argv
            if result.returncode != 0:
                raise BundlingError(f"pip could not bundle {requirements}: {result.stderr.strip()}")
        return True


def handler_name(source: str) -> str:
    """The Lambda handler of the function in ``lambda/<source>/``."""
    return f"{source}.handler.handler"


def python_code(source: str) -> lambda_.Code:
    """The code asset of the function in ``lambda/<source>/``, bundled locally."""
    path = LAMBDA_ROOT / source
    if not (path / "handler.py").is_file():
        raise BundlingError(f"lambda/{source}/handler.py does not exist")
    return lambda_.Code.from_asset(
        str(path),
        exclude=list(EXCLUDE),
        bundling=BundlingOptions(image=RUNTIME.bundling_image, local=LocalPythonBundling(path)),
    )
