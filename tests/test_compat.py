"""Every upstream private detail in `_compat` is what LangGraph really does at run time.

Each test watches LangGraph use the detail (a pause, a stored write, a config, a ToolNode
call), so an upstream change that `_compat`'s import-time checks miss still fails here.
"""

from __future__ import annotations

import sqlite3
import uuid
from types import ModuleType
from typing import TYPE_CHECKING, Any

import httpx
import ormsgpack
import pytest
from langchain_core.messages import ToolMessage
from langchain_core.tools import tool
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from langgraph.config import get_config
from langgraph.errors import UnknownInterruptError
from langgraph.graph import START, StateGraph
from langgraph.prebuilt import ToolNode
from langgraph.types import Command, Interrupt, interrupt
from pydantic import TypeAdapter
from typing_extensions import TypedDict

from langgraph_hitl import UpstreamChangedError, _compat, open_checkpointer

if TYPE_CHECKING:
    from pathlib import Path

    from langchain_core.runnables import RunnableConfig
    from langgraph.checkpoint.base import BaseCheckpointSaver


class State(TypedDict, total=False):
    answer: str
    seen: dict[str, Any]


def _ask(state: State) -> State:
    answer = str(interrupt("question?"))
    checkpoint_map = get_config()["configurable"].get(_compat.CHECKPOINT_MAP_KEY)
    return {"answer": answer, "seen": {"checkpoint_map": dict(checkpoint_map or {})}}


def _graph(saver: BaseCheckpointSaver[Any]) -> Any:
    builder = StateGraph(State).add_node("ask", _ask).add_edge(START, "ask")
    return builder.compile(checkpointer=saver)


def _config() -> RunnableConfig:
    return {"configurable": {"thread_id": uuid.uuid4().hex}}


def test_the_interrupt_id_rule_is_langgraphs() -> None:
    graph = _graph(InMemorySaver())
    config = _config()
    graph.invoke({}, config)
    (task,) = graph.get_state(config).tasks

    (pending,) = task.interrupts
    namespace = f"ask:{task.id}"
    assert pending.id == _compat.interrupt_id_of(namespace, 0)


def test_control_channels_and_task_path_are_what_the_tables_store(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    config = _config()
    with open_checkpointer(str(path)) as saver:
        graph = _graph(saver)
        graph.invoke({}, config)
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT channel, task_path, type, value FROM writes").fetchall()

    (channel, task_path, kind, blob) = next(r for r in rows if r[0] == _compat.INTERRUPT)
    assert channel in _compat.CONTROL_CHANNELS
    assert task_path.startswith(_compat.PULL_TASK_PREFIX)
    assert kind == "msgpack"
    codes: list[int] = []
    ormsgpack.unpackb(blob, ext_hook=lambda code, data: codes.append(code))
    assert codes[0] == _compat.EXT_CONSTRUCTOR_KW_ARGS


def _two_questions(state: State) -> State:
    first = interrupt("first?")
    second = interrupt("second?")
    return {"answer": f"{first} {second}"}


def test_a_partial_answer_is_stored_under_the_resume_channel(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    config = _config()
    with open_checkpointer(str(path)) as saver:
        builder = StateGraph(State).add_node("ask", _two_questions).add_edge(START, "ask")
        graph = builder.compile(checkpointer=saver)
        graph.invoke({}, config)
        graph.invoke(Command(resume="one"), config)
        (task,) = graph.get_state(config).tasks
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT task_id, channel, value FROM writes").fetchall()

    (resume_write,) = [r for r in rows if r[0] == task.id and r[1] == _compat.RESUME]
    assert ormsgpack.unpackb(resume_write[2]) == ["one"]
    assert {r[1] for r in rows if r[0] == task.id} <= _compat.CONTROL_CHANNELS


def test_the_strict_resume_key_makes_pregel_check_ids() -> None:
    graph = _graph(InMemorySaver())
    config = _config()
    graph.invoke({}, config)
    strict: RunnableConfig = {
        "configurable": {**config["configurable"], _compat.STRICT_RESUME_KEY: True}
    }

    with pytest.raises(UnknownInterruptError):
        graph.invoke(Command(resume={"0" * 32: "x"}), strict)
    # Without the key, LangGraph ignores the unknown id and the task simply asks again.
    out = graph.invoke(Command(resume={"0" * 32: "x"}), config, version="v2")
    assert [i.value for i in out.interrupts] == ["question?"]


def test_the_checkpoint_map_key_is_in_a_nodes_config() -> None:
    graph = _graph(InMemorySaver())
    config = _config()
    graph.invoke({}, config)

    out = graph.invoke(Command(resume="yes"), config)

    checkpoint_map = out["seen"]["checkpoint_map"]
    assert set(checkpoint_map) == {""}
    assert (
        checkpoint_map[""] == graph.get_state(config).parent_config["configurable"]["checkpoint_id"]
    )


def test_toolnode_takes_a_call_with_context() -> None:
    @tool
    def echo(text: str) -> str:
        """Echo."""
        return text

    call = {"name": "echo", "args": {"text": "hi"}, "id": "c1", "type": "tool_call"}
    node = ToolNode([echo])
    got: list[Any] = []

    def run(state: State, config: RunnableConfig) -> State:
        payload = {"__type": _compat.TOOL_CALL_WITH_CONTEXT, "tool_call": call, "state": {}}
        got.append(node.invoke(payload, config))
        return {}

    graph = StateGraph(State).add_node("run", run).add_edge(START, "run").compile()
    graph.invoke({})

    (out,) = got
    messages = out if isinstance(out, list) else out["messages"]
    assert isinstance(messages[0], ToolMessage)
    assert messages[0].content == "hi"


def test_runnable_callable_runs_sync_and_async() -> None:
    runnable = _compat.RunnableCallable(lambda x: x + 1, None, name="inc", trace=False)

    assert runnable.invoke(1) == 2


def test_interrupt_raises_a_graph_interrupt_whose_init_can_be_watched() -> None:
    seen: list[tuple[Interrupt, ...]] = []
    original = _compat.GraphInterrupt.__init__

    def watching(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        seen.append(tuple(self.args[0]))

    _compat.GraphInterrupt.__init__ = watching  # type: ignore[method-assign]
    try:
        _graph(InMemorySaver()).invoke({}, _config())
    finally:
        _compat.GraphInterrupt.__init__ = original  # type: ignore[method-assign]

    assert seen
    assert seen[0][0].value == "question?"


def test_adapter_type() -> None:
    assert _compat.adapter_type(TypeAdapter(State)) is State


def test_saver_accessors_and_their_loud_failure(tmp_path: Path) -> None:
    saver = InMemorySaver()
    _graph(saver).invoke({}, _config())
    assert len(_compat.memory_storage(saver)) == 1
    with open_checkpointer(str(tmp_path / "c.db")) as sqlite_saver:
        conn, lock = _compat.sqlite_connection(sqlite_saver)
        with lock:
            assert conn.execute("SELECT 1").fetchone() == (1,)

    with pytest.raises(UpstreamChangedError) as changed:
        _compat.sqlite_connection(object())
    message = str(changed.value)
    assert "object.conn and .lock" in message
    assert "Supported: langgraph>=1.2,<2" in message
    assert "Installed: langgraph " in message
    with pytest.raises(UpstreamChangedError, match=r"object\._cursor\(\)"):
        _compat.postgres_cursor(object())
    with pytest.raises(UpstreamChangedError, match="storage as a dict"):
        _compat.memory_storage(object())


async def test_the_sdk_clients_http_layer_and_its_loud_failure() -> None:
    from langgraph_sdk import get_client, get_sync_client

    sync = get_sync_client(url="http://127.0.0.1:1", api_key=None)
    http = _compat.sdk_http(sync)
    assert isinstance(http.client, httpx.Client)
    assert str(http.client.base_url) == "http://127.0.0.1:1"
    sync.close()
    client = get_client(url="http://127.0.0.1:1", api_key=None)
    assert isinstance(_compat.sdk_http(client).client, httpx.AsyncClient)
    await client.aclose()

    with pytest.raises(UpstreamChangedError, match=r"object\.http\.client and \.http\.request_"):
        _compat.sdk_http(object())

    class OldHttp:
        client = object()

        def request_reconnect(self, path: str, method: str) -> None: ...

    class Old:
        http = OldHttp()

    with pytest.raises(UpstreamChangedError, match="reconnect_limit"):
        _compat.sdk_http(Old())


def test_jsonplus_stores_an_interrupt_with_the_kw_args_extension() -> None:
    kind, blob = JsonPlusSerializer().dumps_typed(Interrupt(value=1, id="x"))

    codes: list[int] = []
    ormsgpack.unpackb(blob, ext_hook=lambda code, data: codes.append(code))
    assert kind == "msgpack"
    assert codes == [_compat.EXT_CONSTRUCTOR_KW_ARGS]


def test_an_upstream_change_fails_loudly_naming_the_detail() -> None:
    module = ModuleType("langgraph.fake")
    module.INTERRUPT = "__renamed__"  # type: ignore[attr-defined]

    with pytest.raises(UpstreamChangedError) as changed:
        _compat._constant(module, "INTERRUPT", "__interrupt__")

    assert "langgraph.fake.INTERRUPT == '__interrupt__'" in str(changed.value)
    assert "found '__renamed__'" in str(changed.value)
    assert isinstance(changed.value, ImportError)
