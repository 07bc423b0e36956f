"""Pages of a deployment's listing: positions, cursors, and when enough has been read.

Pure values and functions, no I/O (the reading is `_remote`'s). The server lists threads
by `updated_at`, oldest first, and has no keyset filter, so a page is read from the start
of that listing until its result cannot change any more: a request's position is its
thread's `updated_at`, then its thread id, then its interrupt id, and once a listing page
ends at time T, every request of a thread that changed before T has been read ("settled").
A cursor names a position, as the local inbox's cursors do (`store._cursor`), with the time in
place of the checkpoint id; a cursor of the local inbox is refused, and so is one made for
other filters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timezone
from typing import TYPE_CHECKING

from ..core._errors import InvalidCursorError
from ..store._cursor import Filters, Page, Position, decode_cursor, encode_cursor, keeps
from ._bounds import Bounds
from ._bounds import bounds as checked_bounds

if TYPE_CHECKING:
    from ..core._pending import PendingInterrupt
    from ._remote_wire import ThreadRecord

__all__ = ["Bounds", "Listing", "bounds", "stamp_of"]

_STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")


def stamp_of(record: ThreadRecord) -> str:
    """The thread's `updated_at` as fixed-width UTC text: sorted as text, sorted in time."""
    moment = record.updated_at
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _decode(cursor: str, filters: Filters) -> Position:
    position = decode_cursor(cursor, filters)
    if position.checkpoint_id and not _STAMP.fullmatch(position.checkpoint_id):
        raise InvalidCursorError(
            f"Cursor {cursor!r} belongs to an inbox of a checkpointer (Inbox(graph)), not "
            "to a deployment's; pass a `Page.next_cursor` or `Page.prev_cursor` of this "
            "inbox's listing with the same filters."
        )
    return position


def bounds(limit: int, after: str | None, before: str | None, filters: Filters) -> Bounds:
    """The checked arguments of a `page` call (`_bounds.bounds`, with this listing's cursors).

    Raises:
        ValueError: `limit` is not a positive int, or both cursors are given.
        InvalidCursorError: A cursor that is malformed, or made for another listing.
    """
    return checked_bounds(limit, after, before, filters, decode=_decode)


@dataclass(slots=True)
class Listing:
    """What a scan of the server's listing has found so far, and how much of it is final."""

    filters: Filters
    found: dict[Position, PendingInterrupt] = field(default_factory=dict)
    edge: str = ""
    """Requests of threads that changed before this time are all read."""
    complete: bool = False
    """The whole listing has been read."""

    def add(self, record: ThreadRecord, items: list[PendingInterrupt]) -> None:
        """Keep the thread's requests that pass the filters."""
        stamp = stamp_of(record)
        for item in items:
            if keeps(item, self.filters):
                self.found[Position(stamp, record.thread_id, item.id)] = item

    def settled(self) -> list[tuple[Position, PendingInterrupt]]:
        """The requests whose place in the listing no unread thread can come before."""
        kept = sorted(self.found.items())
        if self.complete:
            return kept
        return [(p, i) for p, i in kept if p.checkpoint_id < self.edge]

    def first(self, limit: int | None) -> list[PendingInterrupt] | None:
        """The oldest `limit` (all, for None), or None while unread threads may change them."""
        settled = self.settled()
        if self.complete or (limit is not None and len(settled) >= limit):
            return [item for _, item in settled[:limit]]
        return None

    def page(self, at: Bounds) -> Page | None:
        """The page `at` asks for, or None while unread threads may change it."""
        settled = self.settled()
        if at.before is not None:
            edge_passed = self.complete or at.before.checkpoint_id < self.edge
            if not edge_passed:
                return None
            earlier = [pair for pair in settled if pair[0] < at.before]
            if len(earlier) >= at.limit:
                later = len(earlier) < len(settled)
                if not later and not self.complete:
                    return None  # whether anything follows is not known yet
                chosen = earlier[-at.limit :]
                return self._page(chosen, more=later, earlier=len(earlier) > at.limit, at=at)
            # Fewer than a page before it: the first page, as the local inbox gives.
            at = Bounds(filters=at.filters, after=None, before=None, limit=at.limit)
        start = at.after
        rest = [pair for pair in settled if start is None or pair[0] > start]
        if len(rest) <= at.limit and not self.complete:
            return None
        chosen = rest[: at.limit]
        return self._page(
            chosen, more=len(rest) > at.limit, earlier=len(rest) < len(settled), at=at
        )

    def _page(
        self,
        chosen: list[tuple[Position, PendingInterrupt]],
        *,
        more: bool,
        earlier: bool,
        at: Bounds,
    ) -> Page:
        here = at.after or at.before
        last = chosen[-1][0] if chosen else here
        first = chosen[0][0] if chosen else here
        return Page(
            items=[item for _, item in chosen],
            next_cursor=encode_cursor(last, self.filters) if more and last else None,
            prev_cursor=encode_cursor(first, self.filters) if earlier and first else None,
        )
