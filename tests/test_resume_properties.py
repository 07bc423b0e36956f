"""Property tests of `resume`: every answer reaches its interrupt once, or nothing changes.

A graph of one to three parallel branches is built per example; each branch asks one
question, with no schema, a JSON-schema dict or a pydantic type, directly or inside a
subgraph. The answer is random: a bare JSON value, or a mapping whose keys are pending
interrupt ids, tool call ids, made-up ids or plain text, and whose values are valid,
nearly valid or random. Then either

- `resume` completes, and every branch the answer names (by the documented matching
  rule) got exactly its answer, exactly once, and the others still wait; or
- `resume` raises an `HITLError`, and the thread's checkpoint, pending interrupts and
  values are exactly what they were.
"""

from __future__ import annotations

import operator
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Literal

import jsonschema
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from langgraph.graph import END, START, StateGraph
from langgraph.types import interrupt
from pydantic import BaseModel, ConfigDict
from typing_extensions import TypedDict

from langgraph_hitl import HITLError, pending_interrupts, resume

if TYPE_CHECKING:
    from langchain_core.runnables import RunnableConfig
    from langgraph.checkpoint.base import BaseCheckpointSaver

Kind = Literal["none", "json", "pydantic"]

OK_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"ok": {"type": "boolean"}, "note": {"type": "string"}},
    "required": ["ok"],
    "additionalProperties": False,
}


class Verdict(BaseModel):
    model_config = ConfigDict(extra="forbid")

    choice: Literal["yes", "no"]
    note: str = ""


class Log(TypedDict):
    got: Annotated[list[Any], operator.add]


# The thread's own store must hold what is sent: JSON-safe integers and text (PostgreSQL
# refuses NUL in text).
text = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=8)
json_values: st.SearchStrategy[Any] = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | text,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(text, children, max_size=3),
    max_leaves=8,
)
VALID: dict[Kind, st.SearchStrategy[Any]] = {
    "none": json_values,
    "json": st.fixed_dictionaries({"ok": st.booleans()}, optional={"note": text}),
    "pydantic": st.fixed_dictionaries(
        {"choice": st.sampled_from(["yes", "no"])}, optional={"note": text}
    ),
}


def _near_miss(kind: Kind) -> st.SearchStrategy[Any]:
    @st.composite
    def edit(draw: st.DrawFn) -> Any:
        answer = draw(VALID[kind])
        if not isinstance(answer, dict):
            return draw(json_values)
        answer = dict(answer)
        key = draw(st.sampled_from([*sorted(answer), "ok", "choice", "extra"]))
        if draw(st.booleans()) and key in answer:
            del answer[key]
        else:
            answer[key] = draw(json_values)
        return answer

    return edit()


@dataclass(frozen=True)
class Branch:
    kind: Kind
    nested: bool


def _answers_for(kind: Kind) -> st.SearchStrategy[Any]:
    return st.one_of(VALID[kind], _near_miss(kind), json_values)


Key = tuple[Literal["id", "call", "hex", "text"], Any]


@st.composite
def cases(draw: st.DrawFn) -> tuple[list[Branch], Any]:
    """Branches, and an answer whose keys are resolved once the interrupt ids are known."""
    branches = draw(
        st.lists(
            st.builds(Branch, st.sampled_from(["none", "json", "pydantic"]), st.booleans()),
            min_size=1,
            max_size=3,
        )
    )
    n = len(branches)
    if draw(st.booleans()):
        return branches, ("bare", draw(_answers_for(branches[0].kind)))
    # Half the mappings name pending interrupts only, so that answers to several branches
    # at once are common; the other half mix in made-up ids and plain keys.
    named: st.SearchStrategy[Key] = st.one_of(
        st.tuples(st.just("id"), st.integers(0, n - 1)),
        st.tuples(st.just("call"), st.integers(0, n - 1)),
    )
    other: st.SearchStrategy[Key] = st.one_of(
        st.tuples(st.just("hex"), st.text("0123456789abcdef", min_size=32, max_size=32)),
        st.tuples(st.just("text"), text),
    )
    clean = draw(st.booleans())
    keys: list[Key] = draw(
        st.lists(named, min_size=1, max_size=n, unique_by=lambda key: key[1])
        if clean
        else st.lists(st.one_of(named, other), max_size=n + 1, unique=True)
    )
    mostly_valid = {kind: st.one_of(v, v, v, _near_miss(kind)) for kind, v in VALID.items()}
    values = [
        draw(
            mostly_valid[branches[key[1]].kind]
            if clean
            else _answers_for(branches[key[1]].kind if key[0] in ("id", "call") else "none")
        )
        for key in keys
    ]
    return branches, ("mapping", list(zip(keys, values, strict=True)))


@st.composite
def valid_cases(draw: st.DrawFn) -> tuple[list[Branch], Any]:
    """Branches and a valid answer to a non-empty subset of them, by id or tool call id."""
    branches, _ = draw(cases())
    chosen = draw(
        st.lists(st.integers(0, len(branches) - 1), min_size=1, max_size=len(branches), unique=True)
    )
    pairs = [
        ((draw(st.sampled_from(["id", "call"])), j), draw(VALID[branches[j].kind])) for j in chosen
    ]
    return branches, ("mapping", pairs)


def _asker(index: int, kind: Kind) -> Any:
    schema: Any = {"none": None, "json": OK_SCHEMA, "pydantic": Verdict}[kind]

    def ask(state: Log) -> dict[str, Any]:
        answer = interrupt(
            {"branch": index, "tool_call_id": f"call_{index}"}, response_schema=schema
        )
        if isinstance(answer, BaseModel):
            answer = answer.model_dump()
        return {"got": [[index, answer]]}

    return ask


def _graph(saver: BaseCheckpointSaver[Any], branches: list[Branch]) -> Any:
    builder = StateGraph(Log)
    for index, branch in enumerate(branches):
        node: Any = _asker(index, branch.kind)
        if branch.nested:
            node = StateGraph(Log).add_node("ask", node).add_edge(START, "ask").compile()
        builder.add_node(f"b{index}", node)
        builder.add_edge(START, f"b{index}")
        builder.add_edge(f"b{index}", END)
    return builder.compile(checkpointer=saver)


_HEX32 = re.compile(r"[0-9a-f]{32}")


def _resolve(answer: Any, ids: list[str]) -> tuple[Any, dict[int, Any] | None]:
    """The answer to send, and {branch: value} by the documented rule (None: ambiguous)."""
    form, content = answer
    if form == "bare":
        sent = content
    else:
        resolved = {"id": lambda j: ids[j], "call": lambda j: f"call_{j}"}
        sent = {resolved[k](v) if k in resolved else v: value for (k, v), value in content}
    calls = [f"call_{j}" for j in range(len(ids))]
    names = {**{c: j for j, c in enumerate(calls)}, **{i: j for j, i in enumerate(ids)}}
    is_mapping = isinstance(sent, dict) and (
        not sent
        or any(key in names for key in sent)
        or all(isinstance(key, str) and _HEX32.fullmatch(key) for key in sent)
    )
    if not is_mapping:
        return sent, ({0: sent} if len(ids) == 1 else None)
    if not sent or any(key not in names for key in sent):
        return sent, None
    targets: dict[int, Any] = {}
    for key, value in sent.items():
        if names[key] in targets:
            return sent, None
        targets[names[key]] = value
    return sent, targets


def _valid(kind: Kind, value: Any) -> bool:
    if kind == "json":
        return not list(jsonschema.Draft202012Validator(OK_SCHEMA).iter_errors(value))
    if kind == "pydantic":
        try:
            Verdict.model_validate(value)
        except ValueError:
            return False
    return True


def _expected(kind: Kind, value: Any) -> Any:
    return Verdict.model_validate(value).model_dump() if kind == "pydantic" else value


def _snapshot(graph: Any, config: RunnableConfig) -> tuple[Any, ...]:
    state = graph.get_state(config)
    pending = [(p.id, p.path, p.value) for p in pending_interrupts(graph, config)]
    return state.config["configurable"]["checkpoint_id"], pending, state.values


_counter = iter(range(10**9))

PROPERTY = settings(
    max_examples=60,
    deadline=None,
    # One checkpointer serves every example; each example uses a thread of its own.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def _run(
    saver: BaseCheckpointSaver[Any], config: RunnableConfig, case: tuple[list[Branch], Any]
) -> tuple[bool, dict[int, Any] | None]:
    branches, answer = case
    thread: RunnableConfig = {
        "configurable": {"thread_id": f"{config['configurable']['thread_id']}-{next(_counter)}"}
    }
    graph = _graph(saver, branches)
    graph.invoke({"got": []}, thread)
    pending = pending_interrupts(graph, thread)
    ids = [next(p.id for p in pending if p.value["branch"] == j) for j in range(len(branches))]
    sent, targets = _resolve(answer, ids)
    before = _snapshot(graph, thread)
    try:
        out = resume(graph, thread, sent)
    except HITLError as exc:
        event(f"refused: {type(exc).__name__}")
        assert _snapshot(graph, thread) == before
        # Refused only when the rule finds no target, or a targeted answer is invalid.
        assert targets is None or not all(
            _valid(branches[j].kind, value) for j, value in targets.items()
        )
        return False, targets
    assert targets is not None, f"{sent!r} was accepted but names no interrupt"
    event(f"delivered {len(targets)} of {len(branches)}")
    got = graph.get_state(thread).values["got"]
    for j, branch in enumerate(branches):
        mine = [value for index, value in got if index == j]
        if j in targets:
            assert _valid(branch.kind, targets[j])
            assert mine == [_expected(branch.kind, targets[j])]
        else:
            assert mine == []
    still = sorted(ids[j] for j in range(len(branches)) if j not in targets)
    assert sorted(p.id for p in pending_interrupts(graph, thread)) == still
    assert sorted(i.id for i in out.interrupts) == still
    return True, targets


@PROPERTY
@given(case=cases())
def test_resume_delivers_each_answer_once_or_changes_nothing(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig, case: tuple[list[Branch], Any]
) -> None:
    _run(checkpointer, config, case)


@PROPERTY
@given(case=valid_cases())
def test_valid_answers_to_any_subset_are_always_delivered(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig, case: tuple[list[Branch], Any]
) -> None:
    delivered, targets = _run(checkpointer, config, case)
    assert delivered
    assert targets is not None
    assert len(targets) == len(case[1][1])
