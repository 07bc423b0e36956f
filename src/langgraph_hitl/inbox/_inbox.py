"""The inbox: what waits for a human across every thread of a graph's checkpointer.

`Inbox(graph).pending()` lists pending requests oldest first; `Inbox.resume` answers one
through the same guarded path as `resume()` (`_answer`: the thread claimed in the database,
so two reviewers or processes answering one request cannot both act), with the inbox's
lease; `Inbox.expire` answers every overdue request with the `on_timeout` answer its tool
published.

On SQLite and PostgreSQL the listing reads pages by keyset, filters applied in SQL
through indexes (`_listing`): `page` gives a page and the cursors of its neighbours,
`count` the total, `iter_pending` streams the lot. Each interrupt found there is tied
back to the node that raised it by its id, which LangGraph derives from the task's
namespace (`node:task_id`); an interrupt that matches no node (raised inside a subgraph,
or by a functional-API task) sends its thread down the exact path, `pending_interrupts`,
which reads that one thread's state. Other checkpointers take the exact path for every
thread.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

from langgraph.checkpoint.memory import InMemorySaver

from ..answers._send import answer_plan, arun, run
from ..core import _clock as clock
from ..core._compat import memory_storage
from ..core._errors import (
    NoPendingInterruptError,
    ResumeConflictError,
    TimeoutTooEarlyError,
    UnknownInterruptError,
    exception_group,
)
from ..core._pending import (
    PendingInterrupt,
    apending_interrupts,
    pending_interrupts,
    require_checkpointer,
    saver_of,
)
from ..store._backends import AsyncBackend, Backend, async_backend_for, backend_for, checkpoint_time
from ..store._cursor import (
    Filters,
    Page,
    Position,
    decode_cursor,
    encode_cursor,
    keeps,
    page_of,
    position_of,
)
from ..store._listing import RawPage, Schemas, count_plan, page_plan, setup_plan
from ..store._triggers import AsyncListing, Listing, alisting_for, listing_for
from ._progress import ProgressCallback

if TYPE_CHECKING:
    from langchain_core.runnables import RunnableConfig
    from langgraph._internal._typing import StateLike
    from langgraph.pregel import Pregel
    from langgraph.types import GraphOutput
    from typing_extensions import Unpack

    from ..answers._effects import Plan
    from ..notify import Channel, SweepOptions, SweepResult
    from ._remote import RemoteInbox

__all__ = ["Inbox", "Page", "ProgressCallback", "checkpoint_time"]

OutputT = TypeVar("OutputT", bound="StateLike")


_PAGE_SIZE = 500
"""Requests read per query when a whole listing is read (and between progress calls)."""


def _config(thread_id: str) -> RunnableConfig:
    return {"configurable": {"thread_id": thread_id}}


def _bounds(
    limit: int,
    after: str | None,
    before: str | None,
    tool: str | None,
    type: str | None,
    thread_id: str | None,
    *,
    name: str = "limit",
) -> tuple[Filters, Position | None, Position | None]:
    """The filters and the decoded cursors of one listing call, checked."""
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ValueError(f"{name} must be a positive int, got {limit!r}.")
    if after is not None and before is not None:
        raise ValueError(
            f"Pass either after= or before=, not both (got after={after!r}, before={before!r})."
        )
    filters = Filters(tool, type, thread_id)
    start = None if after is None else decode_cursor(after, filters)
    end = None if before is None else decode_cursor(before, filters)
    return filters, start, end


def _page(
    filters: Filters,
    items: list[PendingInterrupt],
    more: bool,
    earlier: bool,
    *,
    at: Position | None,
    raw: RawPage | None = None,
) -> Page:
    # The edges are the rows read, so a row dropped as answered meanwhile moves no cursor.
    if raw is not None:
        first, last = raw.first or at, raw.last or at
    else:
        first = position_of(items[0]) if items else at
        last = position_of(items[-1]) if items else at
    return Page(
        items=items,
        next_cursor=encode_cursor(last, filters) if more and last is not None else None,
        prev_cursor=encode_cursor(first, filters) if earlier and first is not None else None,
    )


def _report(on_progress: ProgressCallback | None, done: int, total: int) -> None:
    if on_progress is not None:
        on_progress(done, total)


def _expired(item: PendingInterrupt, now: datetime) -> bool:
    return item.expires_at is not None and item.expires_at <= now


def _has_timeout(item: PendingInterrupt) -> bool:
    return isinstance(item.value, Mapping) and "on_timeout" in item.value


def _timeout_answer(item: PendingInterrupt) -> object:
    """The answer a request's tool published for its deadline (`value["on_timeout"]`)."""
    return item.value.get("on_timeout") if isinstance(item.value, Mapping) else None


def _stamped(item: PendingInterrupt) -> PendingInterrupt:
    """`item` with `created_at` read from its checkpoint id, as the fast path reads it.

    The same clock the deadlines are computed from (`_deadline.task_deadline`), so
    `expires_at - created_at` is exactly a tool's timeout.
    """
    if item.checkpoint_id is None:
        return item
    created = checkpoint_time(item.checkpoint_id)
    return item if created is None else replace(item, created_at=created)


class Inbox(Generic[OutputT]):
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
        self._nodes = tuple(graph.nodes)
        self._listing: Listing | None = listing_for(saver)
        self._alisting: AsyncListing | None = alisting_for(saver)
        self._listing_ready = False
        self._alisting_ready = False
        self._ready = False
        self._aready = False
        self._alock = asyncio.Lock()
        self._schemas: Schemas = {}

    @staticmethod
    def from_server(
        url: str,
        *,
        assistant_id: str | None = None,
        api_key: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> RemoteInbox:
        """The inbox of a LangGraph Server deployment, over its API (see `RemoteInbox`).

        Args:
            url: The server's URL, e.g. `http://127.0.0.1:2024`.
            assistant_id: Only this assistant's threads (an assistant id or a graph id).
            api_key: Sent as `x-api-key` (default: `langgraph_sdk`'s environment lookup).
            headers: Extra headers on every request.
        """
        from ._remote import RemoteInbox

        return RemoteInbox(url, assistant_id=assistant_id, api_key=api_key, headers=headers)

    def _setup(self) -> None:
        if not self._ready:
            self._backend.setup()
            self._ready = True

    async def _asetup(self) -> None:
        async with self._alock:
            if not self._aready:
                await self._abackend.setup()
                self._aready = True

    # -- listing -------------------------------------------------------------------------

    def _sql(self) -> Listing | None:
        if self._listing is not None and not self._listing_ready:
            self._setup()
            self._listing.run(setup_plan(self._listing.dialect))
            self._listing_ready = True
        return self._listing

    async def _asql(self) -> AsyncListing | None:
        if self._alisting is not None and not self._alisting_ready:
            await self._asetup()
            await self._alisting.run(setup_plan(self._alisting.dialect))
            self._alisting_ready = True
        return self._alisting

    @staticmethod
    def _merge(
        resolved: list[PendingInterrupt | Position], exact: dict[str, list[PendingInterrupt]]
    ) -> list[PendingInterrupt]:
        """The page's items, each request tied to no node replaced by its exact reading."""
        by_id = {(p.thread_id, p.id): p for items in exact.values() for p in items}
        out = []
        for entry in resolved:
            if isinstance(entry, Position):
                found = by_id.get((entry.thread_id, entry.interrupt_id))
                if found is None:
                    continue  # answered since the row was read
                entry = found
            out.append(entry)
        return out

    def _everything(self, thread_id: str | None) -> list[PendingInterrupt]:
        """Every pending request read thread by thread (checkpointers without SQL)."""
        threads = [thread_id] if thread_id is not None else self._threads()
        return [_stamped(p) for t in threads for p in pending_interrupts(self.graph, _config(t))]

    async def _aeverything(self, thread_id: str | None) -> list[PendingInterrupt]:
        threads = [thread_id] if thread_id is not None else await self._athreads()
        items: list[PendingInterrupt] = []
        for t in threads:
            items.extend(map(_stamped, await apending_interrupts(self.graph, _config(t))))
        return items

    def _threads(self) -> list[str]:
        saver = saver_of(self.graph)
        if isinstance(saver, InMemorySaver):
            return [str(t) for t in memory_storage(saver)]
        return list(
            dict.fromkeys(str(c.config["configurable"]["thread_id"]) for c in saver.list(None))
        )

    async def _athreads(self) -> list[str]:
        saver = saver_of(self.graph)
        if isinstance(saver, InMemorySaver):
            return [str(t) for t in memory_storage(saver)]
        seen = [str(c.config["configurable"]["thread_id"]) async for c in saver.alist(None)]
        return list(dict.fromkeys(seen))

    def page(
        self,
        *,
        limit: int = 50,
        after: str | None = None,
        before: str | None = None,
        tool: str | None = None,
        type: str | None = None,
        thread_id: str | None = None,
    ) -> Page:
        """One page of pending requests, oldest first, with the cursors of its neighbours.

        On SQLite and PostgreSQL the filters and the page are applied in SQL through
        indexes, so a page costs the same at 100 requests and at a million. Cursors stay
        valid while requests are added and answered: a page never repeats or skips a
        request that stays pending.

        Args:
            limit: At most this many requests (at least 1).
            after: A cursor (`Page.next_cursor`): the page that follows it.
            before: A cursor (`Page.prev_cursor`): the page that precedes it.
            tool: Only requests about this tool (`value["name"]`).
            type: Only requests of this kind (`"tool_approval"`, `"human_assistance"`, ...).
            thread_id: Only this thread.

        Raises:
            InvalidCursorError: A cursor that is malformed, or made for other filters.
        """
        filters, start, end = _bounds(limit, after, before, tool, type, thread_id)
        sql = self._sql()
        if sql is None:
            found = page_of(
                self._everything(thread_id), filters, after=start, before=end, limit=limit
            )
            return _page(filters, *found, at=start or end)
        raw = self._read(sql, filters, start, end, limit, neighbours=True)
        if end is not None and not raw.earlier and raw.read < limit:
            raw = self._read(sql, filters, None, None, limit, neighbours=True)
        return _page(filters, self._items(raw), raw.more, raw.earlier, at=start or end, raw=raw)

    def _read(
        self,
        sql: Listing,
        filters: Filters,
        start: Position | None,
        end: Position | None,
        limit: int,
        *,
        neighbours: bool,
    ) -> RawPage:
        checkpointer = saver_of(self.graph)
        return sql.run(
            page_plan(
                sql.dialect,
                checkpointer,
                filters,
                after=start,
                before=end,
                limit=limit,
                nodes=self._nodes,
                neighbours=neighbours,
                schemas=self._schemas,
            )
        )

    @staticmethod
    def _exact_threads(raw: RawPage) -> list[str]:
        """The threads of a page that must be read the exact way (`pending_interrupts`)."""
        return list(dict.fromkeys(i.thread_id for i in raw.items if isinstance(i, Position)))

    def _items(self, raw: RawPage) -> list[PendingInterrupt]:
        threads = self._exact_threads(raw)
        if not threads:
            return cast("list[PendingInterrupt]", raw.items)
        exact = {
            t: list(map(_stamped, pending_interrupts(self.graph, _config(t)))) for t in threads
        }
        return self._merge(raw.items, exact)

    async def apage(
        self,
        *,
        limit: int = 50,
        after: str | None = None,
        before: str | None = None,
        tool: str | None = None,
        type: str | None = None,
        thread_id: str | None = None,
    ) -> Page:
        """Async twin of `page`."""
        filters, start, end = _bounds(limit, after, before, tool, type, thread_id)
        sql = await self._asql()
        if sql is None:
            items = await self._aeverything(thread_id)
            return _page(
                filters,
                *page_of(items, filters, after=start, before=end, limit=limit),
                at=start or end,
            )
        raw = await self._aread(sql, filters, start, end, limit, neighbours=True)
        if end is not None and not raw.earlier and raw.read < limit:
            raw = await self._aread(sql, filters, None, None, limit, neighbours=True)
        items = await self._aitems(raw)
        return _page(filters, items, raw.more, raw.earlier, at=start or end, raw=raw)

    async def _aread(
        self,
        sql: AsyncListing,
        filters: Filters,
        start: Position | None,
        end: Position | None,
        limit: int,
        *,
        neighbours: bool,
    ) -> RawPage:
        checkpointer = saver_of(self.graph)
        return await sql.run(
            page_plan(
                sql.dialect,
                checkpointer,
                filters,
                after=start,
                before=end,
                limit=limit,
                nodes=self._nodes,
                neighbours=neighbours,
                schemas=self._schemas,
            )
        )

    async def _aitems(self, raw: RawPage) -> list[PendingInterrupt]:
        threads = self._exact_threads(raw)
        if not threads:
            return cast("list[PendingInterrupt]", raw.items)
        exact = {}
        for t in threads:
            exact[t] = list(map(_stamped, await apending_interrupts(self.graph, _config(t))))
        return self._merge(raw.items, exact)

    def count(
        self, *, tool: str | None = None, type: str | None = None, thread_id: str | None = None
    ) -> int:
        """How many requests are pending, with the same filters as `page` and `pending`."""
        filters = Filters(tool, type, thread_id)
        sql = self._sql()
        if sql is None:
            return sum(1 for i in self._everything(thread_id) if keeps(i, filters))
        checkpointer = saver_of(self.graph)
        return sql.run(count_plan(sql.dialect, checkpointer, filters))

    async def acount(
        self, *, tool: str | None = None, type: str | None = None, thread_id: str | None = None
    ) -> int:
        """Async twin of `count`."""
        filters = Filters(tool, type, thread_id)
        sql = await self._asql()
        if sql is None:
            return sum(1 for i in await self._aeverything(thread_id) if keeps(i, filters))
        checkpointer = saver_of(self.graph)
        return await sql.run(count_plan(sql.dialect, checkpointer, filters))

    def iter_pending(
        self,
        *,
        after: str | None = None,
        tool: str | None = None,
        type: str | None = None,
        thread_id: str | None = None,
        page_size: int = _PAGE_SIZE,
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
        filters, start, _ = _bounds(page_size, after, None, tool, type, thread_id, name="page_size")
        sql = self._sql()
        if sql is None:
            everything = self._everything(thread_id)
            yield from page_of(
                everything, filters, after=start, before=None, limit=len(everything)
            )[0]
            return
        while True:
            raw = self._read(sql, filters, start, None, page_size, neighbours=False)
            yield from self._items(raw)
            if not raw.more:
                return
            assert raw.last is not None  # more follow: the page read rows
            start = raw.last

    async def aiter_pending(
        self,
        *,
        after: str | None = None,
        tool: str | None = None,
        type: str | None = None,
        thread_id: str | None = None,
        page_size: int = _PAGE_SIZE,
    ) -> AsyncIterator[PendingInterrupt]:
        """Async twin of `iter_pending`."""
        filters, start, _ = _bounds(page_size, after, None, tool, type, thread_id, name="page_size")
        sql = await self._asql()
        if sql is None:
            everything = await self._aeverything(thread_id)
            for item in page_of(
                everything, filters, after=start, before=None, limit=len(everything)
            )[0]:
                yield item
            return
        while True:
            raw = await self._aread(sql, filters, start, None, page_size, neighbours=False)
            for item in await self._aitems(raw):
                yield item
            if not raw.more:
                return
            assert raw.last is not None  # more follow: the page read rows
            start = raw.last

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
        if limit is not None:
            _bounds(limit or 1, after, None, tool, type, thread_id)
            items = (
                []
                if limit == 0
                else self.page(
                    limit=limit, after=after, tool=tool, type=type, thread_id=thread_id
                ).items
            )
            _report(on_progress, len(items), len(items))
            return items
        total = self.count(tool=tool, type=type, thread_id=thread_id) if on_progress else 0
        items = []
        for item in self.iter_pending(after=after, tool=tool, type=type, thread_id=thread_id):
            items.append(item)
            if len(items) % _PAGE_SIZE == 0:
                _report(on_progress, len(items), max(total, len(items)))
        _report(on_progress, len(items), len(items))
        return items

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
        if limit is not None:
            _bounds(limit or 1, after, None, tool, type, thread_id)
            items = (
                []
                if limit == 0
                else (
                    await self.apage(
                        limit=limit, after=after, tool=tool, type=type, thread_id=thread_id
                    )
                ).items
            )
            _report(on_progress, len(items), len(items))
            return items
        total = await self.acount(tool=tool, type=type, thread_id=thread_id) if on_progress else 0
        items = []
        async for item in self.aiter_pending(
            after=after, tool=tool, type=type, thread_id=thread_id
        ):
            items.append(item)
            if len(items) % _PAGE_SIZE == 0:
                _report(on_progress, len(items), max(total, len(items)))
        _report(on_progress, len(items), len(items))
        return items

    # -- answering -----------------------------------------------------------------------

    def _plan(
        self,
        thread_id: str,
        answer: object,
        *,
        expect_checkpoint: str | None,
        expect_version: str | None,
        system: bool,
        invoke_kwargs: dict[str, Any],
    ) -> Plan:
        return answer_plan(
            _config(thread_id),
            answer,
            expect_checkpoint=expect_checkpoint,
            expect_version=expect_version,
            refuse_late=not system,
            lease=self.lease.total_seconds(),
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
        plan = self._plan(
            thread_id,
            answer,
            expect_checkpoint=expect_checkpoint,
            expect_version=expect_version,
            system=False,
            invoke_kwargs=invoke_kwargs,
        )
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
        plan = self._plan(
            thread_id,
            answer,
            expect_checkpoint=expect_checkpoint,
            expect_version=expect_version,
            system=False,
            invoke_kwargs=invoke_kwargs,
        )
        return cast("GraphOutput[OutputT]", await arun(self.graph, plan))

    # -- deadlines -----------------------------------------------------------------------

    def _timeout_plan(self, item: PendingInterrupt) -> Plan:
        assert item.thread_id is not None
        return self._plan(
            item.thread_id,
            {item.id: _timeout_answer(item)},
            expect_checkpoint=None,
            expect_version=None,
            system=True,
            invoke_kwargs={},
        )

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
        from ..notify._expired import ExpiryRecorder

        moment = now or clock.now()
        due = [p for p in self.pending() if _expired(p, moment) and _has_timeout(p)]
        sweep = _Sweep(len(due), on_progress)
        # For the notification sweeps: each answered request's `request.expired`.
        record = ExpiryRecorder(self.graph.checkpointer)
        for item in due:
            try:
                run(self.graph, self._timeout_plan(item))
            except Exception as exc:
                sweep.failed(item, exc)
            else:
                record(item)
                sweep.answered(item)
        return sweep.result()

    async def aexpire(
        self, *, now: datetime | None = None, on_progress: ProgressCallback | None = None
    ) -> list[PendingInterrupt]:
        """Async twin of `expire`."""
        from ..notify._expired import AsyncExpiryRecorder

        moment = now or clock.now()
        due = [p for p in await self.apending() if _expired(p, moment) and _has_timeout(p)]
        sweep = _Sweep(len(due), on_progress)
        record = AsyncExpiryRecorder(self.graph.checkpointer)
        for item in due:
            try:
                await arun(self.graph, self._timeout_plan(item))
            except Exception as exc:
                sweep.failed(item, exc)
            else:
                await record(item)
                sweep.answered(item)
        return sweep.result()

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


class _Sweep:
    """The bookkeeping of one `expire` sweep, shared by its sync and async drivers."""

    def __init__(self, total: int, on_progress: ProgressCallback | None) -> None:
        self.total = total
        self.on_progress = on_progress
        self.done: list[PendingInterrupt] = []
        self.errors: list[tuple[PendingInterrupt, Exception]] = []
        self._skipped = 0

    def _step(self) -> None:
        if self.on_progress is not None:
            self.on_progress(len(self.done) + self._skipped + len(self.errors), self.total)

    def answered(self, item: PendingInterrupt) -> None:
        self.done.append(item)
        self._step()

    def failed(self, item: PendingInterrupt, exc: Exception) -> None:
        if isinstance(exc, (ResumeConflictError, UnknownInterruptError, NoPendingInterruptError)):
            self._skipped += 1  # answered (or being answered) by someone else since listed
        elif isinstance(exc, TimeoutTooEarlyError):
            self._skipped += 1  # a `now` ahead of the clock: no timeout decision early
        else:
            self.errors.append((item, exc))
        self._step()

    def result(self) -> list[PendingInterrupt]:
        if not self.errors:
            return self.done
        named = "; ".join(
            f"{item.id!r} on thread {item.thread_id!r}: {type(exc).__name__}"
            for item, exc in self.errors
        )
        raise exception_group(
            f"{len(self.errors)} of {self.total} overdue requests could not be answered with "
            f"their on_timeout answer ({named}); {len(self.done)} were answered.",
            [exc for _, exc in self.errors],
        )
