"""The one guarded answer path: read, check, claim, re-check, send.

`resume`, `aresume`, `Inbox.resume`, `Inbox.aresume` and `Inbox.expire` (so the terminal
and web reviewers too) answer through `answer_plan`. The plan is written once, as a
generator over plain data: it yields *effects* (`_effects`: read the thread, claim it,
invoke the graph, ...) and gets their results back. Two thin drivers carry the effects
out through the shared plan drivers (`core._plan`), one with sync calls (`run`), one with
awaits (`arun`); neither decides anything.

The steps. Read what waits and check the answer against it (`_match.prepare`: a bare answer
is bound to the interrupt pending *now*). Claim the thread (`_claims`, renewed by `_lease`);
a thread another answer holds is a `ResumeConflictError`. Re-check, under the claim, that
the thread still waits at the same checkpoint for what was answered (for `expect_version`:
for everything it waited for). Neutralize a stale bare answer LangGraph saved from an
earlier refused `Command(resume=...)`. Make sure the claim is still held (the fence: when a
renewal failed or the lease runs short, ask the store). Then invoke the graph, asking
LangGraph to check the ids again as it loads the thread; when the run fails, take back every
answer a task took but did not finish with (`_rollback`). The claim is released whatever
happens.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Generator, Sequence
from typing import TYPE_CHECKING, Any

from langgraph.errors import UnknownInterruptError as LangGraphUnknownInterruptError
from langgraph.errors import is_invalid_resume
from langgraph.types import Command, Interrupt
from pydantic import ValidationError

from ..core import _clock as clock
from ..core._compat import CONTROL_CHANNELS as CONTROL
from ..core._compat import INTERRUPT, NULL_TASK_ID, RESUME, STRICT_RESUME_KEY
from ..core._errors import (
    FieldError,
    InvalidResumeError,
    RequestExpiredError,
    ResumeConflictError,
    ResumeFailedError,
)
from ..core._pending import aread_wait, latest, read_wait, saver_of
from ..core._plan import adrive, drive
from ..store._backends import async_backend_for, backend_for
from ..store._lease import Heartbeat, Lease, arenew_forever
from ._deadline import expired_refusal
from ._effects import Beat, Claim, Effect, Invoke, Load, Plan, Read, Renew, Unclaim, Write
from ._match import prepare
from ._rollback import take_back

if TYPE_CHECKING:
    from langchain_core.runnables import RunnableConfig
    from langgraph.checkpoint.base import CheckpointTuple
    from langgraph.pregel import Pregel
    from langgraph.types import GraphOutput

    from ..core._pending import Wait
    from ..store._claims import AsyncClaims, Claims


__all__ = ["DEFAULT_LEASE", "NULL_TASK_ID", "answer_plan", "arun", "run", "send_plan"]

logger = logging.getLogger("langgraph_hitl")

DEFAULT_LEASE = 60.0
"""Seconds a claim of plain `resume()` lasts without renewal (`Inbox(lease=...)` chooses)."""


# -- the plan -------------------------------------------------------------------------------


def answer_plan(
    config: RunnableConfig,
    answer: object,
    *,
    expect_checkpoint: str | None,
    expect_version: str | None,
    refuse_late: bool,
    lease: float,
    invoke_kwargs: dict[str, Any],
) -> Plan:
    """Answer what waits on the thread of `config`, guarded (see the module docstring)."""
    config = latest(config)
    wait: Wait = yield Read(config)
    command, ids = prepare(
        wait,
        answer,
        expect_checkpoint=expect_checkpoint,
        expect_version=expect_version,
        refuse_late=refuse_late,
    )
    thread_id = str(config.get("configurable", {}).get("thread_id"))
    owner = uuid.uuid4().hex
    until: float | None = yield Claim(thread_id, owner, lease)
    if until is None:
        raise ResumeConflictError(
            f"Another reviewer is answering on thread {thread_id!r} right now (in this or "
            f"another process), so this answer to {ids} was not sent. Read the pending "
            f"requests again in a moment (a claim lasts at most {lease:g} s after the "
            "process holding it stops)."
        )
    held = Lease(thread_id, owner, lease, until)
    yield Beat(held)
    try:
        saved: CheckpointTuple | None = yield Load(config)
        _check_still(wait, ids, saved, whole=expect_version is not None, thread_id=thread_id)
        assert saved is not None  # `_check_still` refuses a thread without checkpoint
        if _stale_resume(saved):
            # A bare `Command(resume=...)` that was refused stays saved as the step's input;
            # LangGraph would give it to the next question the node asks. `None` is its
            # "no answer".
            yield Write(saved.config, [(RESUME, None)], NULL_TASK_ID)
        output = yield from send_plan(config, wait, command, invoke_kwargs, lease=held)
        return output
    finally:
        yield Unclaim(held)


def pending_ids(saved: CheckpointTuple | None) -> set[str]:
    """The interrupt ids that wait at a checkpoint, read from its pending writes.

    LangGraph's rule (`langgraph.pregel._task_status`): an interrupt write of a task that
    has no output write beside it.
    """
    if saved is None:
        return set()
    writes = saved.pending_writes or []
    finished = {t for t, channel, _ in writes if channel not in CONTROL and t != NULL_TASK_ID}
    return {
        item.id
        for task_id, channel, value in writes
        if channel == INTERRUPT and task_id not in finished
        for item in (value if isinstance(value, Sequence) else [value])
        if isinstance(item, Interrupt)
    }


def _check_still(
    wait: Wait,
    ids: Sequence[str],
    saved: CheckpointTuple | None,
    *,
    whole: bool,
    thread_id: str,
) -> None:
    """Refuse unless the thread waits, as read, for what is answered (`whole`: for all)."""
    checkpoint = None if saved is None else saved.config["configurable"].get("checkpoint_id")
    needed = {p.id for p in wait.pending} if whole else set(ids)
    if checkpoint != wait.checkpoint_id or not needed <= pending_ids(saved):
        raise ResumeConflictError(
            f"Thread {thread_id!r} moved on while this answer was being claimed (another "
            "reviewer answered first, or the graph ran). Nothing was sent; read the pending "
            "requests again."
        )


def _stale_resume(saved: CheckpointTuple) -> bool:
    return any(
        task_id == NULL_TASK_ID and channel == RESUME and value is not None
        for task_id, channel, value in saved.pending_writes or []
    )


def _fence(lease: Lease) -> Generator[Effect, Any, None]:
    """Make sure the claim is still held right before the graph runs."""
    if not lease.lost and not lease.failed and clock.timestamp() < lease.until - lease.every:
        return  # renewed on time: nobody can have taken it over since
    if not lease.lost:
        until: float | None = yield Renew(lease)
        lease.renewed(until)
    if lease.lost:
        raise ResumeConflictError(
            f"The claim on thread {lease.thread_id!r} was lost before the answer was sent "
            "(its lease ran out and could not be renewed), so another process may be "
            "answering it. Nothing was sent; read the pending requests again."
        )


def send_plan(
    config: RunnableConfig,
    wait: Wait,
    command: Command[Any],
    invoke_kwargs: dict[str, Any],
    *,
    lease: Lease | None = None,
) -> Plan:
    """Send a validated `command` built from `wait`; take back what a failed run used."""
    sent = list(command.resume) if isinstance(command.resume, dict) else []
    repair = [i for i in sent if i in wait.tasks and wait.tasks[i].failed]
    if repair:
        # An earlier run failed on a saved answer: replace it, or LangGraph replays it.
        yield from take_back(wait.tasks, repair)
    if lease is not None:
        yield from _fence(lease)
    try:
        output: GraphOutput[Any] = yield Invoke(command, _strict(config), invoke_kwargs)
    except LangGraphUnknownInterruptError as exc:
        raise _conflict(exc) from exc
    except Exception as exc:
        taken = yield from take_back(wait.tasks, sent)
        after: Wait = yield Read(config)
        error = _failure(exc, wait, sent, taken, after)
        if error is None:
            raise
        raise error from exc
    return output


def _strict(config: RunnableConfig) -> RunnableConfig:
    config = latest(config)
    configurable = {**config.get("configurable", {}), STRICT_RESUME_KEY: True}
    return {**config, "configurable": configurable}


def _conflict(exc: LangGraphUnknownInterruptError) -> ResumeConflictError:
    return ResumeConflictError(
        "The thread moved on between reading its pending interrupts and sending the answer "
        f"(another reviewer answered first): LangGraph refused it ({exc}). Nothing was "
        "sent; read `pending_interrupts` again."
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


# -- the drivers ----------------------------------------------------------------------------


def _release_failed(lease: Lease, exc: Exception) -> None:
    logger.warning(
        "Could not release the claim on thread %r (owner %s): %r. It lapses with its lease.",
        lease.thread_id,
        lease.owner,
        exc,
        exc_info=exc,
    )


class _Sync:
    """Carries out effects with sync calls."""

    def __init__(self, graph: Pregel[Any, Any, Any, Any]) -> None:
        self.graph = graph
        self.saver = saver_of(graph)
        self._claims: Claims | None = None

    @property
    def claims(self) -> Claims:
        if self._claims is None:
            backend = backend_for(self.saver)
            backend.setup_claims()
            self._claims = backend.claims
        return self._claims

    def do(self, effect: Effect) -> object:
        if isinstance(effect, Read):
            return read_wait(self.graph, effect.config)
        if isinstance(effect, Load):
            return self.saver.get_tuple(effect.config)
        if isinstance(effect, Invoke):
            return self.graph.invoke(effect.command, effect.config, version="v2", **effect.kwargs)
        if isinstance(effect, Write):
            self.saver.put_writes(effect.config, effect.writes, effect.task_id)
            return None
        if isinstance(effect, Claim):
            return self.claims.claim(effect.thread_id, effect.owner, effect.seconds)
        if isinstance(effect, Renew):
            lease = effect.lease
            return self.claims.renew(lease.thread_id, lease.owner, lease.seconds)
        if isinstance(effect, Beat):
            Heartbeat.shared().add(self.claims, effect.lease)
            return None
        assert isinstance(effect, Unclaim)
        Heartbeat.shared().remove(effect.lease)
        try:
            self.claims.release(effect.lease.thread_id, effect.lease.owner)
        except Exception as exc:
            _release_failed(effect.lease, exc)
        return None


class _Async:
    """Carries out effects with awaits."""

    def __init__(self, graph: Pregel[Any, Any, Any, Any]) -> None:
        self.graph = graph
        self.saver = saver_of(graph)
        self._claims: AsyncClaims | None = None
        self._heartbeat: asyncio.Task[None] | None = None

    async def claims(self) -> AsyncClaims:
        if self._claims is None:
            backend = async_backend_for(self.saver)
            await backend.setup_claims()
            self._claims = backend.claims
        return self._claims

    async def do(self, effect: Effect) -> object:
        if isinstance(effect, Read):
            return await aread_wait(self.graph, effect.config)
        if isinstance(effect, Load):
            return await self.saver.aget_tuple(effect.config)
        if isinstance(effect, Invoke):
            return await self.graph.ainvoke(
                effect.command, effect.config, version="v2", **effect.kwargs
            )
        if isinstance(effect, Write):
            await self.saver.aput_writes(effect.config, effect.writes, effect.task_id)
            return None
        claims = await self.claims()
        if isinstance(effect, Claim):
            return await claims.claim(effect.thread_id, effect.owner, effect.seconds)
        if isinstance(effect, Renew):
            lease = effect.lease
            return await claims.renew(lease.thread_id, lease.owner, lease.seconds)
        if isinstance(effect, Beat):
            self._heartbeat = asyncio.create_task(arenew_forever(claims, effect.lease))
            return None
        assert isinstance(effect, Unclaim)
        effect.lease.stopped = True
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            await asyncio.gather(self._heartbeat, return_exceptions=True)
        try:
            await claims.release(effect.lease.thread_id, effect.lease.owner)
        except Exception as exc:
            _release_failed(effect.lease, exc)
        return None


def run(graph: Pregel[Any, Any, Any, Any], plan: Plan) -> GraphOutput[Any]:
    """Carry out `plan` with sync calls; its result, or the error it raised."""
    # BaseException: on Ctrl-C too, the plan's `finally` releases its claim.
    return drive(plan, _Sync(graph).do, catch=BaseException)


async def arun(graph: Pregel[Any, Any, Any, Any], plan: Plan) -> GraphOutput[Any]:
    """Carry out `plan` with awaits; its result, or the error it raised."""
    # BaseException: on a cancellation too, the plan's `finally` releases its claim.
    return await adrive(plan, _Async(graph).do, catch=BaseException)
