"""The plans that read a LangGraph Server deployment, over its SDK calls (sans-I/O).

`Server` holds what one inbox knows of its deployment (the metadata filter of its
assistant, each graph's node names) and writes each reading once, as a generator of
`Call`s that `_remote_io` runs on the sync or the async client: a thread's record and
state, and the listing scan (see `_remote`'s docstring) that pages and counts are read from.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..core._errors import ServerError
from ._remote_io import SDK_RETRIES, Call, Steps
from ._remote_page import Listing, stamp_of
from ._remote_wire import ThreadRecord, is_uuid, items_from_state, items_of

if TYPE_CHECKING:
    from collections.abc import Callable

    from ..core._pending import PendingInterrupt
    from ..store._cursor import Filters, Page
    from ._bounds import Bounds
    from ._progress import ProgressCallback

__all__ = ["PAGE_SIZE", "Server"]


PAGE_SIZE = 100
"""Threads per `threads.search` request, by default."""
_OVERLAP = 20
"""Each page re-reads the last 1/20 of the one before: a thread that left the listing
meanwhile (answered) shifts the offsets back, and must not make the next thread go unseen."""
_SELECT = ["thread_id", "status", "metadata", "updated_at", "interrupts"]
"""The fields a listing asks for: never `values` (a thread's whole conversation)."""


class Server:
    """What one inbox knows of its deployment, and the plans that read it.

    Args:
        url: The server's URL (for messages).
        assistant_id: Only threads of this assistant (an assistant id or a graph id).
        page_size: Threads per listing request.
        retries: How often the wait for a run's result reconnects when its stream is cut.
    """

    def __init__(
        self, url: str, *, assistant_id: str | None, page_size: int, retries: int = SDK_RETRIES
    ) -> None:
        self.url = url
        self.assistant_id = assistant_id
        self.page_size = page_size
        self.retries = retries
        self._filter: dict[str, str] | None = None
        self._nodes: dict[str, tuple[str, ...]] = {}

    def ready(self) -> Steps[dict[str, str] | None]:
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

    def graph_nodes(self, record: ThreadRecord) -> Steps[tuple[str, ...]]:
        key = record.assistant_id or record.graph_id
        if key is None:
            return ()
        if key not in self._nodes:
            graph = yield Call("assistants", "get_graph", (key,))
            nodes = [str(n.get("id")) for n in (graph or {}).get("nodes") or ()]
            self._nodes[key] = tuple(n for n in nodes if n not in ("__start__", "__end__"))
        return self._nodes[key]

    def items(self, record: ThreadRecord) -> Steps[list[PendingInterrupt]]:
        """A listed thread's requests: from its record, else (a subgraph's) from its state."""
        nodes = yield from self.graph_nodes(record)
        found = items_of(record, nodes)
        if found is None:
            found = yield from self.on_thread(record)
        return found

    def record(self, thread_id: str) -> Steps[ThreadRecord | None]:
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

    def on_thread(self, record: ThreadRecord) -> Steps[list[PendingInterrupt]]:
        """The thread's requests from its state: with checkpoint and path."""
        state = yield Call("threads", "get_state", (record.thread_id,), {"subgraphs": True})
        return items_from_state(state or {}, record)

    def scan(
        self,
        filters: Filters,
        enough: Callable[[Listing], bool],
        on_progress: ProgressCallback | None = None,
    ) -> Steps[Listing]:
        """Read the listing, oldest change first, until `enough` says so (or it ends)."""
        wanted = yield from self.ready()
        listing = Listing(filters)
        if filters.thread_id is not None:
            record = yield from self.record(filters.thread_id)
            if record is not None and record.interrupts:
                listing.add(record, (yield from self.on_thread(record)))
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
                    listing.add(record, (yield from self.items(record)))
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

    def pending(
        self, limit: int | None, filters: Filters, on_progress: ProgressCallback | None
    ) -> Steps[list[PendingInterrupt]]:
        """The plan of `RemoteInbox.pending`: the oldest `limit` (all, for None)."""
        if limit is not None and (
            isinstance(limit, bool) or not isinstance(limit, int) or limit < 0
        ):
            raise ValueError(f"limit must be a non-negative int or None, got {limit!r}.")
        listing = yield from self.scan(
            filters, lambda found: found.first(limit) is not None, on_progress
        )
        first = listing.first(limit)
        assert first is not None  # a complete listing always answers
        return first

    def page(self, at: Bounds) -> Steps[Page]:
        """The plan of `RemoteInbox.page`: the listing read until the page is known."""
        listing = yield from self.scan(at.filters, lambda found: found.page(at) is not None)
        page = listing.page(at)
        assert page is not None  # a complete listing always answers
        return page

    def count(self, filters: Filters) -> Steps[int]:
        """The plan of `RemoteInbox.count`: the whole listing read."""
        listing = yield from self.scan(filters, lambda found: False)
        return len(listing.found)

    def check(self) -> Steps[None]:
        """The plan of `RemoteInbox.check`: the assistant found, one thread listed."""
        wanted = yield from self.ready()
        yield Call(
            "threads", "search", kwargs={"metadata": wanted, "limit": 1, "select": ["thread_id"]}
        )

    def values(self, thread_id: str, checkpoint_id: str | None) -> Steps[Any]:
        """The plan of `RemoteInbox.values`: the thread's state values, or None."""
        kwargs = {"checkpoint_id": checkpoint_id} if checkpoint_id else {}
        try:
            state = yield Call("threads", "get_state", (thread_id,), kwargs)
        except ServerError as exc:
            if exc.status_code in (404, 422):
                return None  # no such thread (or checkpoint): nothing to show
            raise
        return (state or {}).get("values")
