"""Hidden characters (Trojan Source) are shown to reviewers on every surface, and flagged.

The payloads: a reversed e-mail address (U+202E ... U+202C reads as "ada@example.com"
while it is "moc.elpmaxe@ada"), an IBAN with a zero-width space in it, and a terminal
escape that would clear the screen. The web page, `review` and the `inbox` table show
them as `<U+XXXX>` and flag the request; the JSON API and `inbox --json` keep the exact
values (and say that they hold hidden characters).
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import forked
import pytest
from graphs.mail import ask
from langgraph.checkpoint.memory import InMemorySaver
from starlette.testclient import TestClient
from web_support import Ledger, agent, pay, start

from langgraph_hitl import Inbox, open_checkpointer
from langgraph_hitl.core._display import has_hidden, hidden_in, is_hidden, visible, visible_html
from langgraph_hitl.core._graphref import load_graph
from langgraph_hitl.web import create_app

if TYPE_CHECKING:
    import subprocess

    from langchain_core.runnables import RunnableConfig

GRAPHS = Path(__file__).parent / "graphs"
MAIL = f"{GRAPHS / 'mail.py'}:graph"

REVERSED = "\u202emoc.elpmaxe@ada\u202c"  # shows as "ada@example.com"
IBAN = "DE89 3704 0044 0532\u200b0130 00"
CLEAR = "Quarterly report\x1b[2J"


def test_the_rule_covers_bidi_format_and_control_characters() -> None:
    for char in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069":
        assert is_hidden(char), f"bidi control U+{ord(char):04X}"
    for char in "\u200b\u200c\u200d\u200e\u200f\ufeff\u00ad\U000e0041\u2060":
        assert is_hidden(char), f"format character U+{ord(char):04X}"
    for char in "\x00\x07\x1b\x7f\r\x85\u2028\u2029":
        assert is_hidden(char), f"control or separator U+{ord(char):04X}"
    for char in "\n\t aZ\u00e9\u00fc\u4e2d\U0001f600\u00a0":
        assert not is_hidden(char), f"U+{ord(char):04X} is visible"

    assert visible(REVERSED) == "<U+202E>moc.elpmaxe@ada<U+202C>"
    assert visible(IBAN) == "DE89 3704 0044 0532<U+200B>0130 00"
    assert visible(CLEAR) == "Quarterly report<U+001B>[2J"
    assert visible("line one\n\tline two, M\u00fcnchen") == "line one\n\tline two, M\u00fcnchen"
    assert hidden_in(REVERSED + IBAN) == ["U+202E", "U+202C", "U+200B"]
    assert visible_html("<b>\u202e</b>") == (
        '&lt;b&gt;<span class="hidden-char" title="hidden character: RIGHT-TO-LEFT OVERRIDE">'
        "&lt;U+202E&gt;</span>&lt;/b&gt;"
    )
    assert visible_html("a & b") == "a &amp; b"


def test_has_hidden_looks_into_nested_values_and_keys() -> None:
    assert has_hidden({"args": {"iban": ["ok", IBAN]}})
    assert has_hidden({REVERSED: 1})
    assert has_hidden(("x", {"y": [CLEAR]}))
    assert not has_hidden({"to": "ada@example.com", "n": 3, "tags": ["a\nb"], "none": None})
    deep: object = IBAN
    for _ in range(10_000):
        deep = [deep]
    assert has_hidden(deep), "any depth, no recursion"


# -- the terminal --------------------------------------------------------------------------


def _config(thread_id: str) -> RunnableConfig:
    return {"configurable": {"thread_id": thread_id}}


def _cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return forked.run(
        [sys.executable, "-m", "langgraph_hitl", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "400"},  # wide enough that no cell is clipped
        check=False,
    )


@pytest.fixture
def tricked(tmp_path: Path) -> Path:
    """A SQLite file where the model asks to mail a reversed address, with hidden text."""
    db = tmp_path / "agent.db"
    with open_checkpointer(str(db)) as saver:
        graph = load_graph(MAIL, saver)
        graph.invoke(
            ask("send_email", to=REVERSED, subject=f"{CLEAR} IBAN {IBAN}"), _config("mail")
        )
    return db


def _pending_ids(db: Path) -> list[str]:
    with open_checkpointer(str(db)) as saver:
        return [p.id for p in Inbox(load_graph(MAIL, saver)).pending()]


def test_the_inbox_table_shows_hidden_characters_and_flags_the_request(tricked: Path) -> None:
    run = _cli("inbox", MAIL, "--db", str(tricked))

    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert "<U+202E>moc.elpmaxe@ada<U+202C>" in out
    assert "\u202e" not in out
    assert "\x1b" not in out
    assert "\\u001b[2J" in out, "JSON shows the escape as \\u001b"
    assert "0532<U+200B>0130" in out
    (flag,) = [line for line in out.splitlines() if line.startswith("! ")]
    assert flag.startswith("! mail (")
    assert "contains hidden characters" in flag


def test_inbox_json_keeps_the_exact_values(tricked: Path) -> None:
    run = _cli("inbox", MAIL, "--db", str(tricked), "--json")

    (doc,) = [json.loads(line) for line in run.stdout.splitlines()]
    assert doc["value"]["args"] == {"to": REVERSED, "subject": f"{CLEAR} IBAN {IBAN}"}
    assert doc["hidden_characters"] is True


def test_review_shows_hidden_characters_and_flags_the_request(tricked: Path) -> None:
    before = _pending_ids(tricked)
    # The first line typed is not a decision; its echo is shown visibly too.
    run = _cli("review", MAIL, "--db", str(tricked), stdin="\x1b[2J\ns\n")

    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert '"to": "<U+202E>moc.elpmaxe@ada<U+202C>"' in out
    assert "0532<U+200B>0130" in out
    assert "\u202e" not in out
    assert "\u200b" not in out
    assert "\x1b" not in out
    assert "warning:     this request contains hidden characters" in out
    assert "[q]uit? <U+001B>[2J\nPlease type one of" in out
    assert _pending_ids(tricked) == before


def test_error_messages_show_hidden_characters(tricked: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.py"
    broken.write_text('raise ImportError("needs the \\u202eeludom\\u202c extra\\x1b[2J")\n')

    run = _cli("inbox", f"{broken}:graph", "--db", str(tricked))

    assert run.returncode == 2
    assert "needs the <U+202E>eludom<U+202C> extra<U+001B>[2J" in run.stderr
    assert "\u202e" not in run.stderr
    assert "\x1b" not in run.stderr


# -- the web --------------------------------------------------------------------------------


def test_the_page_shows_hidden_characters_and_the_api_keeps_them() -> None:
    graph = agent(InMemorySaver(), [pay(f"INV-{REVERSED}", 120.0)], ledger=Ledger())
    item = start(graph, "t\u200b1", text=f"Pay it to {IBAN}. {CLEAR}")
    c = TestClient(create_app(graph), base_url="http://127.0.0.1")

    page = c.get("/").text
    api = c.get("/api/pending").json()["pending"]
    thread = c.get("/thread", params={"id": "t\u200b1"}).text

    # Only attributes (form values) keep the exact text (so the answer sent is the one asked about).
    shown = re.sub(r'="[^"]*"', "", page)
    assert not any(is_hidden(char) for char in shown)
    assert '<span class="hidden-char"' in page
    assert (
        'INV-<span class="hidden-char" title="hidden character: RIGHT-TO-LEFT OVERRIDE">'
        "&lt;U+202E&gt;</span>moc.elpmaxe@ada"
    ) in page
    assert "This request contains hidden characters" in page
    # The thread id is shown visibly, and sent back exactly in the form.
    assert 't<span class="hidden-char" title="hidden character: ZERO WIDTH SPACE">' in page
    assert 'name="thread_id" value="t\u200b1"' in page
    # The edit form keeps the model's exact argument, so what is sent is what was asked.
    assert f'value="INV-{REVERSED}"' in page
    assert "This message contains hidden characters" in thread
    assert (
        '0532<span class="hidden-char" title="hidden character: ZERO WIDTH SPACE">'
        "&lt;U+200B&gt;</span>0130"
    ) in thread
    assert "&lt;U+001B&gt;</span>[2J" in thread
    assert not any(is_hidden(char) for char in re.sub(r'="[^"]*"', "", thread))
    assert api[0]["args"]["invoice_id"] == f"INV-{REVERSED}"
    assert api[0]["thread_id"] == "t\u200b1"
    assert api[0]["hidden_characters"] is True
    assert api[0]["interrupt_id"] == item.id
