"""Packaging basics: nothing undeclared is imported, the license ships, the version is known."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from importlib.metadata import metadata, packages_distributions, requires
from pathlib import Path

import langgraph_hitl

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "langgraph_hitl"


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _runtime_imports(tree: ast.AST) -> set[str]:
    """Top-level modules a file imports when it runs (not those under `if TYPE_CHECKING:`)."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for statement in node.orelse:
                visit(statement)
            return
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def test_every_module_imported_at_run_time_is_a_declared_dependency() -> None:
    declared = {
        _canonical(re.split(r"[\s<>=!~;\[]", requirement, maxsplit=1)[0])
        for requirement in requires("langgraph-hitl") or []
    }
    providers = packages_distributions()
    imported: dict[str, set[str]] = {}
    for path in SRC.rglob("*.py"):
        for module in _runtime_imports(ast.parse(path.read_text(encoding="utf-8"))):
            imported.setdefault(module, set()).add(str(path.relative_to(ROOT)))

    undeclared = {
        module: sorted(where)
        for module, where in imported.items()
        if module not in sys.stdlib_module_names
        and module != "langgraph_hitl"
        # Not installed here (e.g. a backport for older Pythons): its own name must be declared.
        and not {_canonical(d) for d in providers.get(module) or [module]} & declared
    }

    assert undeclared == {}, f"imported but not declared in pyproject.toml: {undeclared}"
    assert "xxhash" in imported
    assert "ormsgpack" in imported


def test_the_license_file_matches_the_metadata() -> None:
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")

    assert text.startswith("MIT License")
    assert metadata("langgraph-hitl")["License-Expression"] == "MIT"


def test_the_command_prints_the_version() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "langgraph_hitl", "--version"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"langgraph-hitl {langgraph_hitl.__version__}"
