"""What a listing is about: its filters, a request's position, a page, and the cursor.

Pure values and functions, shared by the SQL listing (`_listing`) and the in-memory one
(`page_of`, for checkpointers without tables to query).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..core._errors import InvalidCursorError

if TYPE_CHECKING:
    from ..core._pending import PendingInterrupt

__all__ = [
    "Filters",
    "Page",
    "Position",
    "decode_cursor",
    "encode_cursor",
    "keeps",
    "kind_of",
    "page_of",
    "position_of",
    "tool_of",
]


@dataclass(frozen=True, slots=True)
class Filters:
    """The filters of one listing; a cursor is valid only for the filters it was made for."""

    tool: str | None = None
    type: str | None = None
    thread_id: str | None = None

    def describe(self) -> str:
        return f"tool={self.tool!r}, type={self.type!r}, thread_id={self.thread_id!r}"


@dataclass(frozen=True, order=True, slots=True)
class Position:
    """Where a request sits in the listing: oldest checkpoint first, then thread, then id."""

    checkpoint_id: str
    thread_id: str
    interrupt_id: str


def position_of(item: PendingInterrupt) -> Position:
    """The position of a listed request."""
    return Position(item.checkpoint_id or "", item.thread_id or "", item.id)


@dataclass(frozen=True, kw_only=True, slots=True)
class Page:
    """One page of the inbox, oldest first, with the cursors of its neighbours."""

    items: list[PendingInterrupt]
    """The requests of this page, oldest first."""
    next_cursor: str | None
    """Pass as `after=` for the next page; None when nothing comes after this page."""
    prev_cursor: str | None
    """Pass as `before=` for the previous page; None when nothing comes before it."""


_CURSOR_PREFIX = "c1."


def encode_cursor(position: Position, filters: Filters) -> str:
    """An opaque cursor: the position and the filters it belongs to, base64url JSON."""
    fields = [position.checkpoint_id, position.thread_id, position.interrupt_id]
    raw = json.dumps([*fields, filters.tool, filters.type, filters.thread_id])
    text = base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")
    return _CURSOR_PREFIX + text


def decode_cursor(cursor: object, filters: Filters) -> Position:
    """The position a cursor names, checked against the listing's filters.

    Raises:
        InvalidCursorError: Not a cursor of this library, or made for other filters.
    """
    accepted = (
        "a `Page.next_cursor` or `Page.prev_cursor` of an inbox listing with the same "
        f"filters ({filters.describe()})"
    )
    if not isinstance(cursor, str) or not cursor.startswith(_CURSOR_PREFIX):
        raise InvalidCursorError(f"Cursor {cursor!r} is not an inbox cursor; pass {accepted}.")
    body = cursor[len(_CURSOR_PREFIX) :]
    try:
        fields = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        fields = None
    if (
        not isinstance(fields, list)
        or len(fields) != 6
        or not all(isinstance(f, str) for f in fields[:3])
        or not all(f is None or isinstance(f, str) for f in fields[3:])
    ):
        raise InvalidCursorError(f"Cursor {cursor!r} is malformed; pass {accepted}.")
    made_for = Filters(fields[3], fields[4], fields[5])
    if made_for != filters:
        raise InvalidCursorError(
            f"Cursor {cursor!r} was made for the listing with {made_for.describe()}, not "
            f"for this one; pass {accepted}."
        )
    return Position(fields[0], fields[1], fields[2])


def tool_of(value: object) -> str | None:
    name = value.get("name") if isinstance(value, Mapping) else None
    return name if isinstance(name, str) else None


def kind_of(value: object) -> str | None:
    kind = value.get("type") if isinstance(value, Mapping) else None
    return kind if isinstance(kind, str) else None


def keeps(item: PendingInterrupt, filters: Filters) -> bool:
    return (
        (filters.type is None or item.type == filters.type)
        and (filters.thread_id is None or item.thread_id == filters.thread_id)
        and (filters.tool is None or tool_of(item.value) == filters.tool)
    )


def page_of(
    items: Sequence[PendingInterrupt],
    filters: Filters,
    *,
    after: Position | None,
    before: Position | None,
    limit: int,
) -> tuple[list[PendingInterrupt], bool, bool]:
    """A page of a listing read in full (checkpointers without SQL): items, more, earlier."""
    kept = sorted((i for i in items if keeps(i, filters)), key=position_of)
    if before is not None:
        earlier = [i for i in kept if position_of(i) < before]
        if len(earlier) >= limit:  # else the first page, as the SQL listing gives
            chosen = earlier[-limit:]
            return chosen, len(earlier) < len(kept), len(earlier) > len(chosen)
        after = None
    later_ = [i for i in kept if after is None or position_of(i) > after]
    return later_[:limit], len(later_) > limit, len(later_) < len(kept)
