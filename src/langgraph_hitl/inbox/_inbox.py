"""The inbox: what waits for a human across every thread of a graph's checkpointer.

`Inbox(graph).pending()` lists pending requests oldest first; `Inbox.resume` answers one
through the same guarded path as `resume()`, with the inbox's lease; `Inbox.expire` answers
every overdue request with the `on_timeout` answer its tool published.

Each operation is written once as a plan (the listing's in `_listing`, the answering's in
`_answering`); this module holds the class, which checks the arguments and has its plans
carried out on the checkpointer by `_handlers` (with plain calls, or with awaits).
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

from ..answers._send import arun, run
from ..core._pending import (
    PendingInterrupt,
    require_checkpointer,
    saver_of,
)
from ..core._plan import adrive, drive
from ..store._backends import AsyncBackend, Backend, async_backend_for, backend_for, checkpoint_time
from ..store._cursor import Filters, Page
from ..store._listing import setup_plan
from ..store._triggers import AsyncListing, Listing, alisting_for, listing_for
from ._answering import Effect, answering, expire_plan
from ._base import BaseInbox
from ._bounds import Bounds, bounds
from ._handlers import AsyncHandler, SyncHandler
from ._listing import PAGE_SIZE, Outcome, Reader, Stream
from ._progress import ProgressCallback

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Generator, Iterator, Mapping, Sequence

    from langchain_core.runnables import RunnableConfig
    from langgraph._internal._typing import StateLike
    from langgraph.pregel import Pregel
    from langgraph.types import GraphOutput
    from typing_extensions import Unpack

    from ..answers._effects import Plan as AnswerPlan
    from ..notify import Channel, SweepOptions, SweepResult
    from ._listing import Steps
    from ._remote import RemoteInbox

__all__ = ["Inbox", "Page", "ProgressCallback", "checkpoint_time"]

OutputT = TypeVar("OutputT", bound="StateLike")
T = TypeVar("T")


def _config(thread_id: str) -> RunnableConfig:
    return {"configurable": {"thread_id": thread_id}}


class Inbox(BaseInbox[Effect, Outcome], Generic[OutputT]):
    """Pending human requests across all threads of a graph's checkpointer.

    Args:
        graph: A compiled graph with a checkpointer (the same code every process runs).
        lease: How long a reviewer's claim on a request's thread lasts without renewal. A
            claim is renewed while its answer runs, so a reviewer that died while answering
            blocks that thread no longer than this.
    """

    def __init__(
        self, graph: Pregel[Any, Any, Any, OutputT], *, lease: timedelta = timedelta(minutes=1)
    ) -> None:
        require_checkpointer(graph)
        if lease <= timedelta(0):
            raise ValueError(f"lease must be positive, got {lease!r}.")
        self.graph = graph
        self.lease = lease
        saver = saver_of(graph)
        self._backend: Backend = backend_for(saver)
        self._abackend: AsyncBackend = async_backend_for(saver)
        self._reader = Reader(saver, tuple(graph.nodes))
        self._listing: Listing | None = listing_for(saver)
        self._alisting: AsyncListing | None = alisting_for(saver)
        self._listing_ready = False
        self._alisting_ready = False
        self._ready = False
        self._aready = False
        self._alock = asyncio.Lock()

    @staticmethod
    def from_server(
        url: str,
        *,
        assistant_id: str | None = None,
        api_key: str | None = None,
        headers: Mapping[str, str] | None = None,
        retries: int = 5,
    ) -> RemoteInbox:
        """The inbox of a LangGraph Server deployment, over its API (see `RemoteInbox`).

        Args:
            url: The server's URL, e.g. `http://127.0.0.1:2024`.
            assistant_id: Only this assistant's threads (an assistant id or a graph id).
            api_key: Sent as `x-api-key` (default: `langgraph_sdk`'s environment lookup).
            headers: Extra headers on every request.
            retries: How many more times a request that cannot reach the server is tried,
                and a cut-off wait for a run's result reconnects (default 5, as
                `langgraph_sdk`; 0 reports an unreachable server at once).
        """
        from ._remote import RemoteInbox

        return RemoteInbox(
            url, assistant_id=assistant_id, api_key=api_key, headers=headers, retries=retries
        )

    # -- carrying the plans out ----------------------------------------------------------

    def _drive(self, plan: Generator[Effect, Outcome, T]) -> T:
        return drive(plan, SyncHandler(self.graph, self._sql))

    async def _adrive(self, plan: Generator[Effect, Outcome, T]) -> T:
        return await adrive(plan, AsyncHandler(self.graph, self._asql))

    def _sql(self) -> Listing | None:
        if self._listing is not None and not self._listing_ready:
            if not self._ready:
                self._backend.setup()
                self._ready = True
            self._listing.run(setup_plan(self._listing.dialect))
            self._backend.index()  # after the triggers: see `PostgresBackend.index`
            self._listing_ready = True
        return self._listing

    async def _asql(self) -> AsyncListing | None:
        if self._alisting is not None and not self._alisting_ready:
            async with self._alock:
                if not self._aready:
                    await self._abackend.setup()
                    self._aready = True
            await self._alisting.run(setup_plan(self._alisting.dialect))
            await self._abackend.index()
            self._alisting_ready = True
        return self._alisting

    # -- listing -------------------------------------------------------------------------

    def _page_plan(self, at: Bounds) -> Steps[Page]:
        return self._reader.page(at)

    def _count_plan(self, filters: Filters) -> Steps[int]:
        return self._reader.count(filters)

    def iter_pending(
        self,
        *,
        after: str | None = None,
        tool: str | None = None,
        type: str | None = None,
        thread_id: str | None = None,
        page_size: int = PAGE_SIZE,
    ) -> Iterator[PendingInterrupt]:
        """Every pending request, oldest first, read a page at a time.

        Memory stays bounded by `page_size` on SQLite and PostgreSQL, whatever the number
        of requests. A request added while the iteration runs is included when it comes
        after the page being read; one answered meanwhile is not, unless already yielded.

        Args:
            after: A cursor to start after (`Page.next_cursor`).
            tool: Only requests about this tool.
            type: Only requests of this kind.
            thread_id: Only this thread.
            page_size: How many requests are read per query.
        """
        stream = self._stream(after, Filters(tool, type, thread_id), page_size)
        while not stream.done:
            yield from self._drive(stream.next_page())

    async def aiter_pending(
        self,
        *,
        after: str | None = None,
        tool: str | None = None,
        type: str | None = None,
        thread_id: str | None = None,
        page_size: int = PAGE_SIZE,
    ) -> AsyncIterator[PendingInterrupt]:
        """Async twin of `iter_pending`."""
        stream = self._stream(after, Filters(tool, type, thread_id), page_size)
        while not stream.done:
            for item in await self._adrive(stream.next_page()):
                yield item

    def _stream(self, after: str | None, filters: Filters, page_size: int) -> Stream:
        return Stream(self._reader, bounds(page_size, after, None, filters, name="page_size"))

    def pending(
        self,
        *,
        limit: int | None = None,
        after: str | None = None,
        tool: str | None = None,
        type: str | None = None,
        thread_id: str | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> list[PendingInterrupt]:
        """List pending requests across all threads, oldest first.

        Each item is what `pending_interrupts` gives for its thread, with `created_at`
        read from the id of the checkpoint the request was raised at. With `limit`, this
        is one page (`page` also gives the cursor of the next one); without it, every
        request, read a page at a time (`iter_pending` streams them instead).

        Args:
            limit: At most this many (the oldest after `after`).
            after: A cursor (`Page.next_cursor`) to list after.
            tool: Only requests about this tool (`value["name"]`).
            type: Only requests of this kind (`"tool_approval"`, `"human_assistance"`, ...).
            thread_id: Only this thread.
            on_progress: Called as `(done, total)` while requests are read.

        Raises:
            InvalidCursorError: A cursor that is malformed, or made for other filters.
        """
        return self._drive(
            self._pending_plan(limit, after, Filters(tool, type, thread_id), on_progress)
        )

    async def apending(
        self,
        *,
        limit: int | None = None,
        after: str | None = None,
        tool: str | None = None,
        type: str | None = None,
        thread_id: str | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> list[PendingInterrupt]:
        """Async twin of `pending`."""
        return await self._adrive(
            self._pending_plan(limit, after, Filters(tool, type, thread_id), on_progress)
        )

    def _pending_plan(
        self,
        limit: int | None,
        after: str | None,
        filters: Filters,
        on_progress: ProgressCallback | None,
    ) -> Steps[list[PendingInterrupt]]:
        # A limit of 0 lists nothing, but its arguments are checked all the same.
        size = PAGE_SIZE if limit is None else limit or 1
        return self._reader.pending(bounds(size, after, None, filters), limit, on_progress)

    # -- answering -----------------------------------------------------------------------

    def _answer(
        self,
        thread_id: str,
        answer: object,
        expect_checkpoint: str | None,
        expect_version: str | None,
        invoke_kwargs: dict[str, Any],
    ) -> AnswerPlan:
        return answering(
            thread_id,
            answer,
            lease=self.lease,
            expect_checkpoint=expect_checkpoint,
            expect_version=expect_version,
            system=False,
            invoke_kwargs=invoke_kwargs,
        )

    def resume(
        self,
        thread_id: str,
        answer: object,
        *,
        expect_checkpoint: str | None = None,
        expect_version: str | None = None,
        **invoke_kwargs: Any,
    ) -> GraphOutput[OutputT]:
        """Answer a pending request on `thread_id`, as `resume()` does, with this inbox's lease.

        The thread is claimed in the database first: when another reviewer (in this or
        another process) is answering on it, or answered since it was read, this raises
        `ResumeConflictError` and sends nothing. After a request's deadline a human answer
        is refused, even its `on_timeout` answer (that is `expire()`'s to send).

        Args:
            thread_id: The request's thread (`PendingInterrupt.thread_id`).
            answer: As for `resume()`: a bare answer, or `{interrupt_id: answer}`.
            expect_checkpoint: As for `resume()`.
            expect_version: As for `resume()`.
            **invoke_kwargs: Passed to `graph.invoke`.

        Raises:
            RequestExpiredError: The request's deadline passed; nothing was sent.
            ResumeConflictError: Another reviewer is answering it, or answered it first.
            ResumeFailedError, UnknownInterruptError, InvalidResumeError, ...: as `resume()`.
        """
        plan = self._answer(thread_id, answer, expect_checkpoint, expect_version, invoke_kwargs)
        return cast("GraphOutput[OutputT]", run(self.graph, plan))

    async def aresume(
        self,
        thread_id: str,
        answer: object,
        *,
        expect_checkpoint: str | None = None,
        expect_version: str | None = None,
        **invoke_kwargs: Any,
    ) -> GraphOutput[OutputT]:
        """Async twin of `resume`."""
        plan = self._answer(thread_id, answer, expect_checkpoint, expect_version, invoke_kwargs)
        return cast("GraphOutput[OutputT]", await arun(self.graph, plan))

    # -- deadlines -----------------------------------------------------------------------

    def expire(
        self, *, now: datetime | None = None, on_progress: ProgressCallback | None = None
    ) -> list[PendingInterrupt]:
        """Answer every overdue request with its published `on_timeout` answer.

        A request is overdue when its `expires_at` is at or before `now` (default: the
        current time) and its value carries an `on_timeout` answer. The answer is sent as
        the system's, with every guarantee of `resume()`. An approval tool checks its
        deadline against the real clock and takes no timeout decision before it, so a
        `now` in the future skips approvals that are not overdue yet (a human-assistance
        request, or an interrupt of your own, cannot tell the system from a human, and
        is answered).

        Returns:
            The requests that were answered. A request another reviewer is answering, or
            answered meanwhile, is skipped. Each answered request's `request.expired` is
            left in the notification outbox for the next `notify` sweep (where one ran).

        Raises:
            ExceptionGroup: One or more requests failed otherwise (the graph raised, the
                on_timeout answer was refused): the sweep answers all the others first,
                then raises every such error together, each noted with its request.
        """
        return self._drive(
            expire_plan(self._reader, lease=self.lease, now=now, on_progress=on_progress)
        )

    async def aexpire(
        self, *, now: datetime | None = None, on_progress: ProgressCallback | None = None
    ) -> list[PendingInterrupt]:
        """Async twin of `expire`."""
        return await self._adrive(
            expire_plan(self._reader, lease=self.lease, now=now, on_progress=on_progress)
        )

    # -- notifications (langgraph_hitl.notify) -------------------------------------------

    def notify(
        self,
        channels: Sequence[Channel],
        *,
        remind_before: timedelta | None = None,
        **options: Unpack[SweepOptions],
    ) -> SweepResult:
        """One notification sweep: tell `channels` what waits, each event once.

        See `langgraph_hitl.notify` (and docs/notifications.md) for the events, retries
        and the options (`link_base`, `max_attempts`, `backoff`, `concurrency`, `lease`,
        `retention`).
        """
        from ..notify._sweep import sweep

        return sweep(self, channels, remind_before=remind_before, **options)

    async def anotify(
        self,
        channels: Sequence[Channel],
        *,
        remind_before: timedelta | None = None,
        **options: Unpack[SweepOptions],
    ) -> SweepResult:
        """Async twin of `notify`."""
        from ..notify._sweep import asweep

        return await asweep(self, channels, remind_before=remind_before, **options)
