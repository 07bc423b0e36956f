"""The offline demo: `langgraph-hitl demo` / `python -m langgraph_hitl demo`."""

from __future__ import annotations

import io
import shutil
import sqlite3
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

from langgraph_hitl import pending_interrupts
from langgraph_hitl.cli._demo import DEFAULT_ANSWER, USER_MESSAGE, run_demo
from langgraph_hitl.cli._main import main

if TYPE_CHECKING:
    from pathlib import Path

    from langchain_core.runnables import RunnableConfig


def _demo(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "langgraph_hitl", "demo", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_demo_pauses_takes_the_answer_and_finishes(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    done = _demo("--db", str(db), "--answer", "Use LangGraph, says the expert.")

    assert done.returncode == 0, done.stderr
    out = done.stdout
    # The tutorial's conversation, in order: the question, the tool call, the pause,
    # the human's answer as the tool result, and the model's closing answer.
    order = [
        USER_MESSAGE,
        "human_assistance",
        "The agent waits for a human",
        "next node: ('tools',)",
        "Answer sent: Use LangGraph, says the expert.",
        "Tool Message",
        "The experts have answered",
    ]
    positions = [out.index(part) for part in order]
    assert positions == sorted(positions)
    tool_message = out[out.index("Tool Message") : out.index("The experts have answered")]
    assert "Use LangGraph, says the expert." in tool_message
    assert str(db) in out
    # The thread is durable: a finished conversation is in the SQLite file.
    with sqlite3.connect(db) as conn:
        (count,) = conn.execute("SELECT COUNT(DISTINCT thread_id) FROM checkpoints").fetchone()
    assert count == 1


def test_piped_stdin_is_the_answer_and_never_hangs(tmp_path: Path) -> None:
    done = _demo("--db", str(tmp_path / "d.db"), stdin="An answer from a pipe\n")
    assert done.returncode == 0, done.stderr
    assert "Answer sent: An answer from a pipe" in done.stdout

    empty = _demo("--db", str(tmp_path / "e.db"), stdin="")
    assert empty.returncode == 0, empty.stderr
    assert f"Answer sent: {DEFAULT_ANSWER}" in empty.stdout


def test_the_console_script_is_installed(tmp_path: Path) -> None:
    script = shutil.which("langgraph-hitl", path=str(sys.prefix + "/bin"))
    assert script is not None
    done = subprocess.run(
        [script, "demo", "--db", str(tmp_path / "c.db"), "--answer", "ok"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Answer sent: ok" in done.stdout


def test_run_demo_asks_the_human_when_no_answer_is_given(tmp_path: Path) -> None:
    asked: list[str] = []
    out = io.StringIO()

    def ask(prompt: str) -> str:
        asked.append(prompt)
        return "typed at the prompt"

    thread_id = run_demo(db=str(tmp_path / "a.db"), ask=ask, out=out)

    assert asked == ["Your answer, as the expert: "]
    assert "typed at the prompt" in out.getvalue()
    assert thread_id in out.getvalue()


def test_the_demo_leaves_no_request_pending(tmp_path: Path) -> None:
    from langgraph_hitl import build_hitl_graph, human_assistance_tool, open_checkpointer
    from langgraph_hitl.cli._demo import demo_model

    db = str(tmp_path / "p.db")
    thread_id = run_demo(db=db, answer="done", out=io.StringIO())
    with open_checkpointer(db) as saver:
        graph = build_hitl_graph(demo_model(), [human_assistance_tool()]).compile(
            checkpointer=saver
        )
        config: RunnableConfig = {"configurable": {"thread_id": thread_id}}
        assert pending_interrupts(graph, config) == []
        assert graph.get_state(config).values["messages"][-2].content == "done"


def test_the_cli_needs_a_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main([])
    assert exit_.value.code == 2
    assert "demo" in capsys.readouterr().err
