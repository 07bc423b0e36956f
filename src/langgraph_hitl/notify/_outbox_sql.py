"""The outbox's table and every statement on it, written once for SQLite and PostgreSQL.

```
hitl_notifications(thread_id, interrupt_id, event, channel) -> tool_call_id, expires_at,
    payload, status, attempts, next_at, owner, error, closed, updated_at
```

`status` is `sending` (claimed by `owner` until `next_at`), `retry` (due again at
`next_at`), `armed` (a `request.expired` waiting to be claimed), `sent` or `failed`.
A row whose `channel` is `''` (`MARKER`) is no delivery: `Inbox.expire()` leaves it when
it answers a request, and the next sweep arms that request's `request.expired` on each
of its channels, then marks it `sent`.

A delivery is claimed by one upsert before it is sent: a row that is absent, due for
a retry, armed, or whose sender's claim ran out (it died) becomes `sending` for the
claimer; any other row is left alone, and is not returned to it. So
two sweepers never hold one delivery at once, and a sweeper killed mid-delivery leaves
claims that the next sweep takes over once they run out. `payload` is written by the
first claim and never changed, so every repeat sends the same body. `closed` rows
belong to requests that are finished with: sweeps read only open rows, and purge closed
ones once their `updated_at` (the time they were closed or last delivered) is older
than the retention.

What differs between the two databases is a `Dialect`; a `Step` is one statement with
its parameters, which the executors of `_store.py` run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["MARKER", "POSTGRES", "SQLITE", "TABLE", "Dialect", "Row", "Step"]

TABLE = "hitl_notifications"
MARKER = ""
"""The `channel` of the row `Inbox.expire()` leaves for a request it answered."""

COLUMNS = (
    "thread_id",
    "interrupt_id",
    "event",
    "channel",
    "tool_call_id",
    "expires_at",
    "payload",
    "status",
    "attempts",
    "next_at",
    "owner",
    "error",
    "closed",
    "updated_at",
)


@dataclass(frozen=True, slots=True)
class Dialect:
    """What differs between SQLite and PostgreSQL in the statements below."""

    mark: str
    real: str
    probe: str

    def create(self) -> str:
        return (
            f"CREATE TABLE IF NOT EXISTS {TABLE} ("
            "thread_id TEXT NOT NULL, interrupt_id TEXT NOT NULL, event TEXT NOT NULL, "
            f"channel TEXT NOT NULL, tool_call_id TEXT, expires_at {self.real}, "
            "payload TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL, "
            f"next_at {self.real} NOT NULL, owner TEXT, error TEXT, "
            f"closed INTEGER NOT NULL DEFAULT 0, updated_at {self.real} NOT NULL, "
            "PRIMARY KEY (thread_id, interrupt_id, event, channel))"
        )

    def indexes(self) -> tuple[str, ...]:
        return (
            f"CREATE INDEX IF NOT EXISTS {TABLE}_open ON {TABLE} (closed, thread_id, interrupt_id)",
            # The purge reads the oldest closed rows.
            f"CREATE INDEX IF NOT EXISTS {TABLE}_done ON {TABLE} (closed, updated_at)",
        )

    def exists(self) -> str:
        """One row whose only value is 1 when the outbox table exists, else 0."""
        return self.probe

    def open_rows(self) -> str:
        return (
            "SELECT thread_id, interrupt_id, event, channel, status, attempts, next_at, "
            f"tool_call_id, expires_at, payload FROM {TABLE} WHERE closed = 0"
        )

    def _insert(self, rows: int, status: str, attempts: str, next_at: str, owner: str) -> str:
        """`INSERT` of `rows` new rows (7 given columns, then these), up to its conflict."""
        m = self.mark
        given = ", ".join([m] * 7)
        one = f"({given}, '{status}', {attempts}, {next_at}, {owner}, NULL, 0, {m})"
        return (
            f"INSERT INTO {TABLE} ({', '.join(COLUMNS)}) VALUES {', '.join([one] * rows)} "
            "ON CONFLICT (thread_id, interrupt_id, event, channel) DO "
        )

    def claim(self, rows: int) -> str:
        m = self.mark
        return (
            self._insert(rows, "sending", "1", m, m) + "UPDATE SET "
            "status = 'sending', "
            f"attempts = {TABLE}.attempts + 1, next_at = excluded.next_at, "
            "owner = excluded.owner, updated_at = excluded.updated_at "
            f"WHERE {TABLE}.closed = 0 AND ({TABLE}.status = 'armed' OR "
            f"({TABLE}.status IN ('sending', 'retry') AND {TABLE}.next_at <= {m})) "
            "RETURNING thread_id, interrupt_id, event, channel, payload, attempts"
        )

    def arm(self, rows: int) -> str:
        return self._insert(rows, "armed", "0", "0", "NULL") + "NOTHING"

    def record(self) -> str:
        m = self.mark
        # A request.expired closes once delivered or failed; a row another sweep closed
        # meanwhile (its request went while it was being sent) stays closed.
        return (
            f"UPDATE {TABLE} SET status = {m}, next_at = {m}, error = {m}, owner = NULL, "
            f"closed = CASE WHEN {m} = 1 THEN 1 ELSE {TABLE}.closed END, updated_at = {m} "
            f"WHERE thread_id = {m} AND interrupt_id = {m} AND event = {m} AND channel = {m} "
            f"AND owner = {m}"
        )

    def renew(self) -> str:
        m = self.mark
        return f"UPDATE {TABLE} SET next_at = {m} WHERE owner = {m} AND status = 'sending'"

    def close(self) -> str:
        m = self.mark
        # A request.expired row closes itself once delivered (or failed), not before.
        return (
            f"UPDATE {TABLE} SET closed = 1, updated_at = {m} "
            f"WHERE thread_id = {m} AND interrupt_id = {m} AND closed = 0 "
            "AND (event <> 'request.expired' OR status IN ('sent', 'failed'))"
        )

    def consume(self) -> str:
        m = self.mark
        return (
            f"UPDATE {TABLE} SET status = 'sent', closed = 1, updated_at = {m} "
            f"WHERE thread_id = {m} AND interrupt_id = {m} AND event = 'request.expired' "
            f"AND channel = '{MARKER}' AND closed = 0"
        )

    def purgeable(self, limit: int) -> str:
        m = self.mark
        # Closed rows only: their requests are gone, and no sweep reads them again. A
        # row still claimed (`sending`) waits for its claim to run out as well.
        return (
            f"SELECT thread_id, interrupt_id, event, channel FROM {TABLE} "
            f"WHERE closed = 1 AND updated_at <= {m} AND (status <> 'sending' OR next_at <= {m}) "
            f"ORDER BY updated_at LIMIT {int(limit)}"
        )

    def purge(self) -> str:
        m = self.mark
        return (
            f"DELETE FROM {TABLE} WHERE thread_id = {m} AND interrupt_id = {m} AND event = {m} "
            f"AND channel = {m} AND closed = 1 AND updated_at <= {m}"
        )

    def failed(self) -> str:
        return (
            "SELECT interrupt_id, event, channel, attempts, error FROM "
            f"{TABLE} WHERE status = 'failed' AND closed = 0 ORDER BY updated_at"
        )


SQLITE = Dialect(
    mark="?",
    real="REAL",
    probe=f"SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '{TABLE}'",
)
POSTGRES = Dialect(
    mark="%s",
    real="DOUBLE PRECISION",
    probe=f"SELECT CASE WHEN to_regclass('{TABLE}') IS NULL THEN 0 ELSE 1 END",
)


Row = tuple[Any, ...]
"""A row a statement returned (its values are what the database holds)."""


@dataclass(frozen=True, slots=True)
class Step:
    """One statement; `many` runs it once per parameter row."""

    sql: str
    params: Sequence[Any] = ()
    many: bool = False
