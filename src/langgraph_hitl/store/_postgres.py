"""Statement plans on a PostgreSQL cursor: the SQL written once, run sync or async.

A statement plan (claims, the interrupt-write index) yields `(sql, params)` and receives
the statement's first row, or None when it returns none (or no rows at all). `execute`
and `aexecute` run it on a psycopg cursor of the saver's (`dict_row` rows) through the
shared plan drivers (`core._plan`): a statement that fails is raised into the plan at
its `yield`, so the plan's own `try` / `finally` runs.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any, TypeVar

from ..core._plan import adrive, drive

if TYPE_CHECKING:
    from psycopg import AsyncCursor, Cursor
    from psycopg.rows import DictRow

__all__ = ["Row", "Statement", "StatementPlan", "aexecute", "execute"]

T = TypeVar("T")

Statement = tuple[str, tuple[object, ...]]
"""SQL and its parameters."""
Row = dict[str, Any]
"""A row as the saver's cursors read it (`psycopg.rows.dict_row`)."""
StatementPlan = Generator[Statement, "Row | None", T]


def execute(cur: Cursor[DictRow], plan: StatementPlan[T]) -> T:
    """Run `plan` on a sync cursor; what it returns."""

    def do(statement: Statement) -> Row | None:
        cur.execute(*statement)
        return cur.fetchone() if cur.description else None

    return drive(plan, do)


async def aexecute(cur: AsyncCursor[DictRow], plan: StatementPlan[T]) -> T:
    """Run `plan` on an async cursor; what it returns."""

    async def do(statement: Statement) -> Row | None:
        await cur.execute(*statement)
        return await cur.fetchone() if cur.description else None

    return await adrive(plan, do)
