"""The inbox of a LangGraph Server deployment: `Inbox.from_server(url)` -> `RemoteInbox`.

Everything goes through the server's API (`langgraph_sdk`): no database connection.

Listing. `threads.search(status=...)`, paged, oldest change first, for threads that wait
(`"interrupted"`) and for threads whose last run failed while they still hold interrupts
(`"error"`: a graph failure, or a stale answer the server refused, leaves them so). Each
thread record carries its interrupts with their `response_schema`; the node of each is
found from the graph's node names (one `assistants.get_graph` per graph), and a thread
whose interrupts match no node (a subgraph's) is read with `threads.get_state`. A
listing stops as soon as what it was asked for (the oldest `limit`, one page: see
`_remote_page`) can no longer change; threads in `"error"` are read first, so they take
their place by time, never ahead of older interrupted threads not read yet.

Answering. An answer is validated against the interrupt's published schema, keyed by
interrupt id, exactly as `resume()` does it, before anything is sent. It is then sent as a
run with `multitask_strategy="reject"` (the server refuses it while another run is in
flight on the thread) and with LangGraph's strict-resume flag, so the run itself refuses,
as it loads the thread, an interrupt id that is no longer pending. The run is joined and
the thread read again: a refused or ineffective answer is a `ResumeConflictError`.

What holds: of two reviewers answering the same request, exactly one answer applies,
whatever the timing, as long as the server's LangGraph honours strict resume (1.2 does).
What does not: a failed run is not taken back (`RunFailedError`; the server keeps what it
saved), and a refused stale run leaves the thread's status `"error"` (still listed).

The logic is written once, as generators of SDK calls (sans-I/O), which `_remote_io`
runs on the sync or the async client.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from langgraph.types import GraphOutput

from ..answers._match import is_mapping_of_answers
from ..answers._resume import build_command
from ..core import _clock as clock
from ..core._compat import STRICT_RESUME_KEY
from ..core._errors import (
    NoPendingInterruptError,
    RequestExpiredError,
    ResumeConflictError,
    RunFailedError,
    ServerError,
    TimeoutTooEarlyError,
    UnknownInterruptError,
)
from ..store._cursor import Filters
from ._remote_io import Call, Steps, Transport
from ._remote_page import Bounds, Listing, bounds, stamp_of
from ._remote_wire import (
    ThreadRecord,
    is_uuid,
    items_from_state,
    items_of,
    output_interrupts,
    run_refusal,
)

if TYPE_CHECKING:
    from datetime import datetime

    from ..core._pending import PendingInterrupt
    from ..store._cursor import Page
    from ._progress import ProgressCallback

__all__ = ["PAGE_SIZE", "RemoteInbox"]


PAGE_SIZE = 100
"""Threads per `threads.search` request, by default."""
_OVERLAP = 20
"""Each page re-reads the last 1/20 of the one before: a thread that left the listing
meanwhile (answered) shifts the offsets back, and must not make the next thread go unseen."""
_SELECT = ["thread_id", "status", "metadata", "updated_at", "interrupts"]
"""The fields a listing asks for: never `values` (a thread's whole conversation)."""


def _due(item: PendingInterrupt, now: datetime) -> bool:
    return (
        item.expires_at is not None
        and item.expires_at <= now
        and isinstance(item.value, Mapping)
        and "on_timeout" in item.value
    )


class RemoteInbox:
    """Pending human requests across the threads of a LangGraph Server deployment.

    Made by `Inbox.from_server(url, ...)`. The same methods as `Inbox` (`pending`,
    `resume`, `expire` and their async twins), with the same guarantees where the server
    can give them; see docs/deployment.md for exactly what holds.

    Args:
        url: The server's URL, e.g. `http://127.0.0.1:2024`.
        assistant_id: Only threads of this assistant (an assistant id, or a graph id as
            in `langgraph.json`). Default: every thread of the deployment.
        api_key: Sent as `x-api-key`. Default: as `langgraph_sdk` does, from
            `LANGGRAPH_API_KEY` / `LANGSMITH_API_KEY` / `LANGCHAIN_API_KEY` when set.
        headers: Extra headers on every request (e.g. `Authorization` for custom auth).
        page_size: Threads per listing request (at least 10).
    """

    def __init__(
        self,
        url: str,
        *,
        assistant_id: str | None = None,
        api_key: str | None = None,
        headers: Mapping[str, str] | None = None,
        page_size: int = PAGE_SIZE,
    ) -> None:
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise ValueError(
                f"url must be the server's http:// or https:// URL, got {url!r} "
                "(e.g. 'http://127.0.0.1:2024')."
            )
        if assistant_id is not None and (not isinstance(assistant_id, str) or not assistant_id):
            raise ValueError(
                f"assistant_id must be an assistant id or a graph id, got {assistant_id!r}."
            )
        if isinstance(page_size, bool) or not isinstance(page_size, int) or page_size < 10:
            raise ValueError(f"page_size must be an int of at least 10, got {page_size!r}.")
        self.url = url.rstrip("/")
        self.page_size = page_size
        self.assistant_id = assistant_id
        self._io = Transport(self.url, api_key=api_key, headers=headers)
        self._filter: dict[str, str] | None = None
        self._nodes: dict[str, tuple[str, ...]] = {}

    def close(self) -> None:
        """Close the sync client's connections (the async one: `aclose`)."""
        self._io.close()

    async def aclose(self) -> None:
        """Close both clients' connections."""
        await self._io.aclose()

    def __enter__(self) -> RemoteInbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def __aenter__(self) -> RemoteInbox:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- steps -------------------------------------------------------------------------

    def _ready(self) -> Steps[dict[str, str] | None]:
        """The metadata filter of the inbox's assistant (checked once on the server)."""
        if self.assistant_id is None or self._filter is not None:
            return self._filter
        name = self.assistant_id
        if is_uuid(name):
            try:
                found = yield Call("assistants", "get", (name,))
            except ServerError as exc:
                if exc.status_code not in (404, 422):
                    raise
            else:
                self._filter = {"assistant_id": str(found.get("assistant_id") or name)}
                return self._filter
        else:
            try:
                graphs = yield Call("assistants", "search", kwargs={"graph_id": name, "limit": 1})
            except ServerError as exc:
                if exc.status_code not in (404, 422):
                    raise
                graphs = []
            if graphs:
                self._filter = {"graph_id": name}
                return self._filter
        listed = yield Call("assistants", "search", kwargs={"limit": 100})
        known = sorted({str(a.get("graph_id")) for a in listed or ()})
        raise ServerError(
            f"The LangGraph Server at {self.url!r} has no assistant {name!r}: give an "
            f"assistant id, or one of its graph ids {known}.",
            url=self.url,
        )

    def _graph_nodes(self, record: ThreadRecord) -> Steps[tuple[str, ...]]:
        key = record.assistant_id or record.graph_id
        if key is None:
            return ()
        if key not in self._nodes:
            graph = yield Call("assistants", "get_graph", (key,))
            nodes = [str(n.get("id")) for n in (graph or {}).get("nodes") or ()]
            self._nodes[key] = tuple(n for n in nodes if n not in ("__start__", "__end__"))
        return self._nodes[key]

    def _items(self, record: ThreadRecord) -> Steps[list[PendingInterrupt]]:
        """A listed thread's requests: from its record, else (a subgraph's) from its state."""
        nodes = yield from self._graph_nodes(record)
        found = items_of(record, nodes)
        if found is None:
            found = yield from self._on_thread(record)
        return found

    def _record(self, thread_id: str) -> Steps[ThreadRecord | None]:
        try:
            raw = yield Call("threads", "get", (thread_id,))
        except ServerError as exc:
            if exc.status_code in (404, 422):
                return None
            raise
        record = ThreadRecord.of(raw)
        wanted = self._filter or {}
        if wanted and any(getattr(record, key) != value for key, value in wanted.items()):
            return None  # another assistant's thread: not in this inbox
        return record

    def _on_thread(self, record: ThreadRecord) -> Steps[list[PendingInterrupt]]:
        """The thread's requests from its state: with checkpoint and path."""
        state = yield Call("threads", "get_state", (record.thread_id,), {"subgraphs": True})
        return items_from_state(state or {}, record)

    def _scan(
        self,
        filters: Filters,
        enough: Callable[[Listing], bool],
        on_progress: ProgressCallback | None = None,
    ) -> Steps[Listing]:
        """Read the listing, oldest change first, until `enough` says so (or it ends)."""
        wanted = yield from self._ready()
        listing = Listing(filters)
        if filters.thread_id is not None:
            record = yield from self._record(filters.thread_id)
            if record is not None and record.interrupts:
                listing.add(record, (yield from self._on_thread(record)))
            listing.complete = True
            return listing
        seen: set[str] = set()
        for status in ("error", "interrupted"):
            offset = 0
            while True:
                raw = yield Call(
                    "threads",
                    "search",
                    kwargs={
                        "status": status,
                        "metadata": wanted,
                        "limit": self.page_size,
                        "offset": offset,
                        "sort_by": "updated_at",
                        "sort_order": "asc",
                        "select": _SELECT,
                    },
                )
                page = [ThreadRecord.of(r) for r in raw or ()]
                fresh = [r for r in page if r.thread_id not in seen and r.interrupts]
                seen.update(r.thread_id for r in page)
                for record in fresh:
                    listing.add(record, (yield from self._items(record)))
                more = len(page) == self.page_size
                if on_progress is not None:
                    on_progress(len(seen), len(seen) + (self.page_size if more else 0))
                if not more:
                    break
                if status == "interrupted":
                    # Error threads were all read first; interrupted ones come oldest first.
                    listing.edge = max(listing.edge, stamp_of(page[-1]))
                    if enough(listing):
                        return listing
                offset += self.page_size - self.page_size // _OVERLAP
        listing.complete = True
        return listing

    def _pending(
        self,
        *,
        limit: int | None,
        tool: str | None,
        type: str | None,
        thread_id: str | None,
        on_progress: ProgressCallback | None,
    ) -> Steps[list[PendingInterrupt]]:
        if limit is not None and (
            isinstance(limit, bool) or not isinstance(limit, int) or limit < 0
        ):
            raise ValueError(f"limit must be a non-negative int or None, got {limit!r}.")
        listing = yield from self._scan(
            Filters(tool, type, thread_id),
            lambda found: found.first(limit) is not None,
            on_progress,
        )
        first = listing.first(limit)
        assert first is not None  # a complete listing always answers
        return first

    def _page(self, at: Bounds) -> Steps[Page]:
        listing = yield from self._scan(at.filters, lambda found: found.page(at) is not None)
        page = listing.page(at)
        assert page is not None  # a complete listing always answers
        return page

    def _count(self, filters: Filters) -> Steps[int]:
        listing = yield from self._scan(filters, lambda found: False)
        return len(listing.found)

    def _check(self) -> Steps[None]:
        wanted = yield from self._ready()
        yield Call(
            "threads", "search", kwargs={"metadata": wanted, "limit": 1, "select": ["thread_id"]}
        )

    def _resume(
        self,
        thread_id: str,
        answer: object,
        *,
        expect_checkpoint: str | None,
        expect_version: str | None,
        system: bool,
    ) -> Steps[GraphOutput[dict[str, Any]]]:
        yield from self._ready()
        record = yield from self._record(thread_id)
        pending = items_from_state({}, record) if record is not None else []
        if (expect_checkpoint is not None or expect_version is not None) and not pending:
            raise ResumeConflictError(
                f"Thread {thread_id!r} moved on since the request was read: it waits for no "
                "answer now (another reviewer answered it, or the graph ran). Nothing was sent."
            )
        if expect_checkpoint is not None:
            state = yield Call("threads", "get_state", (thread_id,))
            current = (state or {}).get("checkpoint_id")
            if current != expect_checkpoint:
                raise ResumeConflictError(
                    f"Thread {thread_id!r} moved on since the request was read: it was at "
                    f"checkpoint {expect_checkpoint!r} and is now at {current!r}. Nothing was "
                    "sent; list the inbox again."
                )
        if expect_version is not None and record is not None and record.version != expect_version:
            raise ResumeConflictError(
                f"Thread {thread_id!r} moved on since the request was read: version "
                f"{expect_version!r} is now {record.version!r}. Nothing was sent; list "
                "the inbox again."
            )
        resume = self._checked(pending, answer, system=system, thread_id=thread_id)
        assert record is not None  # a thread that waits for something has a record
        assistant = record.assistant_id or record.graph_id or self.assistant_id
        if assistant is None:
            raise ServerError(
                f"Thread {thread_id!r} names no assistant in its metadata, so it cannot be "
                "resumed: pass assistant_id= to Inbox.from_server. Nothing was sent.",
                url=self.url,
            )
        ids = list(resume)
        try:
            run = yield Call(
                "runs",
                "create",
                (thread_id, assistant),
                {
                    "command": {"resume": resume},
                    "config": {"configurable": {STRICT_RESUME_KEY: True}},
                    "multitask_strategy": "reject",
                },
            )
        except ServerError as exc:
            if exc.status_code == 409:
                raise ResumeConflictError(
                    f"Thread {thread_id!r} is running already (another reviewer's answer to "
                    f"it is being applied, or the graph is still working), so the server "
                    f"refused the answer to {ids}. Nothing was sent; list the inbox again."
                ) from exc
            raise
        run_id = str(run["run_id"])
        try:
            joined = yield Call("runs", "join", (thread_id, run_id))
            final = yield Call("runs", "get", (thread_id, run_id))
        except ServerError as exc:
            # Past this point the answer is the server's: say so, not "nothing was sent".
            raise ServerError(
                f"The server accepted the answer to {ids} on thread {thread_id!r} (run "
                f"{run_id!r}), but waiting for its run failed: {exc} The run may still "
                "apply it; read the thread before answering again.",
                url=self.url,
                status_code=exc.status_code,
            ) from exc
        refusal = run_refusal(final or {}, joined, thread_id=thread_id, ids=ids)
        if isinstance(refusal, RunFailedError):
            refusal.url = self.url
        if refusal is not None:
            raise refusal
        after = yield from self._record(thread_id)
        still = [i for i in ids if after is not None and i in after.ids]
        if still:
            raise ResumeConflictError(
                f"The server ran the answer to {still} on thread {thread_id!r}, but the "
                "thread still waits for it: the answer did not apply (the server may not "
                "check resume ids). List the inbox again."
            )
        value: dict[str, Any] = joined if isinstance(joined, dict) else {}
        return GraphOutput(value=value, interrupts=output_interrupts(after) if after else ())

    def _checked(
        self, pending: list[PendingInterrupt], answer: object, *, system: bool, thread_id: str
    ) -> dict[str, object]:
        """The validated `{interrupt_id: answer}` to send; raises, sending nothing."""
        try:
            command = build_command(pending, answer)
        except NoPendingInterruptError as exc:
            if isinstance(answer, Mapping) and answer and is_mapping_of_answers(answer, []):
                keys = [str(key) for key in answer]
                raise UnknownInterruptError(
                    f"No pending interrupt has the id {keys}: thread {thread_id!r} waits for "
                    "no answer now (another reviewer answered first, or the graph ran). "
                    "Nothing was sent.",
                    unknown=keys,
                    pending=[],
                ) from exc
            raise NoPendingInterruptError(
                f"Thread {thread_id!r} waits for no human answer on {self.url} (answered "
                "already, or no such thread). Nothing was sent."
            ) from exc
        resume = dict(command.resume) if isinstance(command.resume, dict) else {}
        if not system:
            now = clock.now()
            late = [
                p
                for p in pending
                if p.id in resume and p.expires_at is not None and p.expires_at <= now
            ]
            if late:
                when = late[0].expires_at.isoformat() if late[0].expires_at else "?"
                raise RequestExpiredError(
                    f"Request {late[0].id!r} on thread {thread_id!r} expired at {when}; a "
                    "human answer is no longer accepted. Its on_timeout answer applies "
                    "instead: run `expire()`. Nothing was sent."
                )
        return resume

    def _expire(
        self, *, now: datetime | None, on_progress: ProgressCallback | None
    ) -> Steps[list[PendingInterrupt]]:
        moment = now or clock.now()
        listed = yield from self._pending(
            limit=None, tool=None, type=None, thread_id=None, on_progress=None
        )
        due = [p for p in listed if _due(p, moment)]
        done: list[PendingInterrupt] = []
        failed: list[Exception] = []
        for n, item in enumerate(due, 1):
            assert item.thread_id is not None
            answer = item.value.get("on_timeout")
            try:
                yield from self._resume(
                    item.thread_id,
                    {item.id: answer},
                    expect_checkpoint=None,
                    expect_version=None,
                    system=True,
                )
                done.append(item)
            except (ResumeConflictError, UnknownInterruptError, NoPendingInterruptError):
                pass  # answered by someone else since it was listed
            except TimeoutTooEarlyError:
                pass  # a `now` ahead of the clock: an approval takes no timeout decision early
            except Exception as exc:
                failed.append(exc)
            if on_progress is not None:
                on_progress(n, len(due))
        if failed:
            raise failed[0]
        return done

    # -- the public methods ------------------------------------------------------------

    def pending(
        self,
        *,
        limit: int | None = None,
        tool: str | None = None,
        type: str | None = None,
        thread_id: str | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> list[PendingInterrupt]:
        """List pending requests across the deployment's threads, oldest first.

        Items read from the server's thread listing have `checkpoint_id=None` and
        `created_at` = when the thread last changed (`updated_at`); with `thread_id`, the
        thread's state is read too, which gives both exactly.

        Args:
            limit: At most this many (the oldest); the listing stops paging once it has them.
            tool: Only requests about this tool (`value["name"]`).
            type: Only requests of this kind (`"tool_approval"`, `"human_assistance"`, ...).
            thread_id: Only this thread.
            on_progress: Called as `(threads read, estimated total)` while pages are read.

        Raises:
            ServerError: The server is unreachable, refused the credentials, or has no
                such assistant.
        """
        return self._io.drive(
            self._pending(
                limit=limit, tool=tool, type=type, thread_id=thread_id, on_progress=on_progress
            )
        )

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
        return await self._io.adrive(
            self._pending(
                limit=limit, tool=tool, type=type, thread_id=thread_id, on_progress=on_progress
            )
        )

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

        As `Inbox.page`, read from the server's listing: the listing is read from its
        start until the page is known (the server has no keyset filter), so a later page
        costs more than the first. Cursors stay valid while requests are added and
        answered; a cursor of `Inbox(graph)` is refused.

        Raises:
            InvalidCursorError: A cursor that is malformed, or made for another listing.
            ServerError: The server is unreachable, refused the credentials, or has no
                such assistant.
        """
        at = bounds(limit, after, before, Filters(tool, type, thread_id))
        return self._io.drive(self._page(at))

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
        at = bounds(limit, after, before, Filters(tool, type, thread_id))
        return await self._io.adrive(self._page(at))

    def count(
        self, *, tool: str | None = None, type: str | None = None, thread_id: str | None = None
    ) -> int:
        """How many requests are pending, with the same filters as `page` (reads them all)."""
        return self._io.drive(self._count(Filters(tool, type, thread_id)))

    async def acount(
        self, *, tool: str | None = None, type: str | None = None, thread_id: str | None = None
    ) -> int:
        """Async twin of `count`."""
        return await self._io.adrive(self._count(Filters(tool, type, thread_id)))

    def check(self) -> None:
        """Make sure the server answers, takes the credentials, and has the assistant.

        Raises:
            ServerError: It cannot be reached, refused the credentials, or has no such
                assistant (the message names its graphs).
        """
        self._io.drive(self._check())

    async def acheck(self) -> None:
        """Async twin of `check`."""
        await self._io.adrive(self._check())

    def resume(
        self,
        thread_id: str,
        answer: object,
        *,
        expect_checkpoint: str | None = None,
        expect_version: str | None = None,
    ) -> GraphOutput[dict[str, Any]]:
        """Answer a pending request on `thread_id` through the server; wait for the run.

        The answer is validated as `resume()` validates it, before anything is sent.

        Args:
            thread_id: The request's thread (`PendingInterrupt.thread_id`).
            answer: As for `resume()`: a bare answer, or `{interrupt_id: answer}`.
            expect_checkpoint: The checkpoint the answer was made for (one more read).
            expect_version: The `PendingInterrupt.version` the answer was made for.

        Returns:
            The thread's values after the run, and what it waits for next.

        Raises:
            ResumeConflictError: Another run is in flight on the thread, or another
                reviewer's answer applied first; nothing of this one applied.
            RequestExpiredError: The request's deadline passed; nothing was sent.
            RunFailedError: The server's run with the answer failed.
            ServerError: The server is unreachable or refused the request.
            InvalidResumeError, UnknownInterruptError, AmbiguousResumeError,
            NoPendingInterruptError: as `resume()`; nothing was sent.
        """
        return self._io.drive(
            self._resume(
                thread_id,
                answer,
                expect_checkpoint=expect_checkpoint,
                expect_version=expect_version,
                system=False,
            )
        )

    async def aresume(
        self,
        thread_id: str,
        answer: object,
        *,
        expect_checkpoint: str | None = None,
        expect_version: str | None = None,
    ) -> GraphOutput[dict[str, Any]]:
        """Async twin of `resume`."""
        return await self._io.adrive(
            self._resume(
                thread_id,
                answer,
                expect_checkpoint=expect_checkpoint,
                expect_version=expect_version,
                system=False,
            )
        )

    def expire(
        self, *, now: datetime | None = None, on_progress: ProgressCallback | None = None
    ) -> list[PendingInterrupt]:
        """Answer every overdue request with its published `on_timeout` answer.

        As `Inbox.expire`: a request another reviewer answered meanwhile is skipped; when
        one fails otherwise, the sweep goes on, then raises the first such error.

        Returns:
            The requests that were answered.
        """
        return self._io.drive(self._expire(now=now, on_progress=on_progress))

    async def aexpire(
        self, *, now: datetime | None = None, on_progress: ProgressCallback | None = None
    ) -> list[PendingInterrupt]:
        """Async twin of `expire`."""
        return await self._io.adrive(self._expire(now=now, on_progress=on_progress))

    def values(self, thread_id: str, *, checkpoint_id: str | None = None) -> Any:
        """The thread's state values (as the server returns them: JSON); None without one.

        Args:
            thread_id: The thread.
            checkpoint_id: At this checkpoint of the thread; default: its latest.
        """
        return self._io.drive(self._values(thread_id, checkpoint_id))

    async def avalues(self, thread_id: str, *, checkpoint_id: str | None = None) -> Any:
        """Async twin of `values`."""
        return await self._io.adrive(self._values(thread_id, checkpoint_id))

    def _values(self, thread_id: str, checkpoint_id: str | None) -> Steps[Any]:
        kwargs = {"checkpoint_id": checkpoint_id} if checkpoint_id else {}
        try:
            state = yield Call("threads", "get_state", (thread_id,), kwargs)
        except ServerError as exc:
            if exc.status_code in (404, 422):
                return None  # no such thread (or checkpoint): nothing to show
            raise
        return (state or {}).get("values")
