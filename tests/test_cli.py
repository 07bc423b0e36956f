"""`langgraph-hitl inbox`, `review` and `expire`, run as real processes on a SQLite file.

The graphs are modules under `tests/graphs/`, named as `path/to/file.py:variable`; the
threads are started in this process, then listed and answered by `python -m
langgraph_hitl ...` with answers piped to its stdin, as a script (or a person) would.
"""

from __future__ import annotations

import io
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import forked
import pytest
from graphs.mail import OUTBOX_ENV, ask

from langgraph_hitl import Inbox, open_checkpointer
from langgraph_hitl.cli._review import allowed_decisions, text_field
from langgraph_hitl.cli._terminal import Progress
from langgraph_hitl.core._graphref import GraphSpecError, load_graph

if TYPE_CHECKING:
    import subprocess

    from langchain_core.runnables import RunnableConfig

GRAPHS = Path(__file__).parent / "graphs"
MAIL = f"{GRAPHS / 'mail.py'}:graph"
RESTRICTED = f"{GRAPHS / 'forms.py'}:restricted"
PROFILE = f"{GRAPHS / 'forms.py'}:profile"
DEADLINE = f"{GRAPHS / 'forms.py'}:deadline"


def _config(thread_id: str) -> RunnableConfig:
    return {"configurable": {"thread_id": thread_id}}


def _cli(
    *args: str, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return forked.run(
        [sys.executable, "-m", "langgraph_hitl", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        # Wide enough that no cell of the table is clipped, whatever the terminal.
        env={**os.environ, "COLUMNS": "200", **(env or {})},
        check=False,
    )


def _start(db: Path, graph: str, threads: dict[str, Any]) -> None:
    with open_checkpointer(str(db)) as saver:
        compiled = load_graph(graph, saver)
        for thread, input in threads.items():
            compiled.invoke(input, _config(thread))


def _state(db: Path, graph: str, thread: str) -> dict[str, Any]:
    with open_checkpointer(str(db)) as saver:
        values: dict[str, Any] = load_graph(graph, saver).get_state(_config(thread)).values
        return values


def _pending(db: Path, graph: str) -> list[str]:
    with open_checkpointer(str(db)) as saver:
        return [str(p.thread_id) for p in Inbox(load_graph(graph, saver)).pending()]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A SQLite file with two paused mail threads: `mail` (approval) and `help` (question)."""
    path = tmp_path / "agent.db"
    _start(
        path,
        MAIL,
        {
            "mail": ask("send_email", to="ada@example.com", subject="Hi"),
            "help": ask("human_assistance", query="What is the capital of France?"),
        },
    )
    return path


def test_inbox_lists_pending_requests_as_a_table(db: Path) -> None:
    run = _cli("inbox", MAIL, "--db", str(db))

    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0].split() == ["THREAD", "AGE", "EXPIRES", "TYPE", "TOOL", "/", "QUERY", "ARGS"]
    assert lines[1].split()[0] == "mail"
    assert "tool_approval" in lines[1]
    assert "send_email" in lines[1]
    assert '{"to": "ada@example.com", "subject": "Hi"}' in lines[1]
    assert lines[2].split()[0] == "help"
    assert "What is the capital of France?" in lines[2]
    assert "2 pending requests, oldest first." in run.stdout


def test_inbox_filters_limits_and_json(db: Path) -> None:
    only = _cli("inbox", MAIL, "--db", str(db), "--type", "human_assistance")
    assert [line.split()[0] for line in only.stdout.splitlines()[1:] if line] == ["help", "1"]

    first = _cli("inbox", MAIL, "--db", str(db), "--limit", "1")
    assert "1 of 2 pending requests" in first.stdout

    as_json = _cli("inbox", MAIL, "--db", str(db), "--json", "--tool", "send_email")
    (doc,) = [json.loads(line) for line in as_json.stdout.splitlines()]
    assert doc["thread_id"] == "mail"
    assert doc["value"]["args"] == {"to": "ada@example.com", "subject": "Hi"}
    assert doc["response_schema"] is not None

    assert _cli("inbox", MAIL, "--db", str(db), "--thread", "nobody").stdout.strip() == (
        "No pending requests."
    )


def test_review_asks_again_on_a_bad_answer_and_sends_only_a_valid_one(
    db: Path, tmp_path: Path
) -> None:
    outbox = tmp_path / "outbox.jsonl"
    answers = "\n".join(
        [
            "maybe",  # not a decision
            "e",
            '{"to": 3}',  # the tool's schema refuses it: asked again
            "e",
            '{"to": "bob@example.com", "subject": "Edited"}',
            "",  # an empty answer to the question: asked again
            "Paris",
        ]
    )
    run = _cli("review", MAIL, "--db", str(db), stdin=answers + "\n", env={OUTBOX_ENV: str(outbox)})

    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert "tool:        send_email" in out
    assert 'args:        {"to": "ada@example.com", "subject": "Hi"}' in out
    assert "query:       What is the capital of France?" in out
    assert "Please type one of" in out
    assert "Not a valid answer, nothing was sent:" in out
    assert "edited_action.args.to" in out
    assert out.count("Sent: the thread went on.") == 2
    assert "Answered 2, skipped 0, answered by others 0; nothing waits." in out
    # Only the valid edit ran, once.
    (sent,) = [json.loads(line) for line in outbox.read_text().splitlines()]
    assert (sent["to"], sent["subject"]) == ("bob@example.com", "Edited")
    assert _state(db, MAIL, "help")["messages"][-1].content == "Done: Paris"
    assert _pending(db, MAIL) == []


def test_review_one_thread_with_raw_json_and_skip(db: Path) -> None:
    run = _cli("review", MAIL, "--db", str(db), "--thread", "help", stdin='{"data": "Lyon"}\n')
    assert run.returncode == 0, run.stderr
    assert "send_email" not in run.stdout
    assert _state(db, MAIL, "help")["messages"][-1].content == "Done: Lyon"

    skipped = _cli("review", MAIL, "--db", str(db), stdin="s\n")
    assert "Skipped." in skipped.stdout
    assert "Answered 0, skipped 1, answered by others 0; 1 request still waits." in skipped.stdout
    assert _pending(db, MAIL) == ["mail"]


def test_review_stops_cleanly_at_the_end_of_input(db: Path) -> None:
    run = _cli("review", MAIL, "--db", str(db), stdin="e\n")

    assert run.returncode == 0, run.stderr
    assert "End of input: stopped; nothing was sent" in run.stdout
    assert "Traceback" not in run.stderr
    assert _pending(db, MAIL) == ["mail", "help"]


def test_review_offers_only_allowed_decisions_and_asks_for_the_reviewer(tmp_path: Path) -> None:
    db = tmp_path / "restricted.db"
    _start(db, RESTRICTED, {"mail": ask("send_email", to="ada@example.com", subject="Hi")})

    run = _cli("review", RESTRICTED, "--db", str(db), stdin="e\na\nbob\nalice\n")

    assert run.returncode == 0, run.stderr
    assert "Decision: [a]pprove, [r]eject, [s]kip, [q]uit?" in run.stdout
    assert "[e]dit" not in run.stdout
    assert "reviewers:   alice" in run.stdout
    assert "'bob' may not decide this request." in run.stdout
    assert "Sent: the thread went on." in run.stdout
    assert (
        _state(db, RESTRICTED, "mail")["messages"][-1].content == "Done: Sent to ada@example.com."
    )


def test_review_validates_a_json_answer_against_the_schema(tmp_path: Path) -> None:
    db = tmp_path / "profile.db"
    _start(db, PROFILE, {"p": {"profile": {}}})
    answers = ["Ada", '{"name": "Ada"}', '{"name": "Ada", "age": 36}']

    run = _cli("review", PROFILE, "--db", str(db), stdin="\n".join(answers) + "\n")

    assert run.returncode == 0, run.stderr
    assert "That is not JSON" in run.stdout
    assert "Not a valid answer, nothing was sent:" in run.stdout
    assert "'age' is a required property" in run.stdout
    assert _state(db, PROFILE, "p")["profile"] == {"name": "Ada", "age": 36}


def test_expired_requests_are_shown_refused_and_expired_by_the_sweep(tmp_path: Path) -> None:
    db = tmp_path / "deadline.db"
    _start(
        db,
        DEADLINE,
        {"late": {"timeout": 0, "answer": ""}, "soon": {"timeout": 3600, "answer": ""}},
    )

    listing = _cli("inbox", DEADLINE, "--db", str(db))
    assert "expired" in listing.stdout
    assert "in 59m" in listing.stdout or "in 1h" in listing.stdout

    review = _cli("review", DEADLINE, "--db", str(db), "--thread", "late", stdin="Yes\n")
    assert "Expired: a human answer is no longer accepted" in review.stdout
    assert _state(db, DEADLINE, "late")["answer"] == ""

    sweep = _cli("expire", DEADLINE, "--db", str(db))
    assert sweep.returncode == 0, sweep.stderr
    assert "1 overdue request answered with on_timeout." in sweep.stdout
    assert _state(db, DEADLINE, "late")["answer"] == "no answer in time"
    assert _pending(db, DEADLINE) == ["soon"]


def test_a_bad_graph_reference_is_a_clear_error(db: Path) -> None:
    run = _cli("inbox", "no/such/file.py:graph", "--db", str(db))
    assert run.returncode == 2
    assert "No such file" in run.stderr

    run = _cli("inbox", f"{GRAPHS / 'mail.py'}:nothing", "--db", str(db))
    assert run.returncode == 2
    assert "has no variable 'nothing'" in run.stderr


def test_load_graph_accepts_modules_and_factories(tmp_path: Path) -> None:
    with open_checkpointer(str(tmp_path / "x.db")) as saver:
        by_path = load_graph(f"{GRAPHS / 'mail.py'}:make_graph", saver)
        assert by_path.checkpointer is saver
        by_module = load_graph("graphs.forms:profile", saver)
        assert "ask" in by_module.nodes
        with pytest.raises(GraphSpecError, match=r"path/to/file\.py:variable"):
            load_graph("graphs.forms", saver)
        with pytest.raises(GraphSpecError, match="expected a StateGraph"):
            load_graph("graphs.forms:PROFILE_SCHEMA", saver)


def test_progress_lines_for_long_listings() -> None:
    stream = io.StringIO()
    progress = Progress("listing", stream=stream, minimum=10)

    for done in range(1, 101):
        progress(done, 100)
    Progress("listing", stream=stream, minimum=10)(1, 5)

    lines = stream.getvalue().splitlines()
    assert lines[0] == "listing: 1/100"
    assert lines[-1] == "listing: 100/100"
    assert len(lines) == 11


def test_what_the_reviewer_offers_is_read_from_the_request() -> None:
    from langgraph_hitl.core._pending import PendingInterrupt

    def item(value: object, schema: dict[str, Any] | None) -> PendingInterrupt:
        return PendingInterrupt(
            id="x" * 32,
            value=value,
            response_schema=schema,
            tool_call_id=None,
            type=None,
            node="n",
            path=("n",),
            thread_id="t",
            checkpoint_id=None,
            created_at=None,
            expires_at=None,
        )

    tagged = {
        "oneOf": [{"$ref": "#/$defs/A"}, {"$ref": "#/$defs/R"}],
        "discriminator": {
            "propertyName": "type",
            "mapping": {"approve": "#/$defs/A", "reject": "#/$defs/R"},
        },
        "$defs": {},
    }
    assert allowed_decisions(item({"name": "t", "args": {}}, tagged)) == ["approve", "reject"]
    single = {
        "type": "object",
        "properties": {"type": {"const": "respond"}, "message": {"type": "string"}},
    }
    assert allowed_decisions(item({}, single)) == ["respond"]
    assert allowed_decisions(item({"allowed_decisions": ["edit"]}, None)) == ["edit"]
    assert allowed_decisions(item({"type": "human_assistance"}, None)) is None
    assert text_field({"type": "object", "properties": {"data": {"type": "string"}}}) == "data"
    assert text_field({"type": "object", "properties": {"a": {"type": "integer"}}}) is None
    assert text_field(None) is None
