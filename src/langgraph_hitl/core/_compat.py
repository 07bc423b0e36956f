"""Every private detail of LangGraph, LangChain and pydantic that this library depends on.

Nothing else in the package reaches into an upstream private name: it imports it from here.
Each detail is checked when the package is imported (the saver attributes when first used);
an upstream release that changes one fails HERE, loudly, with `UpstreamChangedError` naming
the detail and the supported versions, instead of silently dropping a safety check
somewhere else. `tests/test_compat.py` pins every one.
"""

from __future__ import annotations

import inspect
from importlib.metadata import version
from typing import TYPE_CHECKING, Any

import langgraph.prebuilt.tool_node as _tool_node
import langgraph.types as _types
from langgraph._internal import _constants
from langgraph.checkpoint.serde import jsonplus as _jsonplus
from langgraph.checkpoint.serde import types as _serde_types
from langgraph.errors import GraphInterrupt
from langgraph.types import Interrupt
from pydantic import TypeAdapter
from xxhash import xxh3_128_hexdigest

from ._errors import UpstreamChangedError

if TYPE_CHECKING:
    from collections.abc import Callable

    # Type-only: the bound of a graph's output state.
    from langgraph._internal._typing import StateLike as StateLike

SUPPORTED = "langgraph>=1.2,<2, langgraph-checkpoint>=3,<5, langchain-core>=1,<2, pydantic>=2.7,<3"
"""The upstream versions these details were checked against (pyproject.toml's ranges)."""

__all__ = [
    "CHECKPOINTER_KEY",
    "CHECKPOINT_MAP_KEY",
    "CHECKPOINT_NS_KEY",
    "CONTROL_CHANNELS",
    "ERROR",
    "ERROR_SOURCE_NODE",
    "EXT_CONSTRUCTOR_KW_ARGS",
    "INTERRUPT",
    "NS_SEP",
    "NULL_TASK_ID",
    "PULL_TASK_PREFIX",
    "RESUME",
    "SCHEDULED",
    "STRICT_RESUME_KEY",
    "TASK_ID_KEY",
    "SUPPORTED",
    "TOOL_CALL_WITH_CONTEXT",
    "GraphInterrupt",
    "RunnableCallable",
    "adapter_type",
    "hook_graph_interrupt",
    "interrupt_id_of",
    "interrupts_of",
    "memory_storage",
    "postgres_cursor",
    "sdk_http",
    "sqlite_connection",
]


def _changed(detail: str, found: object = None) -> UpstreamChangedError:
    installed = ", ".join(
        f"{name} {_installed(name)}" for name in ("langgraph", "langgraph-checkpoint", "pydantic")
    )
    seen = "" if found is None else f" (found {found!r})"
    return UpstreamChangedError(
        f"langgraph-hitl depends on {detail}, which the installed versions no longer provide"
        f"{seen}. Installed: {installed}. Supported: {SUPPORTED}. Install a supported "
        "version, or upgrade langgraph-hitl."
    )


def _installed(name: str) -> str:
    try:
        return version(name)
    except Exception:  # pragma: no cover - a distribution without metadata
        return "unknown"


def _constant(module: Any, name: str, expected: str) -> str:
    value = getattr(module, name, None)
    if value != expected:
        raise _changed(f"{module.__name__}.{name} == {expected!r}", value)
    return expected


# --- Pregel's control writes and task paths ------------------------------------------------

INTERRUPT = _constant(_serde_types, "INTERRUPT", "__interrupt__")
"""The write a paused task saves: its `Interrupt`s."""
RESUME = _constant(_serde_types, "RESUME", "__resume__")
"""The write that holds a task's answers, one slot per interrupt answered so far."""
ERROR = _constant(_serde_types, "ERROR", "__error__")
"""The write a failed task saves."""
SCHEDULED = _constant(_serde_types, "SCHEDULED", "__scheduled__")
"""The write of a task scheduled for later."""
ERROR_SOURCE_NODE = _constant(_constants, "ERROR_SOURCE_NODE", "__error_source_node__")
"""The write naming the node an error came from."""
CONTROL_CHANNELS: frozenset[str] = frozenset(
    (INTERRUPT, RESUME, ERROR, SCHEDULED, ERROR_SOURCE_NODE)
)
"""Every control write a task may leave beside its interrupt: what a refused answer may
have added and what taking it back may remove. One list for the SQL and for the rollback."""
NULL_TASK_ID = _constant(_constants, "NULL_TASK_ID", "00000000-0000-0000-0000-000000000000")
"""The task id of writes that are a step's input rather than a task's (a `Command`'s)."""
PULL_TASK_PREFIX = "~" + _constant(_constants, "PULL", "__pregel_pull")
"""How the checkpoint tables' `task_path` starts for a node's own task (`~__pregel_pull, name`)."""

# --- Config keys ---------------------------------------------------------------------------

STRICT_RESUME_KEY = _constant(_constants, "CONFIG_KEY_STRICT_RESUME", "__pregel_strict_resume")
"""The flag (set by LangGraph's server) that makes Pregel check resume ids when it loads
them: our send-time race check. Required: without it the check would silently be off."""
CHECKPOINT_MAP_KEY = _constant(_constants, "CONFIG_KEY_CHECKPOINT_MAP", "checkpoint_map")
"""The configurable key that maps a task's namespaces to their checkpoint ids."""
CHECKPOINT_NS_KEY = _constant(_constants, "CONFIG_KEY_CHECKPOINT_NS", "checkpoint_ns")
"""The configurable key of a task's namespace (`parent|node:task_id`)."""
CHECKPOINTER_KEY = _constant(_constants, "CONFIG_KEY_CHECKPOINTER", "__pregel_checkpointer")
"""The configurable key of the running graph's checkpointer, inside a task."""
TASK_ID_KEY = _constant(_constants, "CONFIG_KEY_TASK_ID", "__pregel_task_id")
"""The configurable key of the running task's id (its writes are saved under it)."""

# --- Interrupt ids -------------------------------------------------------------------------

_interrupt_id: Callable[[str, int], str] | None = getattr(_types, "_interrupt_id", None)
if _interrupt_id is None:
    raise _changed("langgraph.types._interrupt_id(namespace, answered)")
_NS_SEP = _constant(_constants, "NS_SEP", "|")
NS_SEP = _NS_SEP
"""What joins the parts of a task's namespace: its parent's namespace, then its own."""


def interrupt_id_of(namespace: str, answered: int) -> str:
    """The id LangGraph gives the interrupt of a task (`namespace`) with `answered` answers."""
    return xxh3_128_hexdigest(
        (f"{namespace}{_NS_SEP}{answered}" if answered else namespace).encode()
    )


for _ns, _n in (("tools:2f1e", 0), ("tools:2f1e", 3)):
    if _interrupt_id(_ns, _n) != interrupt_id_of(_ns, _n):
        raise _changed(
            "the interrupt id rule xxh3_128(namespace[|answered])", _interrupt_id(_ns, _n)
        )

# --- Serialization of checkpoint writes ----------------------------------------------------

EXT_CONSTRUCTOR_KW_ARGS = int(getattr(_jsonplus, "EXT_CONSTRUCTOR_KW_ARGS", -1))
"""The msgpack extension code of a value stored as (module, name, {field: value})."""
if EXT_CONSTRUCTOR_KW_ARGS != 2:
    raise _changed("jsonplus.EXT_CONSTRUCTOR_KW_ARGS == 2", EXT_CONSTRUCTOR_KW_ARGS)

# --- Runnables, ToolNode, GraphInterrupt, pydantic ------------------------------------------

try:
    from langgraph._internal._runnable import RunnableCallable as RunnableCallable
except ImportError as error:  # pragma: no cover - exercised only by an upstream change
    raise _changed("langgraph._internal._runnable.RunnableCallable") from error
if not {"func", "afunc", "name", "trace"} <= set(inspect.signature(RunnableCallable).parameters):
    raise _changed("RunnableCallable(func, afunc, *, name, trace)")

TOOL_CALL_WITH_CONTEXT = "tool_call_with_context"
"""ToolNode's input tag for one tool call with the graph state beside it."""
if f'"{TOOL_CALL_WITH_CONTEXT}"' not in inspect.getsource(_tool_node):
    raise _changed(f"ToolNode accepting {{'__type': {TOOL_CALL_WITH_CONTEXT!r}, ...}} input")

# The interrupt guard wraps GraphInterrupt.__init__ (interrupt() offers no hook): it needs the
# class to keep a Python-level __init__ that `interrupt()` calls with its interrupts first.
_original_init = GraphInterrupt.__init__
if not inspect.isfunction(_original_init) or "GraphInterrupt" not in inspect.getsource(
    _types.interrupt
):
    raise _changed("interrupt() raising GraphInterrupt(...) with a Python __init__")


def hook_graph_interrupt(record: Callable[[GraphInterrupt], None] | None) -> None:
    """Call `record` with every `GraphInterrupt` constructed from now on (None: stop)."""
    if record is None:
        setattr(GraphInterrupt, "__init__", _original_init)  # noqa: B010
        return

    def recording_init(self: GraphInterrupt, *args: Any, **kwargs: Any) -> None:
        _original_init(self, *args, **kwargs)
        record(self)

    setattr(GraphInterrupt, "__init__", recording_init)  # noqa: B010


def interrupts_of(exc: GraphInterrupt) -> list[Interrupt]:
    """The `Interrupt`s a `GraphInterrupt` carries (its first argument)."""
    items = exc.args[0] if exc.args else ()
    if not isinstance(items, (list, tuple)):
        return []
    return [item for item in items if isinstance(item, Interrupt)]


def adapter_type(adapter: TypeAdapter[Any]) -> object:
    """The type a pydantic `TypeAdapter` was built for (private `_type`)."""
    return adapter._type


if TypeAdapter(int)._type is not int:  # pragma: no cover - exercised only by an upstream change
    raise _changed("pydantic.TypeAdapter._type")

# --- Saver attributes (checked when first used: a saver class is imported lazily) ----------


def sqlite_connection(saver: object) -> tuple[Any, Any]:
    """A `SqliteSaver`'s connection and the lock that guards it (`conn`, `lock`)."""
    conn, lock = getattr(saver, "conn", None), getattr(saver, "lock", None)
    if conn is None or lock is None:
        raise _changed(f"{type(saver).__name__}.conn and .lock")
    return conn, lock


def postgres_cursor(saver: object) -> Callable[..., Any]:
    """A `PostgresSaver`'s / `AsyncPostgresSaver`'s cursor factory (private `_cursor`)."""
    cursor: Callable[..., Any] | None = getattr(saver, "_cursor", None)
    if not callable(cursor):
        raise _changed(f"{type(saver).__name__}._cursor()")
    return cursor


def memory_storage(saver: object) -> dict[str, Any]:
    """An `InMemorySaver`'s per-thread storage dict (`storage`)."""
    storage = getattr(saver, "storage", None)
    if not isinstance(storage, dict):
        raise _changed(f"{type(saver).__name__}.storage as a dict of threads", storage)
    return storage


# --- langgraph_sdk's HTTP layer (checked when a remote inbox makes its clients) ------------


def sdk_http(client: object) -> Any:
    """An SDK client's HTTP layer, `client.http`: its httpx client (`.client`) and the
    request that reconnects to a run's `Location` (`.request_reconnect`, with its
    `reconnect_limit`). Neither is documented; `get_sync_client` and `get_client` give
    no way to set the transport's retries or the join's reconnects."""
    http = getattr(client, "http", None)
    reconnect = getattr(http, "request_reconnect", None)
    if http is None or getattr(http, "client", None) is None or not callable(reconnect):
        name = type(client).__name__
        raise _changed(f"langgraph_sdk's {name}.http.client and .http.request_reconnect")
    if "reconnect_limit" not in inspect.signature(reconnect).parameters:
        raise _changed("langgraph_sdk's http.request_reconnect(..., reconnect_limit=)")
    return http


del _ns, _n
