"""`langgraph-hitl inbox` shows which requests' notifications failed for good."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from graphs.mail import ask
from notify_support import SECRET, HttpReceiver

from langgraph_hitl import Inbox, open_checkpointer
from langgraph_hitl.cli._main import main
from langgraph_hitl.core._graphref import load_graph
from langgraph_hitl.notify import Webhook

if TYPE_CHECKING:
    from pathlib import Path

    import pytest

GRAPH = "tests/graphs/notify_mail.py:graph"


def test_inbox_has_a_notify_column_once_a_notification_failed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "agent.db")
    with open_checkpointer(db) as saver:
        graph = load_graph(GRAPH, saver)
        for thread in ("ok", "broken"):
            graph.invoke(
                ask("send_email", to=f"{thread}@example.com", subject="Hi"),
                {"configurable": {"thread_id": thread}},
            )
        main(["inbox", GRAPH, "--db", db])
        before = capsys.readouterr().out
        with HttpReceiver([200, 404]) as hook:
            Inbox(graph).notify([Webhook(hook.url, secret=SECRET)], concurrency=1)
        main(["inbox", GRAPH, "--db", db])
        table = capsys.readouterr().out
        main(["inbox", GRAPH, "--db", db, "--json"])
        lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]

    assert "NOTIFY" not in before
    head, ok, broken = table.splitlines()[:3]
    assert head.split()[:4] == ["THREAD", "AGE", "EXPIRES", "NOTIFY"]
    assert ok.startswith("ok ")
    assert " - " in ok
    assert "failed" not in ok
    assert broken.startswith("broken ")
    assert " failed " in broken
    reasons = {line["thread_id"]: line["notification_failed"] for line in lines}
    assert reasons["ok"] is None
    assert "HTTP 404" in reasons["broken"]


def test_the_web_page_marks_a_request_whose_notification_failed(tmp_path: Path) -> None:
    from starlette.testclient import TestClient

    from langgraph_hitl.web import create_app

    db = str(tmp_path / "agent.db")
    with open_checkpointer(db) as saver:
        graph = load_graph(GRAPH, saver)
        for thread in ("ok", "broken"):
            graph.invoke(
                ask("send_email", to=f"{thread}@example.com", subject="Hi"),
                {"configurable": {"thread_id": thread}},
            )
        app = create_app(graph)
        with TestClient(app, base_url="http://127.0.0.1") as c:
            before = c.get("/").text
            with HttpReceiver([200, 404]) as hook:
                Inbox(graph).notify([Webhook(hook.url, secret=SECRET)], concurrency=1)
            after = c.get("/").text

    assert "notification failed" not in before
    assert after.count('class="notify-failed"') == 1
    card = after[after.index('class="notify-failed"') - 2000 : after.index('class="notify-failed"')]
    assert "broken" in card
    assert "HTTP 404" in after
