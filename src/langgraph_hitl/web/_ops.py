"""What the page and the API do with the graph: list, read, find the request, answer.

Both go through `GraphOps.answer`, so an answer from either is held to the same rules:
its thread id and interrupt id must name a request pending right now, the logged-in
reviewer is written into an approval decision, and `Inbox.resume` validates and claims it.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from langchain_core.messages import BaseMessage
from starlette.concurrency import run_in_threadpool

from ..core._errors import (
    AmbiguousResumeError,
    HITLError,
    InvalidResumeError,
    NoPendingInterruptError,
    RequestExpiredError,
    ResumeConflictError,
    ResumeFailedError,
    UnknownInterruptError,
)
from ..core._pending import PendingInterrupt, apending_interrupts, pending_interrupts
from ..inbox._inbox import Inbox, Page

if TYPE_CHECKING:
    from datetime import timedelta

    from langchain_core.runnables import RunnableConfig
    from langgraph.pregel import Pregel

__all__ = ["GraphOps", "ReviewOps", "friendly", "messages_of", "new_messages", "status_of"]


def _config(thread_id: str, checkpoint_id: str | None = None) -> RunnableConfig:
    configurable: dict[str, Any] = {"thread_id": thread_id}
    if checkpoint_id:
        configurable["checkpoint_id"] = checkpoint_id
    return {"configurable": configurable}


def messages_of(values: object) -> list[BaseMessage] | None:
    """The `messages` of a state, or None when the state has no such list."""
    raw = values.get("messages") if isinstance(values, Mapping) else None
    if not isinstance(raw, list):
        return None
    return [m for m in raw if isinstance(m, BaseMessage)]


def new_messages(before: Sequence[BaseMessage], after: Sequence[BaseMessage]) -> list[BaseMessage]:
    """The messages of `after` that `before` did not have."""
    seen = {m.id for m in before if m.id}
    return [m for m in after if not (m.id and m.id in seen)]


class ReviewOps(Protocol):
    """What the pages and the API call: `GraphOps` on a graph, `RemoteOps` on a deployment."""

    async def failed_notifications(self) -> dict[str, str]: ...

    async def pending(
        self,
        *,
        tool: str | None = None,
        type: str | None = None,
        thread_id: str | None = None,
        limit: int | None = None,
    ) -> list[PendingInterrupt]: ...

    async def page(
        self,
        *,
        tool: str | None,
        type: str | None,
        after: str | None,
        before: str | None,
        limit: int,
        thread_id: str | None = None,
    ) -> Page: ...

    async def count(
        self, *, tool: str | None, type: str | None, thread_id: str | None = None
    ) -> int: ...

    async def on_thread(self, thread_id: str) -> list[PendingInterrupt]: ...

    async def values(self, thread_id: str, checkpoint_id: str | None = None) -> Any: ...

    async def target(self, thread_id: str, interrupt_id: str) -> PendingInterrupt: ...

    async def answer(
        self,
        item: PendingInterrupt,
        answer: object,
        *,
        reviewer: str | None,
        expect_checkpoint: str | None,
    ) -> object: ...


class GraphOps:
    """The graph's reads and answers, with its sync API in worker threads or its async API."""

    def __init__(
        self, graph: Pregel[Any, Any, Any, Any], *, run_async: bool, lease: timedelta
    ) -> None:
        self.graph = graph
        self.inbox: Inbox[Any] = Inbox(graph, lease=lease)
        self.run_async = run_async

    async def failed_notifications(self) -> dict[str, str]:
        """Requests whose notification failed for good: interrupt id -> reason."""
        from ..notify import afailed_deliveries, failed_deliveries

        if self.run_async:
            return await afailed_deliveries(self.graph)
        return await run_in_threadpool(failed_deliveries, self.graph)

    async def pending(
        self,
        *,
        tool: str | None = None,
        type: str | None = None,
        thread_id: str | None = None,
        limit: int | None = None,
    ) -> list[PendingInterrupt]:
        """Pending requests across threads, oldest first."""
        if self.run_async:
            return await self.inbox.apending(tool=tool, type=type, thread_id=thread_id, limit=limit)
        return await run_in_threadpool(
            functools.partial(
                self.inbox.pending, tool=tool, type=type, thread_id=thread_id, limit=limit
            )
        )

    async def page(
        self,
        *,
        tool: str | None,
        type: str | None,
        after: str | None,
        before: str | None,
        limit: int,
        thread_id: str | None = None,
    ) -> Page:
        """One page of pending requests, with the cursors of its neighbours."""
        kw: dict[str, Any] = {"tool": tool, "type": type, "thread_id": thread_id}
        if self.run_async:
            return await self.inbox.apage(after=after, before=before, limit=limit, **kw)
        return await run_in_threadpool(
            functools.partial(self.inbox.page, after=after, before=before, limit=limit, **kw)
        )

    async def count(
        self, *, tool: str | None, type: str | None, thread_id: str | None = None
    ) -> int:
        """How many requests are pending, with the same filters."""
        kw: dict[str, Any] = {"tool": tool, "type": type, "thread_id": thread_id}
        if self.run_async:
            return await self.inbox.acount(**kw)
        return await run_in_threadpool(functools.partial(self.inbox.count, **kw))

    async def on_thread(self, thread_id: str) -> list[PendingInterrupt]:
        """What waits on one thread."""
        if self.run_async:
            return await apending_interrupts(self.graph, _config(thread_id))
        return await run_in_threadpool(pending_interrupts, self.graph, _config(thread_id))

    async def values(self, thread_id: str, checkpoint_id: str | None = None) -> Any:
        """The thread's state, at its latest checkpoint or at `checkpoint_id`."""
        config = _config(thread_id, checkpoint_id)
        if self.run_async:
            snapshot = await self.graph.aget_state(config)
        else:
            snapshot = await run_in_threadpool(self.graph.get_state, config)
        return snapshot.values

    async def target(self, thread_id: str, interrupt_id: str) -> PendingInterrupt:
        """The request an answer names: it must be pending on its thread right now.

        Raises:
            NoPendingInterruptError: The thread waits for nothing (or does not exist).
            UnknownInterruptError: Nothing with that id (or tool call id) waits there.
        """
        return pending_on_thread(await self.on_thread(thread_id), thread_id, interrupt_id)

    async def answer(
        self,
        item: PendingInterrupt,
        answer: object,
        *,
        reviewer: str | None,
        expect_checkpoint: str | None,
    ) -> object:
        """Send `answer` to `item` (as `reviewer`, for an approval); return what was sent."""
        answer = as_reviewer(item, answer, reviewer)
        thread_id = str(item.thread_id)
        if self.run_async:
            await self.inbox.aresume(
                thread_id, {item.id: answer}, expect_checkpoint=expect_checkpoint
            )
        else:
            await run_in_threadpool(
                functools.partial(
                    self.inbox.resume,
                    thread_id,
                    {item.id: answer},
                    expect_checkpoint=expect_checkpoint,
                )
            )
        return answer


def status_of(exc: HITLError) -> tuple[int, str]:
    """The HTTP status and error code of a refused answer."""
    table: tuple[tuple[type[HITLError], int, str], ...] = (
        (InvalidResumeError, 422, "invalid_answer"),
        (UnknownInterruptError, 404, "unknown_interrupt"),
        (NoPendingInterruptError, 404, "no_pending_interrupt"),
        (ResumeConflictError, 409, "conflict"),
        (AmbiguousResumeError, 409, "ambiguous"),
        (RequestExpiredError, 410, "expired"),
        (ResumeFailedError, 500, "resume_failed"),
    )
    for kind, status, code in table:
        if isinstance(exc, kind):
            return status, code
    return 400, "refused"


def friendly(exc: HITLError) -> str:
    """What the page tells a reviewer whose answer was not sent."""
    if isinstance(exc, (UnknownInterruptError, NoPendingInterruptError)):
        return (
            "This request is no longer pending: another reviewer answered it first (or it "
            "was withdrawn). Nothing you entered was sent; the list below is up to date."
        )
    if isinstance(exc, ResumeConflictError):
        return (
            "Another reviewer is answering or has answered this request, or the agent moved "
            "on, while you were deciding. Nothing you entered was sent; the list below is up "
            "to date."
        )
    if isinstance(exc, RequestExpiredError):
        return (
            "This request expired before your answer arrived, so its default decision "
            "applies. Nothing you entered was sent."
        )
    return f"Your answer was not sent: {exc}"


def pending_on_thread(
    pending: Sequence[PendingInterrupt], thread_id: str, interrupt_id: str
) -> PendingInterrupt:
    """The request an answer names among what waits on its thread (by id or tool call id).

    Raises:
        NoPendingInterruptError: The thread waits for nothing (or does not exist).
        UnknownInterruptError: Nothing with that id (or tool call id) waits there.
    """
    if not pending:
        raise NoPendingInterruptError(
            f"Thread {thread_id!r} waits for no human answer: the request was answered "
            "already, or the thread does not exist. Nothing was sent."
        )
    item = next((p for p in pending if interrupt_id in (p.id, p.tool_call_id)), None)
    if item is None:
        ids = [p.id for p in pending]
        raise UnknownInterruptError(
            f"No request {interrupt_id!r} is pending on thread {thread_id!r} (answered "
            f"already, or made up). Nothing was sent. Pending: {ids}.",
            unknown=[interrupt_id],
            pending=ids,
        )
    return item


def as_reviewer(item: PendingInterrupt, answer: object, reviewer: str | None) -> object:
    """An approval decision with the authenticated `reviewer`, which wins over any written."""
    if reviewer is not None and item.type == "tool_approval" and isinstance(answer, dict):
        return {**answer, "reviewer": reviewer}
    return answer
