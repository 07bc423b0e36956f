"""The package's layers: imports go only downward, never in a cycle, never to private names.

`src/langgraph_hitl/` is layered, bottom to top (README, "Layout"):

    core     errors, the clock, upstream internals, what a pending request is, display
    store    the database: backends, claims, the listing table, cursors
    answers  decisions, validation, deadlines, matching, sending, rollback, the audit trail
    tools    the two tools that pause: approval_tool, human_assistance_tool
    graph    building a graph, opening checkpointers, the new-input policy, the guard
    testing  the public testing kit
    notify   notifications of waiting requests
    inbox    the inbox across threads, over a database or a LangGraph Server
    web      the web reviewer
    cli      the command line: inbox, review, serve, expire, notify, demo

A module may import its own package and the layers below it, never one above. No two modules
import each other, even lazily or for type checking only; and no module imports another's
underscore name (what is shared has a plain name). The check reads the source with `ast`, so
it sees imports inside functions and under `TYPE_CHECKING` too.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "langgraph_hitl"
PACKAGE = "langgraph_hitl"
LAYERS = [
    "core",
    "store",
    "answers",
    "tools",
    "graph",
    "testing",
    "notify",
    "inbox",
    "web",
    "cli",
]
# The package's face: re-exports what users import; `python -m langgraph_hitl` runs the CLI.
TOP = {PACKAGE, f"{PACKAGE}.__main__"}


def _module_of(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_module(name: str) -> bool:
    path = SRC.parent.joinpath(*name.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def _imports(path: Path) -> list[tuple[str, str | None, int]]:
    """(module imported, name taken from it or None, line) for each import of the package."""
    here = _module_of(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    found: list[tuple[str, str | None, int]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(a.name, None, node.lineno) for a in node.names if a.name.startswith(PACKAGE)]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            if not source.startswith(PACKAGE):
                continue
            for alias in node.names:
                if _is_module(f"{source}.{alias.name}"):
                    found.append((f"{source}.{alias.name}", None, node.lineno))
                else:
                    found.append((source, alias.name, node.lineno))
    return found


Graph = dict[str, list[tuple[str, "str | None", int]]]
GRAPH: Graph = {_module_of(p): _imports(p) for p in sorted(SRC.rglob("*.py"))}


def _layer(module: str) -> int | None:
    """The module's layer (its index in LAYERS); None for the package's face."""
    if module in TOP:
        return None
    first = module.split(".")[1]
    return LAYERS.index(first) if first in LAYERS else None


def upward(graph: Graph) -> list[str]:
    """Imports of a higher layer (or of the package's face) from inside a layer."""
    found = []
    for module, imports in graph.items():
        mine = _layer(module)
        if mine is None:
            continue
        for target, _, line in imports:
            theirs = _layer(target)
            if theirs is None or theirs > mine:
                found.append(f"{module}:{line} imports {target}")
    return found


def private(graph: Graph) -> list[str]:
    """Underscore names taken from another module."""
    return [
        f"{module}:{line} takes {name} from {target}"
        for module, imports in graph.items()
        for target, name, line in imports
        if name is not None and name.startswith("_") and not name.startswith("__")
    ]


def cycles(graph: Graph) -> list[list[str]]:
    """Groups of modules that import each other (strongly connected, Tarjan)."""
    edges = {
        m: sorted({t for t, _, _ in imps if t in graph and t != m}) for m, imps in graph.items()
    }
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in edges[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            part = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                part.append(top)
                if top == node:
                    break
            if len(part) > 1:
                found.append(sorted(part))

    for node in edges:
        if node not in index:
            visit(node)
    # The package's face imports everything; whatever imports it back is an upward import.
    return [c for c in found if not set(c) & TOP]


def test_every_module_is_in_a_layer() -> None:
    stray = [m for m in GRAPH if m not in TOP and _layer(m) is None]
    assert stray == [], f"modules outside the layers {LAYERS}: {stray}"


def test_imports_only_go_down() -> None:
    assert upward(GRAPH) == [], "imports that go up a layer:\n" + "\n".join(upward(GRAPH))


def test_no_private_names_across_modules() -> None:
    assert private(GRAPH) == [], "underscore names of other modules:\n" + "\n".join(private(GRAPH))


def test_no_import_cycles() -> None:
    assert cycles(GRAPH) == [], f"modules that import each other: {cycles(GRAPH)}"


def test_the_rules_fire() -> None:
    """Each rule reports a made-up violation: the checks can fail."""
    made_up: Graph = {
        "langgraph_hitl.core._a": [("langgraph_hitl.cli._main", "run", 3)],
        "langgraph_hitl.store._b": [("langgraph_hitl.store._c", "_secret", 4)],
        "langgraph_hitl.store._c": [("langgraph_hitl.store._b", None, 5)],
        "langgraph_hitl.answers._d": [("langgraph_hitl", "__version__", 6)],
    }
    assert upward(made_up) == [
        "langgraph_hitl.core._a:3 imports langgraph_hitl.cli._main",
        "langgraph_hitl.answers._d:6 imports langgraph_hitl",
    ]
    assert private(made_up) == [
        "langgraph_hitl.store._b:4 takes _secret from langgraph_hitl.store._c"
    ]
    assert cycles(made_up) == [["langgraph_hitl.store._b", "langgraph_hitl.store._c"]]


def test_imports_are_read_from_every_place() -> None:
    """Lazy and type-checking-only imports count, relative and absolute alike."""
    (module,) = [m for m in GRAPH if m.endswith("answers._deadline")]
    targets = {t for t, _, _ in GRAPH[module]}
    assert "langgraph_hitl.store._backends" in targets  # imported inside a function
    assert "langgraph_hitl.core._clock" in targets  # `from ..core import _clock as clock`
