"""The inbox: what waits for a human across every thread of a graph's checkpointer.

`Inbox(graph).pending()` lists pending requests oldest first; `Inbox.resume` answers one
through the same guarded path as `resume()` (`_answer`: the thread claimed in the database,
so two reviewers or processes answering one request cannot both act), with the inbox's
lease; `Inbox.expire` answers every overdue request with the `on_timeout` answer its tool
published.

On SQLite and PostgreSQL the listing is one query over the checkpointer's tables
(`_index`). Each interrupt found there is tied back to the node that raised it by its id,
which LangGraph derives from the task's namespace (`node:task_id`); an interrupt that
matches no node (raised inside a subgraph, or by a functional-API task) sends its thread
down the exact path, `pending_interrupts`, which reads that one thread's state. Other
checkpointers take the exact path for every thread.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

from xxhash import xxh3_128_hexdigest

from . import _clock as clock
from ._answer import answer_plan, arun, run
from ._errors import (
    NoPendingInterruptError,
    ResumeConflictError,
    TimeoutTooEarlyError,
    UnknownInterruptError,
    exception_group,
)
from ._index import (
    AsyncBackend,
    Backend,
    PendingRow,
    async_backend_for,
    backend_for,
    checkpoint_time,
    paused_gc,
)
from ._pending import (
    PendingInterrupt,
    _pending,
    _require_checkpointer,
    apending_interrupts,
    pending_interrupts,
    version_of,
)

if TYPE_CHECKING:
    from langchain_core.runnables import RunnableConfig
    from langgraph._internal._typing import StateLike
    from langgraph.pregel import Pregel
    from langgraph.types import GraphOutput, Interrupt
    from typing_extensions import Unpack

    from ._answer import Plan
    from ._remote import RemoteInbox
    from .notify import Channel, SweepOptions, SweepResult

__all__ = ["Inbox", "ProgressCallback", "checkpoint_time"]

OutputT = TypeVar("OutputT", bound="StateLike")

ProgressCallback = Callable[[int, int], None]
"""Called as `(done, total)` while a long listing or sweep runs."""

_PROGRESS_EVERY = 500
"""Rows decoded between two progress calls of a listing."""
_MAX_ANSWERED = 32
"""How many earlier answers of one task are tried when matching an interrupt id to a node."""


def _config(thread_id: str) -> RunnableConfig:
    return {"configurable": {"thread_id": thread_id}}


def _interrupt_id(namespace: str, answered: int) -> str:
    # LangGraph's `types._interrupt_id`: the task's namespace, plus how many answers the
    # task already had when it asked (absent for the first question).
    return xxh3_128_hexdigest((f"{namespace}|{answered}" if answered else namespace).encode())


def _keep(
    item: PendingInterrupt, *, tool: str | None, type: str | None, thread_id: str | None
) -> bool:
    if type is not None and item.type != type:
        return False
    if thread_id is not None and item.thread_id != thread_id:
        return False
    if tool is not None:
        name = item.value.get("name") if isinstance(item.value, Mapping) else None
        return name == tool
    return True


def _sorted(items: Iterable[PendingInterrupt]) -> list[PendingInterrupt]:
    floor = datetime.min.replace(tzinfo=timezone.utc)
    return sorted(items, key=lambda p: (p.created_at or floor, p.thread_id or "", p.id))


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
        _require_checkpointer(graph)
        if lease <= timedelta(0):
            raise ValueError(f"lease must be positive, got {lease!r}.")
        self.graph = graph
        self.lease = lease
        saver: Any = graph.checkpointer
        self._backend: Backend = backend_for(saver)
        self._abackend: AsyncBackend = async_backend_for(saver)
        self._nodes = tuple(graph.nodes)
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

    def _node_of(self, row: PendingRow, item: Interrupt) -> str | None:
        """The node whose task raised `item` itself, or None (raised deeper, e.g. a subgraph)."""
        parts = [p.strip() for p in row.task_path.split(",")]
        if len(parts) == 2 and parts[0] == "~__pregel_pull":
            # A node this graph lacks: the thread is another graph's (read it the exact way).
            names: tuple[str, ...] = (parts[1],) if parts[1] in self._nodes else ()
        else:
            names = self._nodes
        for answered in range(_MAX_ANSWERED):
            for name in names:
                if _interrupt_id(f"{name}:{row.task_id}", answered) == item.id:
                    return name
        return None

    def _from_rows(
        self, rows: Sequence[PendingRow], on_progress: ProgressCallback | None
    ) -> tuple[list[PendingInterrupt], list[str]]:
        """The items the rows tell in full, and the threads to read the exact way."""
        with paused_gc():
            return self._read_rows(rows, on_progress)

    def _read_rows(
        self, rows: Sequence[PendingRow], on_progress: ProgressCallback | None
    ) -> tuple[list[PendingInterrupt], list[str]]:
        found: dict[str, list[tuple[PendingRow, str, Interrupt]]] = {}
        exact: dict[str, None] = {}
        for n, row in enumerate(rows, 1):
            if row.thread_id not in exact:
                for item in row.interrupts:
                    node = self._node_of(row, item)
                    if node is None:
                        exact[row.thread_id] = None
                        break
                    found.setdefault(row.thread_id, []).append((row, node, item))
            if on_progress is not None and (n % _PROGRESS_EVERY == 0 or n == len(rows)):
                on_progress(n, len(rows))
        items: list[PendingInterrupt] = []
        for thread_id, entries in found.items():
            if thread_id in exact:
                continue
            ids: dict[str, None] = {}
            for _, _, item in entries:
                ids[item.id] = None
            checkpoint_id = entries[0][0].checkpoint_id
            version = version_of(checkpoint_id, list(ids))
            created = checkpoint_time(checkpoint_id)
            seen: set[str] = set()
            for row, node, item in entries:
                if item.id in seen:
                    continue
                seen.add(item.id)
                items.append(
                    _pending(
                        item,
                        node=node,
                        path=(node,),
                        thread_id=thread_id,
                        checkpoint_id=row.checkpoint_id,
                        created_at=created,
                        version=version,
                    )
                )
        return items, list(exact)

    def _threads(self) -> list[str]:
        saver: Any = self.graph.checkpointer
        storage = getattr(saver, "storage", None)
        if isinstance(storage, dict):  # InMemorySaver keeps a dict per thread
            return [str(t) for t in storage]
        return list(
            dict.fromkeys(str(c.config["configurable"]["thread_id"]) for c in saver.list(None))
        )

    async def _athreads(self) -> list[str]:
        saver: Any = self.graph.checkpointer
        storage = getattr(saver, "storage", None)
        if isinstance(storage, dict):
            return [str(t) for t in storage]
        seen = [str(c.config["configurable"]["thread_id"]) async for c in saver.alist(None)]
        return list(dict.fromkeys(seen))

    def pending(
        self,
        *,
        limit: int | None = None,
        tool: str | None = None,
        type: str | None = None,
        thread_id: str | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> list[PendingInterrupt]:
        """List pending requests across all threads, oldest first.

        Each item is what `pending_interrupts` gives for its thread, with `created_at`
        read from the id of the checkpoint the request was raised at.

        Args:
            limit: At most this many (the oldest).
            tool: Only requests about this tool (`value["name"]`).
            type: Only requests of this kind (`"tool_approval"`, `"human_assistance"`, ...).
            thread_id: Only this thread.
            on_progress: Called as `(done, total)` while rows or threads are read.
        """
        if self._backend.lists_pending:
            self._setup()
            items, threads = self._from_rows(self._backend.pending_rows(thread_id), on_progress)
        else:
            items, threads = [], [thread_id] if thread_id is not None else self._threads()
        for n, tid in enumerate(threads, 1):
            items.extend(map(_stamped, pending_interrupts(self.graph, _config(tid))))
            if on_progress is not None:
                on_progress(n, len(threads))
        kept = _sorted(i for i in items if _keep(i, tool=tool, type=type, thread_id=thread_id))
        return kept if limit is None else kept[:limit]

    async def apending(
        self,
        *,
        limit: int | None = None,
        tool: str | None = None,
        type: str | None = None,
        thread_id: str | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> list[PendingInterrupt]:
        """Async twin of `pending`."""
        if self._abackend.lists_pending:
            await self._asetup()
            rows = await self._abackend.pending_rows(thread_id)
            items, threads = self._from_rows(rows, on_progress)
        else:
            items = []
            threads = [thread_id] if thread_id is not None else await self._athreads()
        for n, tid in enumerate(threads, 1):
            items.extend(map(_stamped, await apending_interrupts(self.graph, _config(tid))))
            if on_progress is not None:
                on_progress(n, len(threads))
        kept = _sorted(i for i in items if _keep(i, tool=tool, type=type, thread_id=thread_id))
        return kept if limit is None else kept[:limit]

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
            answered meanwhile, is skipped.

        Raises:
            ExceptionGroup: One or more requests failed otherwise (the graph raised, the
                on_timeout answer was refused): the sweep answers all the others first,
                then raises every such error together, each noted with its request.
        """
        moment = now or clock.now()
        due = [p for p in self.pending() if _expired(p, moment) and _has_timeout(p)]
        sweep = _Sweep(len(due), on_progress)
        for item in due:
            try:
                run(self.graph, self._timeout_plan(item))
            except Exception as exc:
                sweep.failed(item, exc)
            else:
                sweep.answered(item)
        return sweep.result()

    async def aexpire(
        self, *, now: datetime | None = None, on_progress: ProgressCallback | None = None
    ) -> list[PendingInterrupt]:
        """Async twin of `expire`."""
        moment = now or clock.now()
        due = [p for p in await self.apending() if _expired(p, moment) and _has_timeout(p)]
        sweep = _Sweep(len(due), on_progress)
        for item in due:
            try:
                await arun(self.graph, self._timeout_plan(item))
            except Exception as exc:
                sweep.failed(item, exc)
            else:
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
        and the options (`link_base`, `max_attempts`, `backoff`, `concurrency`, `lease`).
        """
        from .notify._sweep import sweep

        return sweep(self, channels, remind_before=remind_before, **options)

    async def anotify(
        self,
        channels: Sequence[Channel],
        *,
        remind_before: timedelta | None = None,
        **options: Unpack[SweepOptions],
    ) -> SweepResult:
        """Async twin of `notify`."""
        from .notify._sweep import asweep

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
