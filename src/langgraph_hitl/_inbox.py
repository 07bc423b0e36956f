"""The inbox: what waits for a human across every thread of a graph's checkpointer.

`Inbox(graph).pending()` lists pending requests oldest first; `Inbox.resume` answers one
with every guarantee of `resume()`, plus a claim in the database so that two reviewers
(or two processes) answering the same request cannot both act; `Inbox.expire` answers
every overdue request with the `on_timeout` answer its tool published.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any, Generic, TypeVar

from langchain_core.runnables import RunnableConfig
from langgraph.errors import is_invalid_resume
from langgraph.pregel import Pregel
from langgraph.types import Command, GraphOutput
from pydantic import ValidationError

from ._errors import RequestExpiredError, ResumeConflictError
from ._index import AsyncBackend, Backend, PendingRow, async_backend_for, backend_for
from ._pending import (
    PendingInterrupt,
    _pending,
    _require_checkpointer,
    apending_interrupts,
    pending_interrupts,
)
from ._resume import _invalid, build_command

__all__ = ["Inbox", "ProgressCallback"]

OutputT = TypeVar("OutputT")

ProgressCallback = Callable[[int, int], None]
"""Called as `(done, total)` while a long listing or sweep runs."""

_GREGORIAN_OFFSET = 0x01B21DD213814000  # 100-ns intervals from 1582-10-15 to 1970-01-01


def checkpoint_time(checkpoint_id: str) -> datetime | None:
    """When a checkpoint was made, read from its id (LangGraph's ids are UUIDv6)."""
    try:
        u = uuid.UUID(checkpoint_id)
    except ValueError:
        return None
    if u.version != 6:
        return None
    n = u.int
    ticks = ((n >> 96) << 28) | (((n >> 80) & 0xFFFF) << 12) | ((n >> 64) & 0x0FFF)
    return datetime.fromtimestamp((ticks - _GREGORIAN_OFFSET) / 1e7, tz=timezone.utc)


def _node(task_path: str) -> str | None:
    parts = [p.strip() for p in task_path.split(",")]
    if len(parts) == 2 and parts[0] == "~__pregel_pull":
        return parts[1]
    return None  # a Send (push) task: its node name is not in the path


def _config(thread_id: str) -> RunnableConfig:
    return {"configurable": {"thread_id": thread_id}}


def _keep(
    item: PendingInterrupt, *, tool: str | None, type: str | None, thread_id: str | None
) -> bool:
    if type is not None and item.type != type:
        return False
    if thread_id is not None and item.thread_id != thread_id:
        return False
    if tool is not None:
        name = item.value.get("name") if isinstance(item.value, dict) else None
        return name == tool
    return True


def _sorted(items: Iterable[PendingInterrupt]) -> list[PendingInterrupt]:
    floor = datetime.min.replace(tzinfo=timezone.utc)
    return sorted(items, key=lambda p: (p.created_at or floor, p.thread_id or "", p.id))


def _expired(item: PendingInterrupt, now: datetime) -> bool:
    return item.expires_at is not None and item.expires_at <= now


class Inbox(Generic[OutputT]):
    """Pending human requests across all threads of a graph's checkpointer.

    Args:
        graph: A compiled graph with a checkpointer (the same code every process runs).
        lease: How long a reviewer's claim on a request lasts; a reviewer that died while
            answering blocks that request no longer than this.
    """

    def __init__(
        self, graph: Pregel[Any, Any, Any, OutputT], *, lease: timedelta = timedelta(minutes=5)
    ) -> None:
        _require_checkpointer(graph)
        self.graph = graph
        self.lease = lease
        saver: Any = graph.checkpointer
        self._backend: Backend = backend_for(saver)
        self._abackend: AsyncBackend = async_backend_for(saver)
        self._ready = False
        self._aready = False

    # -- listing -------------------------------------------------------------------------

    def _from_rows(self, rows: Sequence[PendingRow]) -> tuple[list[PendingInterrupt], set[str]]:
        items: list[PendingInterrupt] = []
        exact: set[str] = set()
        for row in rows:
            node = _node(row.task_path)
            if node is None:
                exact.add(row.thread_id)
                continue
            created = checkpoint_time(row.checkpoint_id)
            items.extend(
                _pending(i, node=node, path=(node,), thread_id=row.thread_id,
                         checkpoint_id=row.checkpoint_id, created_at=created)
                for i in row.interrupts
            )
        return items, exact

    def _threads(self) -> list[str]:
        saver: Any = self.graph.checkpointer
        storage = getattr(saver, "storage", None)
        if isinstance(storage, dict):  # InMemorySaver keeps a dict per thread
            return [str(t) for t in storage]
        return list(dict.fromkeys(str(c.config["configurable"]["thread_id"]) for c in saver.list(None)))

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

        Args:
            limit: At most this many (the oldest).
            tool: Only requests about this tool (`value["name"]`).
            type: Only requests of this kind (`"tool_approval"`, `"human_assistance"`, ...).
            thread_id: Only this thread.
            on_progress: Called as `(done, total)` while threads are read.
        """
        if self._backend.lists_pending:
            if not self._ready:
                self._backend.setup()
                self._ready = True
            items, exact = self._from_rows(self._backend.pending_rows())
            threads = sorted(exact)
        else:
            items, threads = [], self._threads()
        for n, tid in enumerate(threads, 1):
            items.extend(pending_interrupts(self.graph, _config(tid)))
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
            if not self._aready:
                await self._abackend.setup()
                self._aready = True
            items, exact = self._from_rows(await self._abackend.pending_rows())
            threads = sorted(exact)
        else:
            saver: Any = self.graph.checkpointer
            storage = getattr(saver, "storage", None)
            if isinstance(storage, dict):
                threads = [str(t) for t in storage]
            else:
                seen = [str(c.config["configurable"]["thread_id"]) async for c in saver.alist(None)]
                threads = list(dict.fromkeys(seen))
            items = []
        for n, tid in enumerate(threads, 1):
            items.extend(await apending_interrupts(self.graph, _config(tid)))
            if on_progress is not None:
                on_progress(n, len(threads))
        kept = _sorted(i for i in items if _keep(i, tool=tool, type=type, thread_id=thread_id))
        return kept if limit is None else kept[:limit]

    # -- answering -----------------------------------------------------------------------

    def _command(
        self,
        pending: Sequence[PendingInterrupt],
        answer: object,
        *,
        expect_checkpoint: str | None,
        system: bool,
        now: datetime,
    ) -> tuple[Command[Any], list[str]]:
        command = build_command(pending, answer, expect_checkpoint=expect_checkpoint)
        resume = command.resume
        ids = sorted(resume) if isinstance(resume, dict) else []
        if not system:
            late = [p for p in pending if p.id in ids and _expired(p, now)]
            if late:
                raise RequestExpiredError(
                    f"Request {late[0].id!r} on thread {late[0].thread_id!r} expired at "
                    f"{late[0].expires_at.isoformat() if late[0].expires_at else '?'}; a human "
                    "answer is no longer accepted. Its on_timeout answer applies: run "
                    "`Inbox.expire()`. Nothing was sent."
                )
        return command, ids

    def _check_still(self, before: Sequence[PendingInterrupt], ids: Sequence[str],
                     after: Sequence[PendingInterrupt], thread_id: str) -> None:
        still = {p.id for p in after}
        moved = (before[0].checkpoint_id if before else None) != (
            after[0].checkpoint_id if after else None
        )
        if moved or not set(ids) <= still:
            raise ResumeConflictError(
                f"Thread {thread_id!r} moved on while this answer was being claimed (another "
                "reviewer answered first). Nothing was sent; list the inbox again."
            )

    def resume(
        self,
        thread_id: str,
        answer: object,
        *,
        expect_checkpoint: str | None = None,
        **invoke_kwargs: Any,
    ) -> GraphOutput[OutputT]:
        """Answer a pending request on `thread_id`, with every guarantee of `resume()`.

        The answered interrupts are claimed in the database first: when another reviewer
        (in this or another process) is answering them, or answered them since they were
        read, this raises `ResumeConflictError` and sends nothing.

        Raises:
            RequestExpiredError: The request's deadline passed.
            ResumeConflictError, UnknownInterruptError, InvalidResumeError, ...: as `resume()`.
        """
        return self._resume(thread_id, answer, expect_checkpoint=expect_checkpoint,
                            system=False, invoke_kwargs=invoke_kwargs)

    def _resume(self, thread_id: str, answer: object, *, expect_checkpoint: str | None,
                system: bool, invoke_kwargs: dict[str, Any]) -> GraphOutput[OutputT]:
        if not self._ready and self._backend.lists_pending:
            self._backend.setup()
            self._ready = True
        config = _config(thread_id)
        before = pending_interrupts(self.graph, config)
        now = datetime.now(timezone.utc)
        command, ids = self._command(before, answer, expect_checkpoint=expect_checkpoint,
                                     system=system, now=now)
        owner = uuid.uuid4().hex
        if not self._backend.claim(thread_id, ids, owner, self.lease.total_seconds()):
            raise ResumeConflictError(
                f"Another reviewer is answering {ids} on thread {thread_id!r} right now. "
                "Nothing was sent; list the inbox again in a moment."
            )
        try:
            self._check_still(before, ids, pending_interrupts(self.graph, config), thread_id)
            try:
                return self.graph.invoke(command, config, version="v2", **invoke_kwargs)
            except ValidationError as exc:
                if is_invalid_resume(exc):
                    raise _invalid(exc) from exc
                raise
        finally:
            self._backend.release(thread_id, owner)

    async def aresume(
        self,
        thread_id: str,
        answer: object,
        *,
        expect_checkpoint: str | None = None,
        **invoke_kwargs: Any,
    ) -> GraphOutput[OutputT]:
        """Async twin of `resume`."""
        return await self._aresume(thread_id, answer, expect_checkpoint=expect_checkpoint,
                                   system=False, invoke_kwargs=invoke_kwargs)

    async def _aresume(self, thread_id: str, answer: object, *, expect_checkpoint: str | None,
                       system: bool, invoke_kwargs: dict[str, Any]) -> GraphOutput[OutputT]:
        if not self._aready and self._abackend.lists_pending:
            await self._abackend.setup()
            self._aready = True
        config = _config(thread_id)
        before = await apending_interrupts(self.graph, config)
        now = datetime.now(timezone.utc)
        command, ids = self._command(before, answer, expect_checkpoint=expect_checkpoint,
                                     system=system, now=now)
        owner = uuid.uuid4().hex
        if not await self._abackend.claim(thread_id, ids, owner, self.lease.total_seconds()):
            raise ResumeConflictError(
                f"Another reviewer is answering {ids} on thread {thread_id!r} right now. "
                "Nothing was sent; list the inbox again in a moment."
            )
        try:
            after = await apending_interrupts(self.graph, config)
            self._check_still(before, ids, after, thread_id)
            try:
                return await self.graph.ainvoke(command, config, version="v2", **invoke_kwargs)
            except ValidationError as exc:
                if is_invalid_resume(exc):
                    raise _invalid(exc) from exc
                raise
        finally:
            await self._abackend.release(thread_id, owner)

    # -- deadlines -----------------------------------------------------------------------

    def expire(
        self, *, now: datetime | None = None, on_progress: ProgressCallback | None = None
    ) -> list[PendingInterrupt]:
        """Answer every overdue request with its published `on_timeout` answer.

        Returns the requests that were expired. A request another reviewer is answering
        right now is skipped (it is no longer pending once they are done).
        """
        moment = now or datetime.now(timezone.utc)
        due = [p for p in self.pending() if _expired(p, moment) and _timeout_answer(p)]
        done: list[PendingInterrupt] = []
        for n, item in enumerate(due, 1):
            assert item.thread_id is not None
            try:
                self._resume(item.thread_id, {item.id: _timeout_answer(item)},
                             expect_checkpoint=None, system=True, invoke_kwargs={})
                done.append(item)
            except ResumeConflictError:
                pass
            if on_progress is not None:
                on_progress(n, len(due))
        return done

    async def aexpire(
        self, *, now: datetime | None = None, on_progress: ProgressCallback | None = None
    ) -> list[PendingInterrupt]:
        """Async twin of `expire`."""
        moment = now or datetime.now(timezone.utc)
        due = [p for p in await self.apending() if _expired(p, moment) and _timeout_answer(p)]
        done: list[PendingInterrupt] = []
        for n, item in enumerate(due, 1):
            assert item.thread_id is not None
            try:
                await self._aresume(item.thread_id, {item.id: _timeout_answer(item)},
                                    expect_checkpoint=None, system=True, invoke_kwargs={})
                done.append(item)
            except ResumeConflictError:
                pass
            if on_progress is not None:
                on_progress(n, len(due))
        return done


def _timeout_answer(item: PendingInterrupt) -> object:
    """The answer a request's tool published for its deadline (`value["on_timeout"]`)."""
    return item.value.get("on_timeout") if isinstance(item.value, dict) else None
