"""What failed for good: `failed_deliveries`, for the inbox's and web reviewer's column."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..core._errors import InvalidChannelError
from ._outbox_sql import Step
from ._store import adb_for, db_for

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ._outbox_sql import Row

__all__ = ["afailed_deliveries", "failed_deliveries"]


def _saver_of(graph_or_saver: object) -> object:
    saver = getattr(graph_or_saver, "checkpointer", graph_or_saver)
    if saver is None or saver is True or not hasattr(saver, "get_tuple"):
        raise InvalidChannelError(
            f"{graph_or_saver!r} is neither a compiled graph with a checkpointer nor a "
            "checkpointer (e.g. SqliteSaver, PostgresSaver)."
        )
    return saver


def _reasons(rows: Sequence[Row]) -> dict[str, str]:
    reasons: dict[str, list[str]] = {}
    for interrupt_id, event, channel, attempts, error in rows:
        tries = f"{attempts} attempt{'s' if attempts != 1 else ''}"
        reasons.setdefault(str(interrupt_id), []).append(
            f"{event} via {str(channel).split(':', 1)[0]}: {error} ({tries})"
        )
    return {k: "; ".join(v) for k, v in reasons.items()}


def failed_deliveries(graph_or_saver: object) -> dict[str, str]:
    """Why notifications about still-open requests failed for good: interrupt id -> reason.

    For the inbox's and the web reviewer's "notification failed" column. Requests that
    are answered since are not listed. Creates nothing: on a database no sweep ran on,
    this is `{}`.
    """
    db = db_for(_saver_of(graph_or_saver))
    # A read: on a database no sweep ran on, nothing failed, and no table is made.
    if not db.exists():
        return {}
    return _reasons(db.run((Step(db.dialect.failed()),)))


async def afailed_deliveries(graph_or_saver: object) -> dict[str, str]:
    """Async twin of `failed_deliveries`."""
    db = await adb_for(_saver_of(graph_or_saver))
    if not await db.exists():
        return {}
    return _reasons(await db.run((Step(db.dialect.failed()),)))
