"""`langgraph-hitl review`: walk through pending requests and answer them on stdin.

Each request is shown (tool, arguments, description, expiry; for a question, the query),
then its decision or answer is asked for: an approval offers only the decisions the
request allows, a question takes text into its schema's single string field (or JSON),
anything else takes JSON. The answer is checked against the request's schema before
anything is sent, and asked again when it does not fit. Answers go through
`Inbox.resume`, so a request another reviewer answered first is reported and skipped.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TextIO

from ..answers._validation import schema_key, validate_answer
from ..core import _clock as clock
from ..core._display import HIDDEN_WARNING, visible
from ..core._errors import (
    HITLError,
    InvalidResumeError,
    NoPendingInterruptError,
    RequestExpiredError,
    ResumeConflictError,
    ResumeFailedError,
    UnknownInterruptError,
)
from ..core._jsontext import loads as strict_json
from ..core._schema import resolve, tags_of
from ..inbox._inbox import Inbox
from ..tools._requests import approvals_text
from ._terminal import age_of, compact, expiry_of, fields_of, hidden, open_inbox

if TYPE_CHECKING:
    import argparse
    from collections.abc import Iterator, Sequence
    from datetime import datetime

    from ..core._pending import PendingInterrupt
    from ..inbox._remote import RemoteInbox

__all__ = ["allowed_decisions", "review", "text_field"]

_KEYS = {"approve": "a", "edit": "e", "reject": "r", "respond": "m"}
_LABELS = {
    "approve": "[a]pprove",
    "edit": "[e]dit",
    "reject": "[r]eject",
    "respond": "respond with a [m]essage",
}


class _EndOfInput(Exception):
    """stdin ran out."""


# -- reading answers ---------------------------------------------------------------------


@dataclass
class _Console:
    """Prompts on `out`, answers from `inp`; EOF ends the review.

    Everything shown goes through `visible`: requests, their schemas and the errors about
    answers all carry text the model or a user wrote.
    """

    inp: TextIO
    out: TextIO

    def say(self, text: str = "") -> None:
        self.out.write(visible(text) + "\n")
        self.out.flush()

    def ask(self, prompt: str) -> str:
        self.out.write(visible(prompt))
        self.out.flush()
        line = self.inp.readline()
        if not line:
            raise _EndOfInput
        if not self.inp.isatty():
            # Echo what was read, so a transcript of a scripted review reads as a dialogue.
            self.out.write(visible(line.rstrip("\n")) + "\n")
        return line.rstrip("\n")


def allowed_decisions(item: PendingInterrupt) -> list[str] | None:
    """The decisions a request admits, when it is a tool approval; None otherwise."""
    fields = fields_of(item)
    listed = fields.get("allowed_decisions")
    if isinstance(listed, list) and listed and all(d in _KEYS for d in listed):
        return [str(d) for d in listed]
    schema = item.response_schema
    if schema is None:
        return list(_KEYS) if fields.get("type") == "tool_approval" else None
    tags = tags_of(schema)
    if tags and all(tag in _KEYS for tag in tags):
        return [tag for tag in _KEYS if tag in tags]
    return None


def text_field(schema: Mapping[str, Any] | None) -> str | None:
    """The one string field of an object schema (`HumanReply.data`), if it has exactly one."""
    if schema is None:
        return None
    props = resolve(schema, schema).get("properties")
    if not isinstance(props, Mapping) or len(props) != 1:
        return None
    ((name, prop),) = props.items()
    return str(name) if resolve(prop, schema).get("type") == "string" else None


def _json(text: str) -> tuple[bool, object]:
    # Strict: NaN, Infinity and absurd nesting are not JSON a schema could accept.
    try:
        return True, strict_json(text)
    except ValueError:
        return False, None


@dataclass
class _Review:
    console: _Console
    inbox: Inbox[Any] | RemoteInbox
    reviewer: str | None
    answered: int = 0
    skipped: int = 0
    taken: int = 0
    seen: dict[str, str] = field(default_factory=dict)
    """Every request shown (or found answered), by id: its thread."""

    # What a request asks for --------------------------------------------------------

    def show(self, item: PendingInterrupt, n: int, total: int, now: datetime) -> None:
        say = self.console.say
        fields = fields_of(item)
        say(f"── Request {n} of {total} " + "─" * 40)
        say(f"thread:      {item.thread_id}")
        say(f"type:        {item.type or '-'}")
        say(f"raised:      {age_of(item, now)} ago")
        if item.expires_at is not None:
            say(f"expires:     {expiry_of(item, now)} ({item.expires_at.isoformat()})")
        if "name" in fields:
            say(f"tool:        {fields['name']}")
        if "args" in fields:
            say(f"args:        {compact(fields['args'])}")
        if isinstance(fields.get("description"), str):
            # split("\n"), not splitlines(): that would also break at hidden characters.
            lines = str(fields["description"]).split("\n")
            say(f"description: {lines[0]}")
            for line in lines[1:]:
                say(f"             {line}")
        if isinstance(fields.get("query"), str):
            say(f"query:       {fields['query']}")
        if isinstance(fields.get("reviewers"), list):
            say(f"reviewers:   {', '.join(map(str, fields['reviewers']))}")
        progress = approvals_text(item.value)
        if progress:
            say(f"approvals:   {progress}")
        if not fields or not {"name", "args", "query", "description"} & set(fields):
            say(f"value:       {compact(item.value)}")
        if hidden(item):
            say(
                f"warning:     this request {HIDDEN_WARNING} (shown as <U+XXXX>): "
                "the text may not be what it seems"
            )

    # Asking ---------------------------------------------------------------------------

    def _reviewer_for(self, item: PendingInterrupt) -> str | None:
        names = fields_of(item).get("reviewers")
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
        fields = fields_of(item)
        if kind == "approve":
            return {"type": "approve"}
        if kind == "edit":
            self.console.say(f"Current args: {compact(fields.get('args', {}))}")
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
            self.console.say(f"schema:      {compact(schema)}")
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


def _listing(
    inbox: Inbox[Any] | RemoteInbox, thread: str | None
) -> tuple[int, Iterator[PendingInterrupt]]:
    """How many wait, and the requests in pages (a deployment's: its server's listing)."""
    if isinstance(inbox, Inbox):
        return inbox.count(thread_id=thread), inbox.iter_pending(thread_id=thread, page_size=50)
    items = inbox.pending(thread_id=thread)
    return len(items), iter(items)


def _still_waiting(session: _Review) -> int:
    """How many of the requests already shown still wait (skipped, or answered in vain)."""
    threads = dict.fromkeys(session.seen.values())
    return sum(
        1
        for t in threads
        for p in session.inbox.pending(thread_id=t)
        if session.seen.get(p.id) == t
    )


def _walk(session: _Review, thread: str | None) -> None:
    console = session.console
    shown = 0
    while True:
        # A page at a time: a million waiting requests are never all held, nor read up front.
        total, listing = _listing(session.inbox, thread)
        # "N of M" goes on across passes: M is what was gone through, and what is left of
        # the count once the requests already seen (and still waiting) are taken out.
        end = shown + max(total - _still_waiting(session), 0)
        items = (i for i in listing if i.id not in session.seen)
        n = 0
        for item in items:
            n += 1
            shown += 1
            assert item.thread_id is not None
            session.seen[item.id] = item.thread_id
            now = clock.now()
            still = {p.id for p in session.inbox.pending(thread_id=item.thread_id)}
            if item.id not in still:
                session.taken += 1
                console.say(f"(request {item.id} on {item.thread_id} was answered meanwhile)")
                continue
            session.show(item, shown, max(end, shown), now)
            if item.expires_at is not None and item.expires_at <= now:
                session.skipped += 1
                console.say(
                    "Expired: a human answer is no longer accepted; its on_timeout answer "
                    "applies (`langgraph-hitl expire`)."
                )
                continue
            session.review(item)
            console.say()
        if n == 0:
            return


def _requests(n: int) -> str:
    return f"{n} request{'s' if n != 1 else ''}"


def review(
    args: argparse.Namespace, *, stdin: TextIO | None = None, stdout: TextIO | None = None
) -> int:
    """Run `langgraph-hitl review` with `args`, reading `stdin` and writing `stdout`."""
    console = _Console(stdin or sys.stdin, stdout or sys.stdout)
    code = 0
    with open_inbox(args) as inbox:
        session = _Review(console, inbox, args.reviewer)
        try:
            _walk(session, args.thread)
        except _Quit:
            console.say("Stopped.")
        except _EndOfInput:
            console.say("\nEnd of input: stopped; nothing was sent for the request shown.")
        except KeyboardInterrupt:
            console.say("\nInterrupted: nothing was sent for the request shown.")
            code = 130
        # Counted again at the end: what still waits, whoever answered meanwhile.
        waiting = len(session.inbox.pending(thread_id=args.thread))
    where = "" if args.thread is None else f" on thread {args.thread!r}"
    if session.answered + session.skipped + session.taken == 0 and waiting == 0:
        console.say(f"No pending requests{where}.")
        return code
    still = f"{_requests(waiting)} still wait{'s' if waiting == 1 else ''}{where}"
    console.say(
        f"Answered {session.answered}, skipped {session.skipped}, "
        f"answered by others {session.taken}; {still if waiting else 'nothing waits' + where}."
    )
    return code
