"""Loading a graph named on the command line: `path/to/file.py:variable` (as langgraph.json).

The variable may hold an uncompiled `StateGraph` (compiled here with the checkpointer the
command opened), a compiled graph (its checkpointer is replaced by that one), or a function
with no required arguments that returns either.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from langgraph.graph import StateGraph
from langgraph.pregel import Pregel

if TYPE_CHECKING:
    from langgraph.checkpoint.base import BaseCheckpointSaver

__all__ = ["GraphSpecError", "load_graph"]


class GraphSpecError(ValueError):
    """A GRAPH argument that does not name a graph."""


def _on_path(folder: Path) -> None:
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))


def _in_package(path: Path) -> Any | None:
    """The module of a file inside a package, imported by its dotted name; None otherwise.

    So the file's relative imports work, and a process that also imports the package
    the usual way shares one module rather than two copies of it.
    """
    root, parts = path.parent, [path.stem]
    while (root / "__init__.py").is_file():
        parts.insert(0, root.name)
        root = root.parent
    if len(parts) == 1:
        return None
    _on_path(root)
    dotted = ".".join(parts)
    try:
        module = importlib.import_module(dotted)
    except ModuleNotFoundError as exc:
        # Only a clash of package names falls back; the file's own failures surface.
        prefixes = {".".join(parts[: n + 1]) for n in range(len(parts))}
        if exc.name in prefixes:
            return None
        raise
    where = getattr(module, "__file__", None)
    # Another package of the same name was imported first: load the file itself.
    return module if where is not None and Path(where).resolve() == path else None


def _module(ref: str) -> Any:
    if ref.endswith(".py") or "/" in ref or "\\" in ref:
        path = Path(ref).expanduser().resolve()
        if not path.is_file():
            raise GraphSpecError(f"No such file {str(path)!r} in GRAPH {ref!r}.")
        packaged = _in_package(path)
        if packaged is not None:
            return packaged
        name = f"_langgraph_hitl_graph_{abs(hash(str(path)))}"
        if name in sys.modules:
            return sys.modules[name]
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            raise GraphSpecError(f"Cannot import {str(path)!r}.")
        module = importlib.util.module_from_spec(spec)
        # The graph's own file may import siblings, as `python file.py` would allow.
        _on_path(path.parent)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        return module
    return importlib.import_module(ref)


def load_graph(spec: str, checkpointer: BaseCheckpointSaver[Any]) -> Pregel[Any, Any, Any, Any]:
    """Load `path/to/file.py:variable` (or `package.module:variable`), bound to `checkpointer`."""
    ref, sep, attr = spec.rpartition(":")
    if not sep or not ref or not attr:
        raise GraphSpecError(
            f"GRAPH {spec!r} is not of the form 'path/to/file.py:variable' "
            "(or 'package.module:variable'), as in langgraph.json."
        )
    module = _module(ref)
    try:
        thing = getattr(module, attr)
    except AttributeError:
        names = sorted(n for n in vars(module) if not n.startswith("_"))
        raise GraphSpecError(f"{ref!r} has no variable {attr!r}; it has {names}.") from None
    if callable(thing) and not isinstance(thing, (StateGraph, Pregel)):
        thing = thing()
    if isinstance(thing, StateGraph):
        return thing.compile(checkpointer=checkpointer)
    if isinstance(thing, Pregel):
        return thing.copy(update={"checkpointer": checkpointer})
    raise GraphSpecError(
        f"{spec!r} is a {type(thing).__name__}; expected a StateGraph, a compiled graph, "
        "or a function returning one."
    )
