"""What the page and the API do with the graph: list, read, find the request, answer.

`ReviewOps` is what they call; `GraphOps` is it on a graph (`_remote.RemoteOps` on a
deployment). Both answer through `ReviewOps.answer`, so an answer from either is held to
the same rules: its thread id and interrupt id must name a request pending right now,
the logged-in reviewer is written into an approval decision, and the inbox's `resume`
validates and claims it.
"""

from __future__ import annotations

import functools
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ParamSpec, TypedDict, TypeVar

from langchain_core.messages import BaseMessage
from starlette.concurrency import run_in_threadpool

from ..core._errors import NoPendingInterruptError, UnknownInterruptError
from ..core._pending import PendingInterrupt, apending_interrupts, pending_interrupts
from ..inbox._inbox import Inbox, Page

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from datetime import timedelta

    from langchain_core.runnables import RunnableConfig
    from langgraph.pregel import Pregel
    from typing_extensions import Unpack

__all__ = [
    "Filters",
    "GraphOps",
    "ReviewOps",
    "as_reviewer",
    "messages_of",
    "new_messages",
    "pending_on_thread",
]

P = ParamSpec("P")
T = TypeVar("T")


class Filters(TypedDict, total=False):
    """Which pending requests a listing keeps (as `Inbox.pending` takes them)."""

    tool: str | None
    type: str | None
    thread_id: str | None


def _config(thread_id: str, checkpoint_id: str | None = None) -> RunnableConfig:
    configurable: dict[str, str] = {"thread_id": thread_id}
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


class ReviewOps(ABC):
    """What the pages and the API call: `GraphOps` on a graph, `RemoteOps` on a deployment.

    Each reads and resumes through its own inbox; finding the request an answer names and
    sending it are written once, here.
    """

    @abstractmethod
    async def failed_notifications(self) -> dict[str, str]:
        """Requests whose notification failed for good: interrupt id -> reason."""

    @abstractmethod
    async def pending(
        self, *, limit: int | None = None, **filters: Unpack[Filters]
    ) -> list[PendingInterrupt]:
        """Pending requests across threads, oldest first."""

    @abstractmethod
    async def page(
        self, *, after: str | None, before: str | None, limit: int, **filters: Unpack[Filters]
    ) -> Page:
        """One page of pending requests, with the cursors of its neighbours."""

    @abstractmethod
    async def count(self, **filters: Unpack[Filters]) -> int:
        """How many requests are pending, with the same filters."""

    @abstractmethod
    async def on_thread(self, thread_id: str) -> list[PendingInterrupt]:
        """What waits on one thread."""

    @abstractmethod
    async def values(self, thread_id: str, checkpoint_id: str | None = None) -> Any:
        """The thread's state (of the graph's own type), latest or at `checkpoint_id`."""

    @abstractmethod
    async def resume(
        self, thread_id: str, answers: dict[str, object], *, expect_checkpoint: str | None
    ) -> None:
        """Send `answers` (interrupt id -> answer) to the thread, through its inbox."""

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
        await self.resume(
            str(item.thread_id), {item.id: answer}, expect_checkpoint=expect_checkpoint
        )
        return answer


class GraphOps(ReviewOps):
    """The graph's reads and answers, with its sync API in worker threads or its async API."""

    def __init__(
        self, graph: Pregel[Any, Any, Any, Any], *, run_async: bool, lease: timedelta
    ) -> None:
        self.graph = graph
        self.inbox: Inbox[Any] = Inbox(graph, lease=lease)
        self.run_async = run_async

    async def _call(
        self,
        sync: Callable[P, T],
        async_: Callable[P, Awaitable[T]],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        """`async_(...)` with the async API; else `sync(...)` in a worker thread."""
        if self.run_async:
            return await async_(*args, **kwargs)
        return await run_in_threadpool(functools.partial(sync, *args, **kwargs))

    async def failed_notifications(self) -> dict[str, str]:
        from ..notify import afailed_deliveries, failed_deliveries

        return await self._call(failed_deliveries, afailed_deliveries, self.graph)

    async def pending(
        self, *, limit: int | None = None, **filters: Unpack[Filters]
    ) -> list[PendingInterrupt]:
        return await self._call(self.inbox.pending, self.inbox.apending, limit=limit, **filters)

    async def page(
        self, *, after: str | None, before: str | None, limit: int, **filters: Unpack[Filters]
    ) -> Page:
        inbox = self.inbox
        return await self._call(
            inbox.page, inbox.apage, after=after, before=before, limit=limit, **filters
        )

    async def count(self, **filters: Unpack[Filters]) -> int:
        return await self._call(self.inbox.count, self.inbox.acount, **filters)

    async def on_thread(self, thread_id: str) -> list[PendingInterrupt]:
        config = _config(thread_id)
        return await self._call(pending_interrupts, apending_interrupts, self.graph, config)

    async def values(self, thread_id: str, checkpoint_id: str | None = None) -> Any:
        config = _config(thread_id, checkpoint_id)
        snapshot = await self._call(self.graph.get_state, self.graph.aget_state, config)
        return snapshot.values

    async def resume(
        self, thread_id: str, answers: dict[str, object], *, expect_checkpoint: str | None
    ) -> None:
        await self._call(
            self.inbox.resume,
            self.inbox.aresume,
            thread_id,
            answers,
            expect_checkpoint=expect_checkpoint,
        )


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
