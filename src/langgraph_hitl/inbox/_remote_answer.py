"""The plans that answer through a LangGraph Server deployment (sans-I/O): `resume`, `expire`.

An answer is validated against the interrupt's published schema, keyed by interrupt id,
exactly as `resume()` does it, before anything is sent; then sent as a run the server
refuses while another is in flight, with LangGraph's strict-resume flag; then joined, and
the thread read again (see `_remote`'s docstring for what holds).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from langgraph.types import GraphOutput

from ..answers._match import is_mapping_of_answers
from ..answers._resume import build_command
from ..core import _clock as clock
from ..core._compat import STRICT_RESUME_KEY
from ..core._errors import (
    NoPendingInterruptError,
    RequestExpiredError,
    ResumeConflictError,
    RunFailedError,
    ServerError,
    TimeoutTooEarlyError,
    UnknownInterruptError,
)
from ..store._cursor import Filters
from ._remote_io import Call, Steps
from ._remote_wire import items_from_state, output_interrupts, run_refusal

if TYPE_CHECKING:
    from datetime import datetime

    from ..core._pending import PendingInterrupt
    from ._progress import ProgressCallback
    from ._remote_reader import Server

__all__ = ["expire_plan", "resume_plan"]


def _segment(value: str) -> str:
    """`value` as one path segment: reserved characters escaped, and `.` or `..` too
    (httpx would collapse them as a relative path)."""
    quoted = quote(value, safe="")
    return quoted.replace(".", "%2E") if quoted in (".", "..") else quoted


def _due(item: PendingInterrupt, now: datetime) -> bool:
    return (
        item.expires_at is not None
        and item.expires_at <= now
        and isinstance(item.value, Mapping)
        and "on_timeout" in item.value
    )


def resume_plan(
    reader: Server,
    thread_id: str,
    answer: object,
    *,
    expect_checkpoint: str | None,
    expect_version: str | None,
    system: bool,
) -> Steps[GraphOutput[dict[str, Any]]]:
    yield from reader.ready()
    record = yield from reader.record(thread_id)
    pending = items_from_state({}, record) if record is not None else []
    if (expect_checkpoint is not None or expect_version is not None) and not pending:
        raise ResumeConflictError(
            f"Thread {thread_id!r} moved on since the request was read: it waits for no "
            "answer now (another reviewer answered it, or the graph ran). Nothing was sent."
        )
    if expect_checkpoint is not None:
        state = yield Call("threads", "get_state", (thread_id,))
        current = (state or {}).get("checkpoint_id")
        if current != expect_checkpoint:
            raise ResumeConflictError(
                f"Thread {thread_id!r} moved on since the request was read: it was at "
                f"checkpoint {expect_checkpoint!r} and is now at {current!r}. Nothing was "
                "sent; list the inbox again."
            )
    if expect_version is not None and record is not None and record.version != expect_version:
        raise ResumeConflictError(
            f"Thread {thread_id!r} moved on since the request was read: version "
            f"{expect_version!r} is now {record.version!r}. Nothing was sent; list "
            "the inbox again."
        )
    resume = _checked(reader.url, pending, answer, system=system, thread_id=thread_id)
    assert record is not None  # a thread that waits for something has a record
    assistant = record.assistant_id or record.graph_id or reader.assistant_id
    if assistant is None:
        raise ServerError(
            f"Thread {thread_id!r} names no assistant in its metadata, so it cannot be "
            "resumed: pass assistant_id= to Inbox.from_server. Nothing was sent.",
            url=reader.url,
        )
    ids = list(resume)
    try:
        run = yield Call(
            "runs",
            "create",
            (thread_id, assistant),
            {
                "command": {"resume": resume},
                "config": {"configurable": {STRICT_RESUME_KEY: True}},
                "multitask_strategy": "reject",
            },
        )
    except ServerError as exc:
        if exc.status_code == 409:
            raise ResumeConflictError(
                f"Thread {thread_id!r} is running already (another reviewer's answer to "
                f"it is being applied, or the graph is still working), so the server "
                f"refused the answer to {ids}. Nothing was sent; list the inbox again."
            ) from exc
        raise
    run_id = str(run["run_id"])
    try:
        # `runs.join`'s own request, with this inbox's count of reconnects.
        where = f"/threads/{_segment(thread_id)}/runs/{_segment(run_id)}/join"
        joined = yield Call(
            "http", "request_reconnect", (where, "GET"), {"reconnect_limit": reader.retries}
        )
        final = yield Call("runs", "get", (thread_id, run_id))
    except ServerError as exc:
        # Past this point the answer is the server's: say so, not "nothing was sent".
        raise ServerError(
            f"The server accepted the answer to {ids} on thread {thread_id!r} (run "
            f"{run_id!r}), but waiting for its run failed: {exc} The run may still "
            "apply it; read the thread before answering again.",
            url=reader.url,
            status_code=exc.status_code,
        ) from exc
    refusal = run_refusal(final or {}, joined, thread_id=thread_id, ids=ids)
    if isinstance(refusal, RunFailedError):
        refusal.url = reader.url
    if refusal is not None:
        raise refusal
    after = yield from reader.record(thread_id)
    still = [i for i in ids if after is not None and i in after.ids]
    if still:
        raise ResumeConflictError(
            f"The server ran the answer to {still} on thread {thread_id!r}, but the "
            "thread still waits for it: the answer did not apply (the server may not "
            "check resume ids). List the inbox again."
        )
    value: dict[str, Any] = joined if isinstance(joined, dict) else {}
    return GraphOutput(value=value, interrupts=output_interrupts(after) if after else ())


def _checked(
    url: str, pending: list[PendingInterrupt], answer: object, *, system: bool, thread_id: str
) -> dict[str, object]:
    """The validated `{interrupt_id: answer}` to send; raises, sending nothing."""
    try:
        command = build_command(pending, answer)
    except NoPendingInterruptError as exc:
        if isinstance(answer, Mapping) and answer and is_mapping_of_answers(answer, []):
            keys = [str(key) for key in answer]
            raise UnknownInterruptError(
                f"No pending interrupt has the id {keys}: thread {thread_id!r} waits for "
                "no answer now (another reviewer answered first, or the graph ran). "
                "Nothing was sent.",
                unknown=keys,
                pending=[],
            ) from exc
        raise NoPendingInterruptError(
            f"Thread {thread_id!r} waits for no human answer on {url} (answered "
            "already, or no such thread). Nothing was sent."
        ) from exc
    resume = dict(command.resume) if isinstance(command.resume, dict) else {}
    if not system:
        now = clock.now()
        late = [
            p
            for p in pending
            if p.id in resume and p.expires_at is not None and p.expires_at <= now
        ]
        if late:
            when = late[0].expires_at.isoformat() if late[0].expires_at else "?"
            raise RequestExpiredError(
                f"Request {late[0].id!r} on thread {thread_id!r} expired at {when}; a "
                "human answer is no longer accepted. Its on_timeout answer applies "
                "instead: run `expire()`. Nothing was sent."
            )
    return resume


def expire_plan(
    reader: Server, *, now: datetime | None, on_progress: ProgressCallback | None
) -> Steps[list[PendingInterrupt]]:
    moment = now or clock.now()
    listed = yield from reader.pending(None, Filters(None, None, None), None)
    due = [p for p in listed if _due(p, moment)]
    done: list[PendingInterrupt] = []
    failed: list[Exception] = []
    for n, item in enumerate(due, 1):
        assert item.thread_id is not None
        answer = item.value.get("on_timeout")
        try:
            yield from resume_plan(
                reader,
                item.thread_id,
                {item.id: answer},
                expect_checkpoint=None,
                expect_version=None,
                system=True,
            )
            done.append(item)
        except (ResumeConflictError, UnknownInterruptError, NoPendingInterruptError):
            pass  # answered by someone else since it was listed
        except TimeoutTooEarlyError:
            pass  # a `now` ahead of the clock: an approval takes no timeout decision early
        except Exception as exc:
            failed.append(exc)
        if on_progress is not None:
            on_progress(n, len(due))
    if failed:
        raise failed[0]
    return done
