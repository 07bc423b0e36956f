"""Where an answer is matched to its interrupt and checked, before anything is sent.

The matching rule. `answer` is read as a *mapping of answers* (key -> answer) when it is a
`Mapping` and:

- it is empty (then it is refused: an empty resume would be ignored by LangGraph), or
- one of its keys is the id of a pending interrupt, or the tool call id of one, or
- every key has the shape of an interrupt id (32 lowercase hexadecimal characters).

Each key must then name a pending interrupt, by interrupt id or by tool call id. Anything
else is a *bare answer*, given to the one pending interrupt (several pending: refused).
Every answer is validated against the schema of the interrupt it answers; expectations
(`expect_checkpoint`, `expect_version`) and deadlines are checked too. All of it is pure:
a function of what was read (`Wait`) and the answer.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from langgraph.types import Command

from ..core import _clock as clock
from ..core._errors import (
    AmbiguousResumeError,
    InvalidResumeError,
    NoPendingInterruptError,
    RequestExpiredError,
    ResumeConflictError,
    UnknownInterruptError,
)
from ..core._pending import PendingInterrupt, Wait, version_of
from ._deadline import TIMEOUT_REVIEWER, TimeoutTooEarlyError, early_message, is_timeout_answer
from ._validation import validate_answer

__all__ = ["build_command", "command_for", "is_mapping_of_answers", "prepare"]

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


def command_for(
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


def _expired_for_humans(wait: Wait, ids: Sequence[str]) -> None:
    """The inbox's rule: after the deadline, even the on_timeout answer is the system's."""
    now = clock.now()
    late = [
        p for p in wait.pending if p.id in ids and p.expires_at is not None and p.expires_at <= now
    ]
    if late:
        when = late[0].expires_at.isoformat() if late[0].expires_at else "?"
        raise RequestExpiredError(
            f"Request {late[0].id!r} on thread {late[0].thread_id!r} expired at "
            f"{when}; a human answer is no longer accepted. Its on_timeout answer "
            "applies instead: run `Inbox.expire()`. Nothing was sent."
        )


def prepare(
    wait: Wait,
    answer: object,
    *,
    expect_checkpoint: str | None,
    expect_version: str | None,
    refuse_late: bool,
) -> tuple[Command[Any], list[str]]:
    """The validated Command for `answer` and the interrupt ids it answers, or the refusal.

    Answers keyed by interrupt id to a thread that waits for nothing are refused as
    `UnknownInterruptError` naming those ids (they were answered, or never pending).
    `refuse_late` applies the inbox's rule for human answers after a deadline.
    """
    try:
        command = command_for(
            wait, answer, expect_checkpoint=expect_checkpoint, expect_version=expect_version
        )
    except NoPendingInterruptError as exc:
        if not (isinstance(answer, Mapping) and answer and is_mapping_of_answers(answer, [])):
            raise
        keys = [str(key) for key in answer]
        raise UnknownInterruptError(
            f"No pending interrupt has the id {keys}: the thread waits for no answer now "
            "(another reviewer answered first, or the graph ran). Nothing was sent.",
            unknown=keys,
            pending=[],
        ) from exc
    resume = command.resume
    ids = sorted(resume) if isinstance(resume, dict) else []
    if refuse_late:
        _expired_for_humans(wait, ids)
    return command, ids
