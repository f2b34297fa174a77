"""Docker-free Lambda bundling.

CDK normally bundles Python functions inside a Docker image. ``LocalPythonBundling``
does the same work on the host: it copies the function's package and, if it
has a ``requirements.txt``, installs those pinned packages as prebuilt wheels
for the Lambda platform (``manylinux2014_aarch64``, CPython 3.14), so no
compiler, no emulation and no Docker are needed. ``bundling.image`` is
required by CDK's API but never pulled.

Every function is bundled as a package, exactly as the tests import it with
``lambda/`` on the path (``from signed_url.issuer import ...``):
``lambda/<source>/`` goes to ``<asset>/<source>/``, each shared package
(``cloudfront_token``) to ``<asset>/<package>/``, and the handler is
``<source>.handler.handler``.

The installed requirements are kept in ``build/lambda-deps/<digest>/`` (the digest
covers the requirements file, the platform and the Python version), so a synth
into an empty ``cdk.out`` copies them instead of asking PyPI again; every
requirement is pinned, so the same digest always means the same packages.

Tests skip bundling entirely with the context ``aws:cdk:bundling-stacks: []``.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import AssetHashType, BundlingOptions, ILocalBundling
from aws_cdk import aws_lambda as lambda_

LAMBDA_ROOT = Path(__file__).resolve().parents[1] / "lambda"
DEPENDENCY_CACHE = Path(__file__).resolve().parents[1] / "build" / "lambda-deps"
RUNTIME = lambda_.Runtime.PYTHON_3_14
PYTHON_VERSION = "3.14"
PLATFORM = "manylinux2014_aarch64"
EXCLUDE = ("__pycache__", "*.pyc", "tests", "requirements.txt", "requirements-dev.txt")


class BundlingError(RuntimeError):
    pass


@jsii.implements(ILocalBundling)
class LocalPythonBundling:
    """Copies ``source`` and the ``shared`` packages as packages, and pip-installs ``source``'s requirements."""

    def __init__(self, source: Path, shared: Sequence[Path] = (), *, cache: Path | None = None) -> None:
        self.source = source
        self.shared = shared
        self.cache = DEPENDENCY_CACHE if cache is None else cache

    def try_bundle(self, output_dir: str, *, image: Any = None, **_: Any) -> bool:
        ignore = shutil.ignore_patterns(*EXCLUDE)
        for package in (self.source, *self.shared):
            shutil.copytree(package, Path(output_dir) / package.name, dirs_exist_ok=True, ignore=ignore)
        requirements = self.source / "requirements.txt"
        if requirements.exists():
            shutil.copytree(self._dependencies(requirements), output_dir, dirs_exist_ok=True)
        return True

    def _dependencies(self, requirements: Path) -> Path:
        """The installed requirements, from the cache or pip (into a temporary directory, renamed when complete)."""
        digest = hashlib.sha256(f"{PLATFORM} {PYTHON_VERSION}\n".encode() + requirements.read_bytes()).hexdigest()
        cached = self.cache / digest[:32]
        if cached.is_dir():
            return cached
        self.cache.mkdir(parents=True, exist_ok=True)
        partial = Path(tempfile.mkdtemp(prefix=f".{digest[:8]}-", dir=self.cache))
        command = [
            sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
            "--requirement", str(requirements), "--target", str(partial),
            "--platform", PLATFORM, "--implementation", "cp", "--python-version", PYTHON_VERSION,
            "--only-binary=:all:", "--no-compile",
        ]  # fmt: skip
        result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603 - fixed argv
        if result.returncode != 0:
            shutil.rmtree(partial, ignore_errors=True)
            raise BundlingError(f"pip could not bundle {requirements}: {result.stderr.strip()}")
        try:
            partial.rename(cached)
        except OSError:  # another synth finished the same install first
            shutil.rmtree(partial, ignore_errors=True)
        return cached


def python_code(source: str, shared: Sequence[str] = ()) -> lambda_.Code:
    """The code asset of the function package ``lambda/<source>/`` plus the ``shared`` packages, bundled locally."""
    path = LAMBDA_ROOT / source
    if not (path / "handler.py").is_file():
        raise BundlingError(f"lambda/{source}/handler.py does not exist")
    packages = [LAMBDA_ROOT / name for name in shared]
    for package in (path, *packages):
        if not (package / "__init__.py").is_file():
            raise BundlingError(f"lambda/{package.name}/ is not a package (it has no __init__.py)")
    return lambda_.Code.from_asset(
        str(path),
        exclude=list(EXCLUDE),
        # CDK hashes only ``path``; the shared packages must change the asset too.
        asset_hash=_tree_hash([path, *packages]),
        asset_hash_type=AssetHashType.CUSTOM,
        bundling=BundlingOptions(image=RUNTIME.bundling_image, local=LocalPythonBundling(path, packages)),
    )


def _tree_hash(roots: Sequence[Path]) -> str:
    digest = hashlib.sha256(f"{PLATFORM} {PYTHON_VERSION} package-layout".encode())
    for root in roots:
        for file in sorted(root.rglob("*")):
            if file.is_file() and "__pycache__" not in file.parts and file.suffix != ".pyc":
                digest.update(f"{root.name}/{file.relative_to(root).as_posix()}\0".encode())
                digest.update(file.read_bytes())
    return digest.hexdigest()
