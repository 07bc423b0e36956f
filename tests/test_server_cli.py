"""`langgraph-hitl inbox|review|expire --url URL`: the terminal reviewer on a deployment."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest
from server_support import Server, ai_message, cli, free_port, serve, tool_call

from langgraph_hitl import Inbox
from langgraph_hitl.cli._main import main

if TYPE_CHECKING:
    from collections.abc import Iterator
    from subprocess import CompletedProcess


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with serve(tmp_path_factory.mktemp("cli")) as running:
        yield running


def one_line_error(done: CompletedProcess[str], *phrases: str) -> None:
    assert done.returncode == 2, done
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    for phrase in phrases:
        assert phrase in lines[0], lines[0]


def pay(invoice_id: str) -> dict[str, object]:
    return ai_message(tool_call("pay_invoice", invoice_id=invoice_id, amount=3.0))


def test_inbox_lists_the_deployments_requests(server: Server) -> None:
    approval = server.start("approval", pay("CLI-1"))
    question = server.start("human", ai_message(tool_call("human_assistance", query="When?")))

    table = cli("inbox", "--url", server.url)
    assert table.returncode == 0, table.stderr
    assert approval in table.stdout
    assert "pay_invoice" in table.stdout
    assert "When?" in table.stdout

    lines = cli("inbox", "--url", server.url, "--assistant", "human", "--json")
    assert lines.returncode == 0, lines.stderr
    listed = [json.loads(line) for line in lines.stdout.splitlines()]
    assert {item["type"] for item in listed} == {"human_assistance"}
    assert question in {item["thread_id"] for item in listed}
    assert all(item["response_schema"]["required"] == ["data"] for item in listed)


def test_review_answers_through_the_server(server: Server) -> None:
    thread_id = server.start("approval", pay("CLI-2"))
    done = cli(
        "review", "--url", server.url, "--thread", thread_id, "--reviewer", "alice", stdin="a\n"
    )
    assert done.returncode == 0, done.stderr
    assert "Sent: the thread went on." in done.stdout
    assert "Answered 1, skipped 0" in done.stdout
    assert len(server.effects(invoice_id="CLI-2")) == 1
    with Inbox.from_server(server.url) as inbox:
        assert inbox.pending(thread_id=thread_id) == []


def test_review_refuses_a_reviewer_the_request_does_not_allow(server: Server) -> None:
    thread_id = server.start("approval", pay("CLI-3"))
    done = cli(
        "review",
        "--url",
        server.url,
        "--thread",
        thread_id,
        "--reviewer",
        "mallory",
        stdin="a\nbob\n",
    )
    assert done.returncode == 0, done.stderr
    assert "'mallory' may not decide this request." in done.stdout
    assert len(server.effects(invoice_id="CLI-3")) == 1


def test_expire_applies_the_timeout_answers(server: Server) -> None:
    thread_id = server.start("expiring", pay("CLI-4"))
    done = cli("expire", "--url", server.url)
    assert done.returncode == 0, done.stderr
    assert f"on thread {thread_id}" in done.stdout
    assert server.effects(invoice_id="CLI-4") == []
    with Inbox.from_server(server.url) as inbox:
        assert inbox.pending(thread_id=thread_id) == []


@pytest.mark.parametrize(
    ("args", "phrases"),
    [
        (["--url", "http://127.0.0.1:1", "graph.py:g"], ["give no GRAPH with it"]),
        (["--url", "http://127.0.0.1:1", "--db", "x.db"], ["give no --db with it"]),
        ([], ["missing GRAPH and --db URL", "--url URL"]),
        (["--assistant", "agent"], ["--assistant needs --url URL"]),
        (["--retries", "0"], ["--retries needs --url URL"]),
        (["--assistant", "a", "--retries", "1"], ["--assistant and --retries need --url URL"]),
        (["--url", "127.0.0.1:2024"], ["--url: url must be the server's http://"]),
        (["--url", "http://127.0.0.1:1", "--api-key-env", "HITL_NO_SUCH_VAR"], ["not set"]),
    ],
)
def test_wrong_options_are_one_line(
    args: list[str], phrases: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    for command in ("inbox", "review", "expire", "serve"):
        assert main([command, *args]) == 2
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1, err
        assert err.startswith("langgraph-hitl"), err
        assert "error: " in err, err
        for phrase in phrases:
            assert phrase in err, err


def test_an_unreachable_server_is_one_line() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    for command in ("inbox", "review", "expire"):
        done = cli(command, "--url", url, "--retries", "0")
        one_line_error(done, "Cannot reach the LangGraph Server", url)


def test_an_unknown_assistant_is_one_line(server: Server) -> None:
    done = cli("inbox", "--url", server.url, "--assistant", "nope")
    one_line_error(done, "no assistant 'nope'", "'approval'")
