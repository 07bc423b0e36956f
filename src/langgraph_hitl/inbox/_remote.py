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

The logic is written once, as generators of SDK calls (sans-I/O): the reading in
`_remote_reader`, the answering in `_remote_answer`; `_remote_io` runs them on the sync or
the async client.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from ..store._cursor import Filters
from ._base import BaseInbox
from ._remote_answer import expire_plan, resume_plan
from ._remote_io import SDK_RETRIES, Call, Transport
from ._remote_page import bounds
from ._remote_reader import PAGE_SIZE, Server

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime

    from langgraph.types import GraphOutput

    from ..core._pending import PendingInterrupt
    from ..store._cursor import Page
    from ._bounds import Bounds
    from ._progress import ProgressCallback
    from ._remote_io import Steps

__all__ = ["PAGE_SIZE", "RemoteInbox"]

T = TypeVar("T")


class RemoteInbox(BaseInbox[Call, Any]):
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
        retries: How many more times a request that cannot reach the server is tried (a
            refused or failed connection), and how many times the wait for an answer's
            run reconnects when its result stream is cut off, each with backoff. Default
            5, as `langgraph_sdk` (about 7.5 s for a request, 17-21 s more for a run's
            result): enough to ride out a restart or a deploy. 0 reports an unreachable
            server at once, e.g. for a command line or a health check.
    """

    def __init__(
        self,
        url: str,
        *,
        assistant_id: str | None = None,
        api_key: str | None = None,
        headers: Mapping[str, str] | None = None,
        page_size: int = PAGE_SIZE,
        retries: int = SDK_RETRIES,
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
        if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
            raise ValueError(
                f"retries must be an int of at least 0 (0: no retry), got {retries!r}."
            )
        self.url = url.rstrip("/")
        self.page_size = page_size
        self.assistant_id = assistant_id
        self.retries = retries
        self._io = Transport(self.url, api_key=api_key, headers=headers, retries=retries)
        self._server = Server(
            self.url, assistant_id=assistant_id, page_size=page_size, retries=retries
        )

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

    # -- carrying the plans out -----------------------------------------------------------

    def _drive(self, plan: Steps[T]) -> T:
        return self._io.drive(plan)

    async def _adrive(self, plan: Steps[T]) -> T:
        return await self._io.adrive(plan)

    def _page_bounds(
        self, limit: int, after: str | None, before: str | None, filters: Filters
    ) -> Bounds:
        return bounds(limit, after, before, filters)

    def _page_plan(self, at: Bounds) -> Steps[Page]:
        return self._server.page(at)

    def _count_plan(self, filters: Filters) -> Steps[int]:
        return self._server.count(filters)

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
        return self._drive(self._server.pending(limit, Filters(tool, type, thread_id), on_progress))

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
        return await self._adrive(
            self._server.pending(limit, Filters(tool, type, thread_id), on_progress)
        )

    def check(self) -> None:
        """Make sure the server answers, takes the credentials, and has the assistant.

        Raises:
            ServerError: It cannot be reached, refused the credentials, or has no such
                assistant (the message names its graphs).
        """
        self._drive(self._server.check())

    async def acheck(self) -> None:
        """Async twin of `check`."""
        await self._adrive(self._server.check())

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
        return self._drive(
            resume_plan(
                self._server,
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
        return await self._adrive(
            resume_plan(
                self._server,
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
        return self._drive(expire_plan(self._server, now=now, on_progress=on_progress))

    async def aexpire(
        self, *, now: datetime | None = None, on_progress: ProgressCallback | None = None
    ) -> list[PendingInterrupt]:
        """Async twin of `expire`."""
        return await self._adrive(expire_plan(self._server, now=now, on_progress=on_progress))

    def values(self, thread_id: str, *, checkpoint_id: str | None = None) -> Any:
        """The thread's state values (as the server returns them: JSON); None without one.

        Args:
            thread_id: The thread.
            checkpoint_id: At this checkpoint of the thread; default: its latest.
        """
        return self._drive(self._server.values(thread_id, checkpoint_id))

    async def avalues(self, thread_id: str, *, checkpoint_id: str | None = None) -> Any:
        """Async twin of `values`."""
        return await self._adrive(self._server.values(thread_id, checkpoint_id))
