"""The terminal reviewer: `langgraph-hitl inbox`, `review` (in `_review`) and `expire`.

`inbox` prints what waits for a human across all threads, as a table (or JSON lines);
`review` walks through it, asks for each request's decision or answer on stdin, and sends
it only once it fits the request's schema; `expire` applies the `on_timeout` answer of
every overdue request (for a cron job). Everything is read from stdin and written to
stdout, so the commands run without a terminal too (scripts, tests); a progress line goes
to stderr while a long listing or sweep runs.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TextIO

from ..core import _clock as clock
from ..core._display import HIDDEN_WARNING, has_hidden, visible
from ..core._graphref import load_graph
from ..graph._checkpointers import open_checkpointer
from ..inbox._inbox import Inbox
from ..notify import failed_deliveries
from ._remote import UsageError

if TYPE_CHECKING:
    import argparse
    from datetime import datetime, timedelta

    from langgraph.pregel import Pregel

    from ..core._pending import PendingInterrupt
    from ..inbox._remote import RemoteInbox

__all__ = [
    "PROGRESS_MIN",
    "Progress",
    "age_of",
    "cmd_expire",
    "cmd_inbox",
    "compact",
    "expiry_of",
    "fields_of",
    "hidden",
    "open_graph",
    "open_inbox",
]

PROGRESS_MIN = 200
"""Listings and sweeps of at least this many rows or threads show progress on stderr."""


class Progress:
    """Prints `label: done/total` on `stream` while a long listing or sweep runs.

    On a terminal the line is rewritten in place; elsewhere a line is printed at each
    tenth of the way. Nothing is printed for fewer than `minimum` items.
    """

    def __init__(self, label: str, *, stream: TextIO | None = None, minimum: int = PROGRESS_MIN):
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.minimum = minimum
        self._tty = self.stream.isatty()
        self._shown = -1
        self._open = False

    def __call__(self, done: int, total: int) -> None:
        if total < self.minimum:
            return
        if self._tty:
            self.stream.write(f"\r{self.label}: {done}/{total}")
            self._open = done < total
            if not self._open:
                self.stream.write("\n")
        else:
            tenth = done * 10 // total
            if tenth == self._shown:
                return
            self._shown = tenth
            self.stream.write(f"{self.label}: {done}/{total}\n")
        self.stream.flush()

    def close(self) -> None:
        """End a line left open on a terminal."""
        if self._open:
            self.stream.write("\n")
            self._open = False


@contextmanager
def open_graph(args: argparse.Namespace) -> Iterator[Pregel[Any, Any, Any, Any]]:
    # A reviewer command never creates a database: a typo must not look like an empty inbox.
    with open_checkpointer(args.db, create=False) as saver:
        yield load_graph(args.graph, saver)


@contextmanager
def open_inbox(args: argparse.Namespace) -> Iterator[Inbox[Any] | RemoteInbox]:
    """The inbox the options name: a deployment's (`--url`), or a graph's (`GRAPH --db`)."""
    if getattr(args, "url", None) is not None:
        from ._remote import remote_inbox

        with remote_inbox(args) as remote:
            yield remote
    else:
        with open_graph(args) as graph:
            yield Inbox(graph)


# -- showing requests --------------------------------------------------------------------


def _span(delta: timedelta) -> str:
    seconds = int(abs(delta.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    if minutes:
        return f"{minutes}m {seconds}s" if minutes < 10 else f"{minutes}m"
    return f"{seconds}s"


def age_of(item: PendingInterrupt, now: datetime) -> str:
    return _span(now - item.created_at) if item.created_at else "?"


def expiry_of(item: PendingInterrupt, now: datetime) -> str:
    if item.expires_at is None:
        return "-"
    if item.expires_at <= now:
        return f"expired {_span(now - item.expires_at)} ago"
    return f"in {_span(item.expires_at - now)}"


def fields_of(item: PendingInterrupt) -> Mapping[str, Any]:
    return item.value if isinstance(item.value, Mapping) else {}


def compact(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, default=str, separators=(", ", ": "))


def _subject(item: PendingInterrupt) -> str:
    """The tool a request is about, or its question."""
    fields = fields_of(item)
    if isinstance(fields.get("query"), str):
        return str(fields["query"])
    if isinstance(fields.get("name"), str):
        return str(fields["name"])
    if not fields:
        return compact(item.value)
    return "-"


def _details(item: PendingInterrupt) -> str:
    fields = fields_of(item)
    if "args" in fields:
        return compact(fields["args"])
    if isinstance(fields.get("name"), str) or isinstance(fields.get("query"), str):
        return ""
    shown = {k: v for k, v in fields.items() if k not in ("type", "expires_at", "on_timeout")}
    return compact(shown) if shown else ""


def _clip(text: str, width: int) -> str:
    # Hidden characters first: split() would also eat some of them (U+001C-U+001F, U+2028).
    text = " ".join(visible(text).split())
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def _table(
    items: Sequence[PendingInterrupt],
    now: datetime,
    width: int,
    failed: Mapping[str, str] | None = None,
) -> list[str]:
    head: tuple[str, ...] = ("THREAD", "AGE", "EXPIRES", "TYPE", "TOOL / QUERY", "ARGS")
    rows: list[tuple[str, ...]] = [
        tuple(
            visible(cell)
            for cell in (
                item.thread_id or "?",
                age_of(item, now),
                expiry_of(item, now),
                item.type or "-",
                _subject(item),
                _details(item),
            )
        )
        for item in items
    ]
    caps: tuple[int, ...] = (40, 8, 20, 20, 40)
    if failed:  # some request's notification failed for good (langgraph_hitl.notify)
        head, caps = (*head[:3], "NOTIFY", *head[3:]), (*caps[:3], 6, *caps[3:])
        marks = ["failed" if item.id in failed else "-" for item in items]
        rows = [(*r[:3], mark, *r[3:]) for r, mark in zip(rows, marks, strict=True)]
    widths = [min(max(len(head[c]), *(len(r[c]) for r in rows)), caps[c]) for c in range(len(caps))]
    rest = max(width - sum(widths) - 2 * len(widths), 20)
    lines = []
    for row in (head, *rows):
        cells = [_clip(row[c], widths[c]).ljust(widths[c]) for c in range(len(caps))]
        lines.append("  ".join([*cells, _clip(row[-1], rest)]).rstrip())
    flagged = [item for item in items if hidden(item)]
    if flagged:
        lines.append("")
        lines.extend(
            f"! {visible(str(item.thread_id))} ({item.id}): {HIDDEN_WARNING}, shown as <U+XXXX>"
            for item in flagged
        )
    return lines


def hidden(item: PendingInterrupt) -> bool:
    """Whether a request shows a hidden character anywhere a reviewer reads it."""
    return has_hidden([item.value, item.thread_id])


def _as_json(item: PendingInterrupt, failed: Mapping[str, str]) -> str:
    return json.dumps(
        {
            "thread_id": item.thread_id,
            "id": item.id,
            "type": item.type,
            "node": item.node,
            "path": list(item.path),
            "created_at": item.created_at.isoformat() if item.created_at else None,
            "expires_at": item.expires_at.isoformat() if item.expires_at else None,
            "checkpoint_id": item.checkpoint_id,
            "value": item.value,
            "response_schema": item.response_schema,
            "hidden_characters": hidden(item),
            "notification_failed": failed.get(item.id),
        },
        ensure_ascii=False,
        default=str,
    )


def cmd_inbox(args: argparse.Namespace) -> int:
    """`langgraph-hitl inbox GRAPH --db URL [--limit N [--after CURSOR]]`: pending requests.

    With `--limit`, one page, the total, and the cursor of the next page (read in SQL, so a
    page costs the same at any size); without it, every request.
    """
    if args.after is not None and args.limit is None:
        raise UsageError("--after needs --limit: it names the page after a cursor.")
    filters = {"tool": args.tool, "type": args.type, "thread_id": args.thread}
    progress = Progress("listing")
    more: str | None = None
    try:
        with open_inbox(args) as inbox:
            if isinstance(inbox, Inbox):
                if args.limit is None:
                    items = inbox.pending(**filters, on_progress=progress)
                    total = len(items)
                else:
                    page = inbox.page(limit=args.limit, after=args.after, **filters)
                    items, total, more = page.items, inbox.count(**filters), page.next_cursor
                # Failed notifications are kept in a graph's own database.
                failed = failed_deliveries(inbox.graph)
            else:  # a deployment: the server lists, a page is a slice of its listing
                if args.after is not None:
                    raise UsageError("--after is for GRAPH --db inboxes; with --url use --limit.")
                everything = inbox.pending(**filters, on_progress=progress)
                total = len(everything)
                items = everything if args.limit is None else everything[: args.limit]
                failed = {}
    finally:
        progress.close()
    if args.json:
        for item in items:
            print(_as_json(item, failed))
        if more is not None:
            print(f"next page: --after {more}", file=sys.stderr)
        return 0
    if not items:
        print("No pending requests." if args.after is None else "No more pending requests.")
        return 0
    now = clock.now()
    for line in _table(items, now, shutil.get_terminal_size((120, 24)).columns, failed):
        print(line)
    shown = f"{len(items)} of {total}" if len(items) < total else f"{total}"
    print(f"\n{shown} pending request{'s' if total != 1 else ''}, oldest first.")
    if more is not None:
        print(f"Next page: --limit {args.limit} --after {more}")
    return 0


def cmd_expire(args: argparse.Namespace) -> int:
    """`langgraph-hitl expire GRAPH --db URL`: apply the on_timeout answer of overdue requests."""
    progress = Progress("expiring")
    try:
        with open_inbox(args) as inbox:
            done = inbox.expire(on_progress=progress)
    finally:
        progress.close()
    for item in done:
        where = visible(str(item.thread_id))
        print(f"expired {item.id} on thread {where} ({_clip(_subject(item), 80)})")
    print(f"{len(done)} overdue request{'s' if len(done) != 1 else ''} answered with on_timeout.")
    return 0
