"""Who may import whom (docs/architecture.md, "Layout"), checked on every module's import statements.

* Constructs (``stacks/constructs/``) never import the environment's configuration: they take typed props.
* The deployable app (``stacks/``) never imports the tools, the functions or the tests.
* Functions (``lambda/``) never import the app, the tools or the tests.
* Tools (``tools/``) import nothing from the app but ``stacks.names`` and ``stacks.config``, which
  themselves import no CDK: an operator command never loads a stack, a construct or jsii.
* Benchmarks import nothing from the tests.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.synth import ROOT

SOURCE_ROOTS = {
    "stacks": ROOT / "stacks",
    "tools": ROOT / "tools",
    "lambda": ROOT / "lambda",
    "benchmarks": ROOT / "benchmarks",
}
# Top-level packages of lambda/ (a source root of its own: functions import each other's shared packages).
FUNCTION_PACKAGES = frozenset(p.name for p in (ROOT / "lambda").iterdir() if (p / "__init__.py").is_file())


@dataclass(frozen=True)
class Import:
    module: str  # the importing module, dotted
    target: str  # what it imports, dotted (``from a import b`` counts as a.b and a)
    line: int


def _module_name(path: Path) -> str:
    relative = path.relative_to(ROOT / "lambda" if path.is_relative_to(ROOT / "lambda") else ROOT)
    return ".".join(relative.with_suffix("").parts).removesuffix(".__init__")


def imports_of(path: Path, module: str | None = None) -> list[Import]:
    """The absolute imports of ``path`` (its module name from its place in the tree, unless given)."""
    module = module or _module_name(path)
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [Import(module, alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(Import(module, node.module, node.lineno))
            found += [Import(module, f"{node.module}.{alias.name}", node.lineno) for alias in node.names]
    return found


def _all_imports(root: str) -> list[Import]:
    return [i for path in sorted(SOURCE_ROOTS[root].rglob("*.py")) for i in imports_of(path)]


def _under(name: str, *packages: str) -> bool:
    return any(name == p or name.startswith(f"{p}.") for p in packages)


def _violations(imports: list[Import], forbidden: tuple[str, ...], allowed: tuple[str, ...] = ()) -> list[str]:
    return [
        f"{i.module}:{i.line} imports {i.target}"
        for i in imports
        if _under(i.target, *forbidden) and not _under(i.target, *allowed)
    ]


def test_constructs_never_import_the_configuration():
    imports = [i for i in _all_imports("stacks") if i.module.startswith("stacks.constructs")]
    assert imports, "the scan finds the constructs' imports"
    assert _violations(imports, ("stacks.config",)) == []


def test_the_deployable_app_never_imports_tools_functions_or_tests():
    imports = _all_imports("stacks")
    assert _violations(imports, ("tools", "tests", *FUNCTION_PACKAGES)) == []


def test_functions_never_import_the_app_the_tools_or_the_tests():
    imports = _all_imports("lambda")
    assert _violations(imports, ("stacks", "tools", "tests")) == []


def test_tools_import_only_the_names_and_the_configuration_from_the_app():
    imports = _all_imports("tools")
    assert any(i.target == "stacks.names" for i in imports)
    assert (
        _violations(imports, ("stacks", "aws_cdk", "constructs", "cdk_nag", "tests"), ("stacks.names", "stacks.config"))
        == []
    )


def test_names_and_configuration_import_no_cdk():
    imports = [i for i in _all_imports("stacks") if _under(i.module, "stacks.names", "stacks.config")]
    assert _violations(imports, ("aws_cdk", "constructs", "cdk_nag", "jsii")) == []
    assert _violations(imports, ("stacks",), ("stacks.names", "stacks.config")) == []


def test_benchmarks_never_import_the_tests():
    assert _violations(_all_imports("benchmarks"), ("tests",)) == []


OPERATOR_COMMANDS = sorted(p.stem for p in (ROOT / "tools" / "operator").glob("*.py") if p.stem != "__init__")


@pytest.mark.parametrize("command", OPERATOR_COMMANDS)
def test_an_operator_command_loads_no_cdk(command: str):
    """What the command really loads, transitively: never aws_cdk, constructs or jsii."""
    program = (
        f"import sys, tools.operator.{command}; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('aws_cdk', 'constructs', 'jsii', 'cdk_nag')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", program], cwd=ROOT, capture_output=True, text=True, check=True, timeout=120
    )
    assert result.stdout.strip() == "[]"


def test_the_contracts_can_fail(tmp_path: Path):
    """A construct importing the configuration is reported, with its module and line."""
    probe = tmp_path / "probe.py"
    probe.write_text("from __future__ import annotations\n\nfrom stacks.config import EnvironmentConfig\n")
    imports = imports_of(probe, module="stacks.constructs.probe")
    assert _violations(imports, ("stacks.config",)) == [
        "stacks.constructs.probe:3 imports stacks.config",
        "stacks.constructs.probe:3 imports stacks.config.EnvironmentConfig",
    ]
