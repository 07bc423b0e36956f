"""The checked arguments of one listing call: its filters, its cursors decoded, its size.

Both inboxes check them the same way (`bounds`); what a cursor may name differs, so each
passes its own decoder (the remote inbox refuses a checkpointer's cursors: `_remote_page`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..store._cursor import Filters, Position, decode_cursor

__all__ = ["Bounds", "Decoder", "bounds"]

Decoder = Callable[[str, Filters], Position]
"""Reads a cursor made for `Filters` back into its position (raises `InvalidCursorError`)."""


@dataclass(frozen=True, slots=True)
class Bounds:
    """The filters and the decoded cursors of one listing call."""

    filters: Filters
    after: Position | None
    before: Position | None
    limit: int


def bounds(
    limit: int,
    after: str | None,
    before: str | None,
    filters: Filters,
    *,
    decode: Decoder = decode_cursor,
    name: str = "limit",
) -> Bounds:
    """The checked arguments of a listing call (`limit` is named `name` in the error).

    Raises:
        ValueError: `limit` is not a positive int, or both cursors are given.
        InvalidCursorError: A cursor that is malformed, or made for another listing.
    """
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ValueError(f"{name} must be a positive int, got {limit!r}.")
    if after is not None and before is not None:
        raise ValueError(
            f"Pass either after= or before=, not both (got after={after!r}, before={before!r})."
        )
    return Bounds(
        filters=filters,
        after=None if after is None else decode(after, filters),
        before=None if before is None else decode(before, filters),
        limit=limit,
    )
