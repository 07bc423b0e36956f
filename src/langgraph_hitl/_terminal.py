"""The terminal reviewer: `langgraph-hitl inbox`, `review` and `expire`.

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
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, TextIO

from ._checkpointers import open_checkpointer
from ._errors import (
    HITLError,
    InvalidResumeError,
    NoPendingInterruptError,
    RequestExpiredError,
    ResumeConflictError,
    ResumeFailedError,
    UnknownInterruptError,
)
from ._graphref import GraphSpecError, load_graph
from ._inbox import Inbox
from ._validation import schema_key, validate_answer

if TYPE_CHECKING:
    import argparse

    from langgraph.pregel import Pregel

    from ._pending import PendingInterrupt

__all__ = ["PROGRESS_MIN", "Progress", "cmd_expire", "cmd_inbox", "cmd_review"]

PROGRESS_MIN = 200
"""Listings and sweeps of at least this many rows or threads show progress on stderr."""

_KEYS = {"approve": "a", "edit": "e", "reject": "r", "respond": "m"}
_LABELS = {
    "approve": "[a]pprove",
    "edit": "[e]dit",
    "reject": "[r]eject",
    "respond": "respond with a [m]essage",
}


class _EndOfInput(Exception):
    """stdin ran out."""


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
def _graph(args: argparse.Namespace) -> Iterator[Pregel[Any, Any, Any, Any]]:
    with open_checkpointer(args.db) as saver:
        yield load_graph(args.graph, saver)


def _fail(message: str) -> int:
    print(f"langgraph-hitl: error: {message}", file=sys.stderr)
    return 2


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


def _age(item: PendingInterrupt, now: datetime) -> str:
    return _span(now - item.created_at) if item.created_at else "?"


def _expiry(item: PendingInterrupt, now: datetime) -> str:
    if item.expires_at is None:
        return "-"
    if item.expires_at <= now:
        return f"expired {_span(now - item.expires_at)} ago"
    return f"in {_span(item.expires_at - now)}"


def _fields(item: PendingInterrupt) -> Mapping[str, Any]:
    return item.value if isinstance(item.value, Mapping) else {}


def _compact(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, default=str, separators=(", ", ": "))


def _subject(item: PendingInterrupt) -> str:
    """The tool a request is about, or its question."""
    fields = _fields(item)
    if isinstance(fields.get("query"), str):
        return str(fields["query"])
    if isinstance(fields.get("name"), str):
        return str(fields["name"])
    if not fields:
        return _compact(item.value)
    return "-"


def _details(item: PendingInterrupt) -> str:
    fields = _fields(item)
    if "args" in fields:
        return _compact(fields["args"])
    if isinstance(fields.get("name"), str) or isinstance(fields.get("query"), str):
        return ""
    shown = {k: v for k, v in fields.items() if k not in ("type", "expires_at", "on_timeout")}
    return _compact(shown) if shown else ""


def _clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def _table(items: Sequence[PendingInterrupt], now: datetime, width: int) -> list[str]:
    head = ("THREAD", "AGE", "EXPIRES", "TYPE", "TOOL / QUERY", "ARGS")
    rows = [
        (
            item.thread_id or "?",
            _age(item, now),
            _expiry(item, now),
            item.type or "-",
            _subject(item),
            _details(item),
        )
        for item in items
    ]
    caps = (40, 8, 20, 20, 40)
    widths = [min(max(len(head[c]), *(len(r[c]) for r in rows)), caps[c]) for c in range(len(caps))]
    rest = max(width - sum(widths) - 2 * len(widths), 20)
    lines = []
    for row in (head, *rows):
        cells = [_clip(row[c], widths[c]).ljust(widths[c]) for c in range(len(caps))]
        lines.append("  ".join([*cells, _clip(row[-1], rest)]).rstrip())
    return lines


def _as_json(item: PendingInterrupt) -> str:
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
        },
        ensure_ascii=False,
        default=str,
    )


def cmd_inbox(args: argparse.Namespace) -> int:
    """`langgraph-hitl inbox GRAPH --db URL`: the pending requests, oldest first."""
    progress = Progress("listing")
    try:
        with _graph(args) as graph:
            items = Inbox(graph).pending(
                tool=args.tool, type=args.type, thread_id=args.thread, on_progress=progress
            )
    except (GraphSpecError, ImportError) as exc:
        return _fail(str(exc))
    finally:
        progress.close()
    shown = items if args.limit is None else items[: args.limit]
    if args.json:
        for item in shown:
            print(_as_json(item))
        return 0
    if not items:
        print("No pending requests.")
        return 0
    now = datetime.now(timezone.utc)
    for line in _table(shown, now, shutil.get_terminal_size((120, 24)).columns):
        print(line)
    total = f"{len(shown)} of {len(items)}" if len(shown) < len(items) else f"{len(items)}"
    print(f"\n{total} pending request{'s' if len(items) != 1 else ''}, oldest first.")
    return 0


def cmd_expire(args: argparse.Namespace) -> int:
    """`langgraph-hitl expire GRAPH --db URL`: apply the on_timeout answer of overdue requests."""
    progress = Progress("expiring")
    try:
        with _graph(args) as graph:
            done = Inbox(graph).expire(on_progress=progress)
    except (GraphSpecError, ImportError) as exc:
        return _fail(str(exc))
    finally:
        progress.close()
    for item in done:
        print(f"expired {item.id} on thread {item.thread_id} ({_subject(item)})")
    print(f"{len(done)} overdue request{'s' if len(done) != 1 else ''} answered with on_timeout.")
    return 0


# -- reading answers ---------------------------------------------------------------------


@dataclass
class _Console:
    """Prompts on `out`, answers from `inp`; EOF ends the review."""

    inp: TextIO
    out: TextIO

    def say(self, text: str = "") -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def ask(self, prompt: str) -> str:
        self.out.write(prompt)
        self.out.flush()
        line = self.inp.readline()
        if not line:
            raise _EndOfInput
        if not self.inp.isatty():
            # Echo what was read, so a transcript of a scripted review reads as a dialogue.
            self.out.write(line if line.endswith("\n") else line + "\n")
        return line.rstrip("\n")


def _resolve(schema: Mapping[str, Any], node: object) -> Mapping[str, Any] | None:
    """`node`, or the definition its local `$ref` points to."""
    if not isinstance(node, Mapping):
        return None
    ref = node.get("$ref")
    if not isinstance(ref, str):
        return node
    if not ref.startswith("#/"):
        return None
    target: object = schema
    for part in ref[2:].split("/"):
        target = target.get(part) if isinstance(target, Mapping) else None
    return target if isinstance(target, Mapping) else None


def _tags(schema: Mapping[str, Any], node: Mapping[str, Any]) -> list[str]:
    """The values of `type` an object schema (or a union of them) admits."""
    mapping = (node.get("discriminator") or {}).get("mapping")
    if isinstance(mapping, Mapping):
        return [str(tag) for tag in mapping]
    for key in ("oneOf", "anyOf"):
        branches = node.get(key)
        if isinstance(branches, list):
            return [tag for b in branches for tag in _tags(schema, _resolve(schema, b) or {})]
    tag = (node.get("properties") or {}).get("type")
    if isinstance(tag, Mapping):
        if "const" in tag:
            return [str(tag["const"])]
        if isinstance(tag.get("enum"), list):
            return [str(v) for v in tag["enum"]]
    root = _resolve(schema, node) if "$ref" in node else None
    return _tags(schema, root) if root is not None and root is not node else []


def allowed_decisions(item: PendingInterrupt) -> list[str] | None:
    """The decisions a request admits, when it is a tool approval; None otherwise."""
    fields = _fields(item)
    listed = fields.get("allowed_decisions")
    if isinstance(listed, list) and listed and all(d in _KEYS for d in listed):
        return [str(d) for d in listed]
    schema = item.response_schema
    if schema is None:
        return list(_KEYS) if fields.get("type") == "tool_approval" else None
    tags = _tags(schema, schema)
    if tags and all(tag in _KEYS for tag in tags):
        return [tag for tag in _KEYS if tag in tags]
    return None


def text_field(schema: Mapping[str, Any] | None) -> str | None:
    """The one string field of an object schema (`HumanReply.data`), if it has exactly one."""
    if schema is None:
        return None
    root = _resolve(schema, schema)
    props = root.get("properties") if root is not None else None
    if not isinstance(props, Mapping) or len(props) != 1:
        return None
    ((name, prop),) = props.items()
    prop = _resolve(schema, prop)
    return str(name) if prop is not None and prop.get("type") == "string" else None


def _json(text: str) -> tuple[bool, object]:
    try:
        return True, json.loads(text)
    except ValueError:
        return False, None


@dataclass
class _Review:
    console: _Console
    inbox: Inbox[Any]
    reviewer: str | None
    answered: int = 0
    skipped: int = 0
    taken: int = 0
    seen: set[str] = field(default_factory=set)

    # What a request asks for --------------------------------------------------------

    def show(self, item: PendingInterrupt, n: int, total: int, now: datetime) -> None:
        say = self.console.say
        fields = _fields(item)
        say(f"── Request {n} of {total} " + "─" * 40)
        say(f"thread:      {item.thread_id}")
        say(f"type:        {item.type or '-'}")
        say(f"raised:      {_age(item, now)} ago")
        if item.expires_at is not None:
            say(f"expires:     {_expiry(item, now)} ({item.expires_at.isoformat()})")
        if "name" in fields:
            say(f"tool:        {fields['name']}")
        if "args" in fields:
            say(f"args:        {_compact(fields['args'])}")
        if isinstance(fields.get("description"), str):
            lines = str(fields["description"]).splitlines() or [""]
            say(f"description: {lines[0]}")
            for line in lines[1:]:
                say(f"             {line}")
        if isinstance(fields.get("query"), str):
            say(f"query:       {fields['query']}")
        if isinstance(fields.get("reviewers"), list):
            say(f"reviewers:   {', '.join(map(str, fields['reviewers']))}")
        if not fields or not {"name", "args", "query", "description"} & set(fields):
            say(f"value:       {_compact(item.value)}")

    # Asking ---------------------------------------------------------------------------

    def _reviewer_for(self, item: PendingInterrupt) -> str | None:
        names = _fields(item).get("reviewers")
        if not isinstance(names, list) or not names:
            return self.reviewer
        while self.reviewer not in names:
            if self.reviewer is not None:
                self.console.say(f"{self.reviewer!r} may not decide this request.")
            self.reviewer = self.console.ask(f"Reviewer ({', '.join(map(str, names))}): ").strip()
        return self.reviewer

    def _signed(self, decision: dict[str, Any], item: PendingInterrupt) -> dict[str, Any]:
        reviewer = self._reviewer_for(item)
        schema = item.response_schema
        if reviewer and (schema is None or '"reviewer"' in schema_key(schema)):
            decision["reviewer"] = reviewer
        return decision

    def decide(self, item: PendingInterrupt, allowed: Sequence[str]) -> object | None:
        """A decision (not yet validated); None to skip. Raises _Quit to stop."""
        labels = ", ".join(_LABELS[d] for d in allowed)
        keys = {_KEYS[d]: d for d in allowed} | {d: d for d in allowed}
        while True:
            choice = self.console.ask(f"Decision: {labels}, [s]kip, [q]uit? ").strip().lower()
            if choice in ("s", "skip"):
                return None
            if choice in ("q", "quit"):
                raise _Quit
            kind = keys.get(choice)
            if kind is None:
                self.console.say(f"Please type one of: {', '.join(sorted(keys))}, s, q.")
                continue
            decision = self._decision(item, kind)
            if decision is not None:
                return self._signed(decision, item)

    def _decision(self, item: PendingInterrupt, kind: str) -> dict[str, Any] | None:
        fields = _fields(item)
        if kind == "approve":
            return {"type": "approve"}
        if kind == "edit":
            self.console.say(f"Current args: {_compact(fields.get('args', {}))}")
            while True:
                text = self.console.ask("New args (JSON object; empty line to go back): ").strip()
                if not text:
                    return None
                ok, args = _json(text)
                if ok and isinstance(args, dict):
                    name = fields.get("name")
                    return {"type": "edit", "edited_action": {"name": name, "args": args}}
                self.console.say('That is not a JSON object, e.g. {"to": "ada@example.com"}.')
        if kind == "reject":
            message = self.console.ask("Reason for the model (optional, empty for none): ")
            return {"type": "reject", **({"message": message} if message.strip() else {})}
        while True:
            message = self.console.ask("Message (the tool's result for the model): ")
            if message.strip():
                return {"type": "respond", "message": message}
            self.console.say("A response needs a message.")

    def answer(self, item: PendingInterrupt) -> object | None:
        """A free answer (not yet validated); None to skip. Raises _Quit to stop."""
        schema = item.response_schema
        name = text_field(schema)
        if name is not None:
            prompt = "Answer (text, or a JSON object; /skip, /quit): "
        elif schema is None:
            prompt = "Answer (JSON, or text; /skip, /quit): "
        else:
            prompt = "Answer (JSON matching the schema; /skip, /quit): "
            self.console.say(f"schema:      {_compact(schema)}")
        while True:
            text = self.console.ask(prompt)
            command = text.strip().lower()
            if command == "/skip":
                return None
            if command == "/quit":
                raise _Quit
            if not text.strip():
                self.console.say("Please type an answer (or /skip).")
                continue
            ok, parsed = _json(text)
            if name is not None:
                return parsed if ok and isinstance(parsed, dict) else {name: text}
            if ok:
                return parsed
            if schema is None or schema.get("type") == "string":
                return text
            self.console.say("That is not JSON; this request takes a JSON answer.")

    # Sending --------------------------------------------------------------------------

    def review(self, item: PendingInterrupt) -> None:
        allowed = allowed_decisions(item)
        while True:
            answer = self.decide(item, allowed) if allowed else self.answer(item)
            if answer is None:
                self.skipped += 1
                self.console.say("Skipped.")
                return
            try:
                sent = validate_answer(answer, item.response_schema, interrupt_id=item.id)
            except InvalidResumeError as exc:
                self._refused(exc)
                continue
            if self.send(item, sent):
                return

    def _refused(self, exc: InvalidResumeError) -> None:
        self.console.say("Not a valid answer, nothing was sent:")
        for error in exc.errors or ():
            self.console.say(f"  - {error}")
        if not exc.errors:
            self.console.say(f"  {exc}")
        self.console.say("Please answer again.")

    def send(self, item: PendingInterrupt, answer: object) -> bool:
        """Send a valid answer; False when it must be asked again."""
        assert item.thread_id is not None
        say = self.console.say
        try:
            output = self.inbox.resume(
                item.thread_id, {item.id: answer}, expect_checkpoint=item.checkpoint_id
            )
        except InvalidResumeError as exc:
            self._refused(exc)
            return False
        except (ResumeConflictError, UnknownInterruptError, NoPendingInterruptError) as exc:
            self.taken += 1
            say(f"Not sent: another reviewer answered this request first ({exc})")
            return True
        except RequestExpiredError as exc:
            self.skipped += 1
            say(f"Not sent: {exc}")
            return True
        except ResumeFailedError as exc:
            self.skipped += 1
            say(f"The graph failed with this answer; it was taken back and waits again: {exc}")
            return True
        except (HITLError, Exception) as exc:
            self.skipped += 1
            say(f"The graph failed: {type(exc).__name__}: {exc}")
            return True
        self.answered += 1
        more = len(output.interrupts)
        after = (
            f"the thread now waits for {more} more request{'s' if more != 1 else ''}"
            if more
            else "the thread went on"
        )
        say(f"Sent: {after}.")
        return True


class _Quit(Exception):
    """The reviewer asked to stop."""


def _walk(session: _Review, thread: str | None) -> None:
    console = session.console
    while True:
        items = [i for i in session.inbox.pending(thread_id=thread) if i.id not in session.seen]
        if not items:
            return
        for n, item in enumerate(items, 1):
            session.seen.add(item.id)
            now = datetime.now(timezone.utc)
            assert item.thread_id is not None
            still = {p.id for p in session.inbox.pending(thread_id=item.thread_id)}
            if item.id not in still:
                session.taken += 1
                console.say(f"(request {item.id} on {item.thread_id} was answered meanwhile)")
                continue
            session.show(item, n, len(items), now)
            if item.expires_at is not None and item.expires_at <= now:
                session.skipped += 1
                console.say(
                    "Expired: a human answer is no longer accepted; its on_timeout answer "
                    "applies (`langgraph-hitl expire`)."
                )
                continue
            session.review(item)
            console.say()


def cmd_review(
    args: argparse.Namespace, *, stdin: TextIO | None = None, stdout: TextIO | None = None
) -> int:
    """`langgraph-hitl review GRAPH --db URL [--thread ID]`: answer pending requests."""
    console = _Console(stdin or sys.stdin, stdout or sys.stdout)
    try:
        with _graph(args) as graph:
            session = _Review(console, Inbox(graph), args.reviewer)
            try:
                _walk(session, args.thread)
            except _Quit:
                console.say("Stopped.")
            except _EndOfInput:
                console.say("\nEnd of input: stopped; nothing was sent for the request shown.")
            except KeyboardInterrupt:
                console.say("\nInterrupted: nothing was sent for the request shown.")
                return 130
    except (GraphSpecError, ImportError) as exc:
        return _fail(str(exc))
    if session.answered + session.skipped + session.taken == 0:
        console.say(
            "No pending requests."
            if args.thread is None
            else f"No pending requests on thread {args.thread!r}."
        )
    else:
        console.say(
            f"Answered {session.answered}, skipped {session.skipped}, "
            f"answered by others {session.taken}."
        )
    return 0
