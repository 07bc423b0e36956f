"""Where an answer is matched to its interrupt and sent: `resume_command`, `resume`, `aresume`.

The matching rule. `answer` is read as a *mapping of answers* (key -> answer) when it is a
`Mapping` and:

- it is empty (then it is refused: an empty resume would be ignored by LangGraph), or
- one of its keys is the id of a pending interrupt, or the tool call id of one, or
- every key has the shape of an interrupt id (32 lowercase hexadecimal characters).

Each key must then name a pending interrupt, by interrupt id or by tool call id. Anything
else is a *bare answer*, given to the one pending interrupt (several pending: refused).
Every answer is validated against the schema of the interrupt it answers before anything
is sent; on any refusal the thread is untouched.

Optimistic concurrency. `expect_checkpoint` holds the answer to the checkpoint the reviewer
saw. LangGraph keeps the checkpoint while some of a step's interrupts are answered, or
while a node asks its next question, so `expect_version` (`PendingInterrupt.version`: the
checkpoint id plus every pending interrupt id) is the strict form: any answer or new
question since is a `ResumeConflictError`. An answer keyed by interrupt id is safe
without either: an answered id is never pending again.

Sending. `resume` sends `Command(resume={interrupt_id: answer, ...})`, always keyed by
interrupt id, and asks LangGraph to check the ids again as it loads the thread, so an
answer that raced another reviewer's is refused (`ResumeConflictError`) rather than
delivered to whatever waits by then. When the run fails, every answer a task took but did
not finish with is taken back (`_rollback`), and `ResumeFailedError` says so.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar, cast

from langgraph.errors import UnknownInterruptError as LangGraphUnknownInterruptError
from langgraph.errors import is_invalid_resume
from langgraph.types import Command, GraphOutput
from pydantic import ValidationError

from . import _clock as clock
from ._deadline import (
    TIMEOUT_REVIEWER,
    TimeoutTooEarlyError,
    early_message,
    expired_refusal,
    is_timeout_answer,
)
from ._errors import (
    AmbiguousResumeError,
    FieldError,
    InvalidResumeError,
    NoPendingInterruptError,
    RequestExpiredError,
    ResumeConflictError,
    ResumeFailedError,
    UnknownInterruptError,
)
from ._pending import PendingInterrupt, Wait, aread_wait, latest, read_wait, version_of
from ._rollback import atake_back, take_back
from ._validation import validate_answer

if TYPE_CHECKING:
    from langchain_core.runnables import RunnableConfig
    from langgraph._internal._typing import StateLike
    from langgraph.pregel import Pregel

_STRICT: str | None
try:  # Private in LangGraph: the flag its server sets to check resume ids as it loads.
    from langgraph._internal._constants import CONFIG_KEY_STRICT_RESUME as _STRICT
except ImportError:  # pragma: no cover - older or newer LangGraph: client checks only
    _STRICT = None

__all__ = ["aresume", "build_command", "resume", "resume_command"]

OutputT = TypeVar("OutputT", bound="StateLike")

_INTERRUPT_ID = re.compile(r"[0-9a-f]{32}")


def _describe(pending: Sequence[PendingInterrupt]) -> str:
    return ", ".join(
        f"{p.id!r}"
        + (f" (tool call {p.tool_call_id!r})" if p.tool_call_id else "")
        + (f" in {'/'.join(p.path)}" if p.path else "")
        for p in pending
    )


def is_mapping_of_answers(answer: object, pending: Sequence[PendingInterrupt]) -> bool:
    """Whether `answer` is read as `{interrupt id or tool call id: answer}` (module rule)."""
    if not isinstance(answer, Mapping):
        return False
    if not answer:
        return True
    keys = {p.id for p in pending} | {p.tool_call_id for p in pending if p.tool_call_id}
    if any(isinstance(key, str) and key in keys for key in answer):
        return True
    return all(isinstance(key, str) and _INTERRUPT_ID.fullmatch(key) for key in answer)


def _targets(pending: Sequence[PendingInterrupt]) -> dict[str, list[PendingInterrupt]]:
    """What each key may name: an interrupt id one interrupt, a tool call id one or more."""
    by_call: dict[str, list[PendingInterrupt]] = {}
    for p in pending:
        if p.tool_call_id:
            by_call.setdefault(p.tool_call_id, []).append(p)
    # An interrupt id wins over an equal tool call id: it is the exact name.
    return {**by_call, **{p.id: [p] for p in pending}}


def _match(answer: object, pending: Sequence[PendingInterrupt]) -> dict[str, object]:
    """Pair every answer with the id of the pending interrupt it answers."""
    if not is_mapping_of_answers(answer, pending):
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
    by_key = _targets(pending)
    unknown = [key for key in answer if not (isinstance(key, str) and key in by_key)]
    if unknown:
        raise UnknownInterruptError(
            f"No pending interrupt has the id or tool call id {sorted(map(str, unknown))}: "
            "it was already answered, belongs to another thread or checkpoint, or is made "
            f"up. Nothing was sent. Pending: {_describe(pending)}.",
            unknown=[str(key) for key in unknown],
            pending=[p.id for p in pending],
        )
    matched: dict[str, object] = {}
    for key, value in answer.items():
        targets = by_key[key]
        if len(targets) > 1:
            raise AmbiguousResumeError(
                f"Tool call id {key!r} names {len(targets)} pending interrupts "
                f"({_describe(targets)}); answer each by its interrupt id."
            )
        target = targets[0]
        if target.id in matched:
            raise InvalidResumeError(
                f"Interrupt {target.id!r} is answered twice (by {key!r} and by another key "
                "naming the same interrupt); give one answer per interrupt.",
                interrupt_id=target.id,
            )
        matched[target.id] = value
    return matched


def _check_expectations(
    pending: Sequence[PendingInterrupt],
    *,
    expect_checkpoint: str | None,
    expect_version: str | None,
    checkpoint_id: str | None,
) -> None:
    if expect_checkpoint is None and expect_version is None:
        return
    if not pending:
        if expect_version is None and checkpoint_id == expect_checkpoint is not None:
            return  # same checkpoint, and it waits for nothing: NoPendingInterruptError
        raise ResumeConflictError(
            "The thread moved on since the request was read: it no longer waits for any "
            "answer (someone else answered it, or the graph ran). Nothing was sent."
        )
    current = pending[0].checkpoint_id
    if expect_checkpoint is not None and current != expect_checkpoint:
        raise ResumeConflictError(
            f"The thread moved on since the request was read: it was at checkpoint "
            f"{expect_checkpoint!r} and is now at {current!r} (someone else answered, or "
            "the graph ran). Nothing was sent; read `pending_interrupts` again."
        )
    if expect_version is not None:
        now = version_of(current, [p.id for p in pending])
        if now != expect_version:
            raise ResumeConflictError(
                f"The thread moved on since the request was read: version {expect_version!r} "
                f"is now {now!r} (an interrupt was answered or a new one raised since). "
                f"Nothing was sent; pending now: {_describe(pending)}."
            )


def _command(
    pending: Sequence[PendingInterrupt],
    answer: object,
    *,
    expect_checkpoint: str | None,
    expect_version: str | None,
    checkpoint_id: str | None = None,
    waiting_nodes: Sequence[str] = (),
) -> Command[Any]:
    _check_expectations(
        pending,
        expect_checkpoint=expect_checkpoint,
        expect_version=expect_version,
        checkpoint_id=checkpoint_id,
    )
    if not pending:
        paused = (
            f" It is paused before {list(waiting_nodes)} by a breakpoint (interrupt_before/"
            "interrupt_after), which takes no answer: continue it with "
            "`graph.invoke(None, config)`."
            if waiting_nodes
            else ""
        )
        raise NoPendingInterruptError(
            "The thread waits for no human answer, so there is nothing to resume (LangGraph "
            f"would silently do nothing).{paused} Check `pending_interrupts(graph, config)` "
            "first, or start a new run with `graph.invoke(input, config)`."
        )
    by_id = {p.id: p for p in pending}
    resume = {
        interrupt_id: validate_answer(
            value, by_id[interrupt_id].response_schema, interrupt_id=interrupt_id
        )
        for interrupt_id, value in _match(answer, pending).items()
    }
    _check_deadlines([by_id[i] for i in resume], resume)
    return Command(resume=resume)


def _check_deadlines(answered: Sequence[PendingInterrupt], resume: dict[str, object]) -> None:
    """Refuse, before sending, what the deadline rules refuse (see `_deadline`).

    A human answer to a request whose deadline passed, and a decision as the system
    (`TIMEOUT_REVIEWER`) before it.
    """
    moment = clock.now()
    for p in answered:
        if p.expires_at is None:
            continue
        if moment < p.expires_at:
            sent = resume[p.id]
            if isinstance(sent, Mapping) and sent.get("reviewer") == TIMEOUT_REVIEWER:
                raise TimeoutTooEarlyError(
                    f"Request {p.id!r}{f' on thread {p.thread_id!r}' if p.thread_id else ''}: "
                    f"{early_message(p.expires_at)} Nothing was sent.",
                    interrupt_id=p.id,
                )
            continue
        expected = p.value.get("on_timeout") if isinstance(p.value, dict) else None
        if not is_timeout_answer(resume[p.id], expected):
            raise RequestExpiredError(
                f"Request {p.id!r}{f' on thread {p.thread_id!r}' if p.thread_id else ''} "
                f"expired at {p.expires_at.isoformat()}: a human answer is no longer "
                f"accepted. Its on_timeout answer {expected!r} applies (`Inbox.expire()` "
                "sends it). Nothing was sent."
            )


def build_command(
    pending: Sequence[PendingInterrupt],
    answer: object,
    *,
    expect_checkpoint: str | None = None,
    expect_version: str | None = None,
) -> Command[Any]:
    """The validated `Command(resume={interrupt_id: answer})` for these pending interrupts."""
    return _command(
        pending, answer, expect_checkpoint=expect_checkpoint, expect_version=expect_version
    )


def _command_for(
    wait: Wait, answer: object, *, expect_checkpoint: str | None, expect_version: str | None
) -> Command[Any]:
    return _command(
        wait.pending,
        answer,
        expect_checkpoint=expect_checkpoint,
        expect_version=expect_version,
        checkpoint_id=wait.checkpoint_id,
        waiting_nodes=wait.next,
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

    The Command is only built, not sent: prefer `resume`, which also refuses an answer
    that raced another one and takes back an answer the graph failed on.

    Args:
        graph: Any compiled LangGraph graph with a checkpointer.
        config: The thread's config (`{"configurable": {"thread_id": ...}}`).
        answer: A bare answer (one interrupt pending), or a mapping from interrupt id or
            tool call id to answer (see the module docstring for the exact rule).
        expect_checkpoint: The `PendingInterrupt.checkpoint_id` the answer was made for;
            when the thread is at another checkpoint now, `ResumeConflictError` is raised.
        expect_version: The `PendingInterrupt.version` the answer was made for; when the
            thread moved on in any way since (another checkpoint, or an interrupt answered
            or raised at the same checkpoint), `ResumeConflictError` is raised.

    Raises:
        NoPendingInterruptError, UnknownInterruptError, AmbiguousResumeError,
        InvalidResumeError, ResumeConflictError, CheckpointerRequiredError.
    """
    return _command_for(
        read_wait(graph, config),
        answer,
        expect_checkpoint=expect_checkpoint,
        expect_version=expect_version,
    )


def _invalid(
    exc: ValidationError, *, interrupt_id: str | None = None, delivered: Sequence[str] = ()
) -> InvalidResumeError:
    errors = [
        FieldError(loc=tuple(e["loc"]), message=e["msg"]) for e in exc.errors(include_url=False)
    ]
    target = f" to interrupt {interrupt_id!r}" if interrupt_id else ""
    used = f" The answers to {list(delivered)} were used." if delivered else ""
    return InvalidResumeError(
        f"The graph refused the answer{target}: {'; '.join(map(str, errors))}. Nothing of "
        f"it was saved; the request is still pending.{used}",
        errors=errors,
        interrupt_id=interrupt_id,
    )


def _strict(config: RunnableConfig) -> RunnableConfig:
    config = latest(config)
    if _STRICT is None:
        return config
    return {**config, "configurable": {**config.get("configurable", {}), _STRICT: True}}


def _conflict(exc: LangGraphUnknownInterruptError) -> ResumeConflictError:
    return ResumeConflictError(
        "The thread moved on between reading its pending interrupts and sending the answer "
        f"(another reviewer answered first): LangGraph refused it ({exc}). Nothing was "
        "sent; read `pending_interrupts` again."
    )


def _failure(
    exc: Exception, wait: Wait, sent: Sequence[str], taken: Sequence[str], after: Wait
) -> Exception | None:
    """The error to raise for a run that failed, or None to re-raise the graph's own."""
    still = {p.id for p in after.pending}
    delivered = [i for i in sent if i not in still]
    if isinstance(exc, ValidationError) and is_invalid_resume(exc):
        refused = [i for i in sent if i in still and wait.tasks.get(i) is not None]
        late = expired_refusal(exc)
        if late is not None:
            # The deadline passed between the check before sending and the graph's own.
            return RequestExpiredError(
                f"The graph refused the answer: {late} Nothing of it was saved; the "
                "request is still pending."
            )
        return _invalid(
            exc, interrupt_id=refused[0] if len(refused) == 1 else None, delivered=delivered
        )
    if not taken:
        return None
    used = f" The answers to {delivered} were used by nodes that finished." if delivered else ""
    return ResumeFailedError(
        f"The graph failed while using the answer(s) to {list(taken)}: {exc!r}. The "
        f"answer(s) were taken back, so the thread still waits for them (same checkpoint, "
        f"same interrupt ids): correct the answer, or fix the node, and resume again.{used}",
        taken_back=taken,
        delivered=delivered,
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
    """Validate `answer` like `resume_command`, then run the graph with it.

    Runs from the thread's latest checkpoint (a `checkpoint_id` in `config` is ignored).
    A task that holds an answer from an earlier failed run gets the new answer instead.

    Returns:
        LangGraph's typed `GraphOutput`: `.value` is the graph's output and `.interrupts`
        what it waits for next (empty when it finished).

    Raises:
        ResumeFailedError: The graph failed while using an answer; it was taken back.
        NoPendingInterruptError, UnknownInterruptError, AmbiguousResumeError,
        InvalidResumeError, ResumeConflictError, CheckpointerRequiredError: as
            `resume_command`; nothing was sent.
    """
    wait = read_wait(graph, config)
    command = _command_for(
        wait, answer, expect_checkpoint=expect_checkpoint, expect_version=expect_version
    )
    return send(graph, config, wait, command, **invoke_kwargs)


def send(
    graph: Pregel[Any, Any, Any, OutputT],
    config: RunnableConfig,
    wait: Wait,
    command: Command[Any],
    **invoke_kwargs: Any,
) -> GraphOutput[OutputT]:
    """Send a validated `command` built from `wait`; take back what a failed run used."""
    saver: Any = graph.checkpointer
    sent = list(command.resume) if isinstance(command.resume, dict) else []
    repair = [i for i in sent if i in wait.tasks and wait.tasks[i].failed]
    if repair:
        # An earlier run failed on a saved answer: replace it, or LangGraph replays it.
        take_back(saver, wait.tasks, repair)
    try:
        output = graph.invoke(command, _strict(config), version="v2", **invoke_kwargs)
    except LangGraphUnknownInterruptError as exc:
        raise _conflict(exc) from exc
    except Exception as exc:
        taken = take_back(saver, wait.tasks, sent)
        error = _failure(exc, wait, sent, taken, read_wait(graph, config))
        if error is None:
            raise
        raise error from exc
    # `**invoke_kwargs` hides from mypy which `invoke` overload applies: `version="v2"` does.
    return cast("GraphOutput[OutputT]", output)


async def aresume(
    graph: Pregel[Any, Any, Any, OutputT],
    config: RunnableConfig,
    answer: object,
    *,
    expect_checkpoint: str | None = None,
    expect_version: str | None = None,
    **invoke_kwargs: Any,
) -> GraphOutput[OutputT]:
    """Async twin of `resume`."""
    wait = await aread_wait(graph, config)
    command = _command_for(
        wait, answer, expect_checkpoint=expect_checkpoint, expect_version=expect_version
    )
    return await asend(graph, config, wait, command, **invoke_kwargs)


async def asend(
    graph: Pregel[Any, Any, Any, OutputT],
    config: RunnableConfig,
    wait: Wait,
    command: Command[Any],
    **invoke_kwargs: Any,
) -> GraphOutput[OutputT]:
    """Async twin of `send`."""
    saver: Any = graph.checkpointer
    sent = list(command.resume) if isinstance(command.resume, dict) else []
    repair = [i for i in sent if i in wait.tasks and wait.tasks[i].failed]
    if repair:
        await atake_back(saver, wait.tasks, repair)
    try:
        output = await graph.ainvoke(command, _strict(config), version="v2", **invoke_kwargs)
    except LangGraphUnknownInterruptError as exc:
        raise _conflict(exc) from exc
    except Exception as exc:
        taken = await atake_back(saver, wait.tasks, sent)
        error = _failure(exc, wait, sent, taken, await aread_wait(graph, config))
        if error is None:
            raise
        raise error from exc
    # `**invoke_kwargs` hides from mypy which `invoke` overload applies: `version="v2"` does.
    return cast("GraphOutput[OutputT]", output)
