"""Answering what waits on a thread: `resume`, `aresume`, `resume_command`, `aresume_command`.

How an answer is matched to its interrupt and checked is `_match`'s rule (a bare answer,
or a mapping keyed by interrupt id or tool call id; each answer validated against its
interrupt's schema). How it is sent is `_send`'s guarded path, the same for `resume`,
`aresume` and the inbox: the thread is claimed in the checkpointer's database (in-memory
savers: per saver instance), re-checked under the claim, and only then run. Two processes
answering one request therefore never both run it: one answer applies, the other gets
`ResumeConflictError` (or `UnknownInterruptError` once the first finished).

Optimistic concurrency. `expect_checkpoint` holds the answer to the checkpoint the reviewer
saw. LangGraph keeps the checkpoint while some of a step's interrupts are answered, or
while a node asks its next question, so `expect_version` (`PendingInterrupt.version`: the
checkpoint id plus every pending interrupt id) is the strict form: any answer or new
question since is a `ResumeConflictError`.

`resume_command` only builds the `Command`: the caller's own `graph.invoke` gets none of
the guards (no claim, no re-check, no take-back of an answer a node failed on).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from ..core._pending import aread_wait, read_wait
from ._match import build_command, command_for
from ._send import DEFAULT_LEASE, answer_plan, arun, run, send_plan

if TYPE_CHECKING:
    from langchain_core.runnables import RunnableConfig
    from langgraph.pregel import Pregel
    from langgraph.types import Command, GraphOutput

    from ..core._compat import StateLike
    from ..core._pending import Wait
    from ._effects import Plan

__all__ = [
    "aresume",
    "aresume_command",
    "asend",
    "build_command",
    "resume",
    "resume_command",
    "send",
]

OutputT = TypeVar("OutputT", bound="StateLike")


def _plain(
    config: RunnableConfig,
    answer: object,
    expect_checkpoint: str | None,
    expect_version: str | None,
    invoke_kwargs: dict[str, Any],
) -> Plan:
    """The plan of plain `resume` / `aresume`: no deadline refusal, the default lease."""
    return answer_plan(
        config,
        answer,
        expect_checkpoint=expect_checkpoint,
        expect_version=expect_version,
        refuse_late=False,
        lease=DEFAULT_LEASE,
        invoke_kwargs=invoke_kwargs,
    )


def resume_command(
    graph: Pregel[Any, Any, Any, Any],
    config: RunnableConfig,
    answer: object,
    *,
    expect_checkpoint: str | None = None,
    expect_version: str | None = None,
) -> Command[Any]:
    """Validate `answer` against the interrupt(s) pending on the thread; return the Command.

    The Command is only built, not sent, and nothing guards the `graph.invoke` you send
    it with: no claim (two processes sending it both run the graph), no re-check that the
    thread still waits for it, no take-back of an answer a node fails on, no cleanup of a
    refused raw `Command` LangGraph kept. Prefer `resume`, which does all of that.

    Args:
        graph: Any compiled LangGraph graph with a checkpointer.
        config: The thread's config (`{"configurable": {"thread_id": ...}}`).
        answer: A bare answer (one interrupt pending), or a mapping from interrupt id or
            tool call id to answer (see `_match` for the exact rule).
        expect_checkpoint: The `PendingInterrupt.checkpoint_id` the answer was made for;
            when the thread is at another checkpoint now, `ResumeConflictError` is raised.
        expect_version: The `PendingInterrupt.version` the answer was made for; when the
            thread moved on in any way since (another checkpoint, or an interrupt answered
            or raised at the same checkpoint), `ResumeConflictError` is raised.

    Raises:
        NoPendingInterruptError, UnknownInterruptError, AmbiguousResumeError,
        InvalidResumeError, ResumeConflictError, CheckpointerRequiredError.
    """
    return command_for(
        read_wait(graph, config),
        answer,
        expect_checkpoint=expect_checkpoint,
        expect_version=expect_version,
    )


async def aresume_command(
    graph: Pregel[Any, Any, Any, Any],
    config: RunnableConfig,
    answer: object,
    *,
    expect_checkpoint: str | None = None,
    expect_version: str | None = None,
) -> Command[Any]:
    """Async twin of `resume_command`, for async checkpointers (e.g. `AsyncSqliteSaver`).

    As unguarded as `resume_command`: prefer `aresume`.
    """
    return command_for(
        await aread_wait(graph, config),
        answer,
        expect_checkpoint=expect_checkpoint,
        expect_version=expect_version,
    )


def resume(
    graph: Pregel[Any, Any, Any, OutputT],
    config: RunnableConfig,
    answer: object,
    *,
    expect_checkpoint: str | None = None,
    expect_version: str | None = None,
    **invoke_kwargs: Any,
) -> GraphOutput[OutputT]:
    """Validate `answer` like `resume_command`, then run the graph with it, guarded.

    Runs from the thread's latest checkpoint (a `checkpoint_id` in `config` is ignored).
    The thread is claimed first, for as long as the answer runs (renewed every 20 s,
    lapsing a minute after a process that died), so one answer runs on a thread at a
    time, across processes on a SQLite file or PostgreSQL. A task that holds an answer
    from an earlier failed run gets the new answer instead.

    Returns:
        LangGraph's typed `GraphOutput`: `.value` is the graph's output and `.interrupts`
        what it waits for next (empty when it finished).

    Raises:
        ResumeConflictError: Another answer is running on the thread, or the thread moved
            on since it was read (for an answer keyed by id: since it was read here).
        ResumeFailedError: The graph failed while using an answer; it was taken back.
        NoPendingInterruptError, UnknownInterruptError, AmbiguousResumeError,
        InvalidResumeError, CheckpointerRequiredError: as `resume_command`; nothing was
            sent.
    """
    plan = _plain(config, answer, expect_checkpoint, expect_version, invoke_kwargs)
    return run(graph, plan)


async def aresume(
    graph: Pregel[Any, Any, Any, OutputT],
    config: RunnableConfig,
    answer: object,
    *,
    expect_checkpoint: str | None = None,
    expect_version: str | None = None,
    **invoke_kwargs: Any,
) -> GraphOutput[OutputT]:
    """Async twin of `resume`, with the same guards."""
    plan = _plain(config, answer, expect_checkpoint, expect_version, invoke_kwargs)
    return await arun(graph, plan)


def send(
    graph: Pregel[Any, Any, Any, OutputT],
    config: RunnableConfig,
    wait: Wait,
    command: Command[Any],
    **invoke_kwargs: Any,
) -> GraphOutput[OutputT]:
    """Send a validated `command` built from `wait`, unclaimed; take back what a failed run used."""
    return run(graph, send_plan(config, wait, command, invoke_kwargs))


async def asend(
    graph: Pregel[Any, Any, Any, OutputT],
    config: RunnableConfig,
    wait: Wait,
    command: Command[Any],
    **invoke_kwargs: Any,
) -> GraphOutput[OutputT]:
    """Async twin of `send`."""
    return await arun(graph, send_plan(config, wait, command, invoke_kwargs))
