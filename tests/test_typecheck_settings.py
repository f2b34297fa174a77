"""mypy reads only the aws-cdk-lib modules the project imports (pyproject.toml); a new import must be listed there.

Skipping the other modules' stubs (hundreds of services) is what makes a cold ``make typecheck``
take seconds instead of a minute; a module the project imports but the list leaves out would be
skipped too, and everything taken from it would silently become ``Any``.
"""

from __future__ import annotations

import ast
import tomllib

from tests.support.synth import ROOT

CHECKED = ("app.py", "stacks", "tools", "lambda", "tests", "benchmarks")


def _cdk_modules_imported() -> set[str]:
    """``aws_cdk`` and each of its submodules that a checked file imports (submodule names are lowercase)."""
    found: set[str] = set()
    files = [ROOT / "app.py", *(p for d in CHECKED[1:] for p in (ROOT / d).rglob("*.py"))]
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "aws_cdk":
                assert node.module is not None
                found.add(node.module)
                if node.module == "aws_cdk":
                    found.update(f"aws_cdk.{alias.name}" for alias in node.names if alias.name.islower())
            elif isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names if alias.name.split(".")[0] == "aws_cdk")
    return found


def _followed() -> set[str]:
    settings = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]["overrides"]
    skipped = [o for o in settings if o.get("follow_imports") == "skip"]
    assert [o["module"] for o in skipped] == [["aws_cdk.*"]]
    (followed,) = [o["module"] for o in settings if o.get("follow_imports") == "normal"]
    return set(followed)


def test_every_aws_cdk_module_the_project_imports_is_type_checked():
    imported = _cdk_modules_imported()
    assert {"aws_cdk", "aws_cdk.aws_s3", "aws_cdk.assertions"} <= imported  # the scan finds imports
    assert imported - _followed() == set()
