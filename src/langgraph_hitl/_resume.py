"""Where an answer is matched to its interrupt and sent: `resume_command`, `resume`, `aresume`.

The matching rule. `answer` is read as a *mapping of answers* (key -> answer) when it is a
`Mapping` and:

- it is empty (then it is refused: an empty resume would be ignored by LangGraph), or
- one of its keys is the id of a pending interrupt, or the tool call id of one, or
- every key has the shape of an interrupt id (32 hexadecimal characters).

Each key must then name a pending interrupt, by interrupt id or by tool call id. Anything
else is a *bare answer*, given to the one pending interrupt (several pending: refused).
Every answer is validated against the schema of the interrupt it answers before anything
is sent; on any refusal the thread is untouched.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from langchain_core.runnables import RunnableConfig
from langgraph.errors import is_invalid_resume
from langgraph.pregel import Pregel
from langgraph.types import Command, GraphOutput
from pydantic import ValidationError

from ._errors import (
    AmbiguousResumeError,
    FieldError,
    InvalidResumeError,
    NoPendingInterruptError,
    ResumeConflictError,
    UnknownInterruptError,
)
from ._pending import PendingInterrupt, apending_interrupts, pending_interrupts
from ._validation import validate_answer

__all__ = ["aresume", "build_command", "resume", "resume_command"]

OutputT = TypeVar("OutputT")

_INTERRUPT_ID = re.compile(r"^[0-9a-f]{32}$")


def _describe(pending: Sequence[PendingInterrupt]) -> str:
    return ", ".join(
        f"{p.id!r}" + (f" (tool call {p.tool_call_id!r})" if p.tool_call_id else "")
        + (f" in {'/'.join(p.path)}" if p.path else "")
        for p in pending
    )


def _is_mapping_of_answers(answer: object, pending: Sequence[PendingInterrupt]) -> bool:
    if not isinstance(answer, Mapping):
        return False
    if not answer:
        return True
    keys = {p.id for p in pending} | {p.tool_call_id for p in pending if p.tool_call_id}
    if any(isinstance(key, str) and key in keys for key in answer):
        return True
    return all(isinstance(key, str) and _INTERRUPT_ID.match(key) for key in answer)


def _match(answer: object, pending: Sequence[PendingInterrupt]) -> dict[str, object]:
    """Pair every answer with the id of the pending interrupt it answers."""
    if not _is_mapping_of_answers(answer, pending):
        if len(pending) > 1:
            raise AmbiguousResumeError(
                f"{len(pending)} interrupts are pending, so a bare answer cannot tell which "
                f"one it answers. Pass a mapping {{interrupt_id or tool_call_id: answer}}; "
                f"pending: {_describe(pending)}."
            )
        return {pending[0].id: answer}
    assert isinstance(answer, Mapping)
    if not answer:
        raise InvalidResumeError(
            "The answer is an empty mapping, which answers nothing (LangGraph would re-run "
            f"the waiting nodes and ask again). Pending: {_describe(pending)}; answer with "
            "{interrupt_id: answer}, or with a bare answer when one interrupt is pending."
        )
    by_key: dict[str, PendingInterrupt] = {}
    for p in pending:
        by_key[p.id] = p
        if p.tool_call_id:
            by_key.setdefault(p.tool_call_id, p)
    matched: dict[str, object] = {}
    unknown = [key for key in answer if not (isinstance(key, str) and key in by_key)]
    if unknown:
        raise UnknownInterruptError(
            f"No pending interrupt has the id or tool call id {sorted(map(str, unknown))}: "
            "it was already answered, belongs to another thread or checkpoint, or is made "
            f"up. Nothing was sent. Pending: {_describe(pending)}.",
            unknown=[str(key) for key in unknown],
            pending=[p.id for p in pending],
        )
    for key, value in answer.items():
        target = by_key[key]
        if target.id in matched:
            raise InvalidResumeError(
                f"Interrupt {target.id!r} is answered twice (by {key!r} and by another key "
                "naming the same interrupt); give one answer per interrupt.",
                interrupt_id=target.id,
            )
        matched[target.id] = value
    return matched


def build_command(
    pending: Sequence[PendingInterrupt],
    answer: object,
    *,
    expect_checkpoint: str | None = None,
) -> Command[Any]:
    """The validated `Command(resume={interrupt_id: answer})` for these pending interrupts."""
    if not pending:
        raise NoPendingInterruptError(
            "The thread waits for no human answer, so there is nothing to resume (LangGraph "
            "would silently do nothing). Check `pending_interrupts(graph, config)` first, "
            "or start a new run with `graph.invoke(input, config)`."
        )
    current = pending[0].checkpoint_id
    if expect_checkpoint is not None and current != expect_checkpoint:
        raise ResumeConflictError(
            f"The thread moved on since the request was read: it was at checkpoint "
            f"{expect_checkpoint!r} and is now at {current!r} (someone else answered, or "
            "the graph ran). Nothing was sent; read `pending_interrupts` again."
        )
    by_id = {p.id: p for p in pending}
    resume = {
        interrupt_id: validate_answer(
            value, by_id[interrupt_id].response_schema, interrupt_id=interrupt_id
        )
        for interrupt_id, value in _match(answer, pending).items()
    }
    return Command(resume=resume)


def resume_command(
    graph: Pregel[Any, Any, Any, Any],
    config: RunnableConfig,
    answer: object,
    *,
    expect_checkpoint: str | None = None,
) -> Command[Any]:
    """Validate `answer` against the interrupt(s) pending on the thread; return the Command.

    Args:
        graph: Any compiled LangGraph graph with a checkpointer.
        config: The thread's config (`{"configurable": {"thread_id": ...}}`).
        answer: A bare answer (one interrupt pending), or a mapping from interrupt id or
            tool call id to answer (see the module docstring for the exact rule).
        expect_checkpoint: The `PendingInterrupt.checkpoint_id` the answer was made for;
            when the thread has moved on since, `ResumeConflictError` is raised.

    Raises:
        NoPendingInterruptError, UnknownInterruptError, AmbiguousResumeError,
        InvalidResumeError, ResumeConflictError, CheckpointerRequiredError.
    """
    return build_command(
        pending_interrupts(graph, config), answer, expect_checkpoint=expect_checkpoint
    )


def _invalid(exc: ValidationError) -> InvalidResumeError:
    errors = [
        FieldError(loc=tuple(e["loc"]), message=e["msg"]) for e in exc.errors(include_url=False)
    ]
    return InvalidResumeError(
        f"The graph refused the answer: {'; '.join(map(str, errors))}. Nothing was saved; "
        "the request is still pending.",
        errors=errors,
    )


def resume(
    graph: Pregel[Any, Any, Any, OutputT],
    config: RunnableConfig,
    answer: object,
    *,
    expect_checkpoint: str | None = None,
    **invoke_kwargs: Any,
) -> GraphOutput[OutputT]:
    """Validate `answer` like `resume_command`, then run the graph with it.

    Returns LangGraph's typed `GraphOutput`: `.value` is the graph's output and
    `.interrupts` what it waits for next (empty when it finished).
    """
    command = resume_command(graph, config, answer, expect_checkpoint=expect_checkpoint)
    try:
        return graph.invoke(command, config, version="v2", **invoke_kwargs)
    except ValidationError as exc:
        if is_invalid_resume(exc):
            raise _invalid(exc) from exc
        raise


async def aresume(
    graph: Pregel[Any, Any, Any, OutputT],
    config: RunnableConfig,
    answer: object,
    *,
    expect_checkpoint: str | None = None,
    **invoke_kwargs: Any,
) -> GraphOutput[OutputT]:
    """Async twin of `resume`."""
    pending = await apending_interrupts(graph, config)
    command = build_command(pending, answer, expect_checkpoint=expect_checkpoint)
    try:
        return await graph.ainvoke(command, config, version="v2", **invoke_kwargs)
    except ValidationError as exc:
        if is_invalid_resume(exc):
            raise _invalid(exc) from exc
        raise
