"""`langgraph-hitl serve`: the documented demo, reviewer tokens, and bad configurations."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import forked
import httpx
import pytest
from langgraph.checkpoint.memory import InMemorySaver
from web_support import Ledger, agent

from langgraph_hitl import ReviewersConfigError
from langgraph_hitl.cli._main import main
from langgraph_hitl.web import create_app
from langgraph_hitl.web._serve import REVIEWERS_ENV, is_loopback, load_reviewers

if TYPE_CHECKING:
    from collections.abc import Iterator

ROOT = Path(__file__).resolve().parent.parent
ALICE = "s3cret-alice-0123456789"
BOB = "s3cret-bob-0123456789"
EVE = "s3cret-eve-0123456789"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def seed(db: Path) -> str:
    done = forked.run(
        [sys.executable, "examples/review_demo.py", "--db", str(db)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return str(done.stdout)


class Server:
    """`python -m langgraph_hitl serve ...` in a subprocess, on a free loopback port."""

    def __init__(self, db: Path, *extra: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = forked.Popen(
            [
                sys.executable,
                "-m",
                "langgraph_hitl",
                "serve",
                "examples/review_demo.py:graph",
                "--db",
                str(db),
                "--port",
                str(self.port),
                *extra,
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def wait(self) -> None:
        deadline = time.monotonic() + 300  # generous: a loaded machine starts slowly
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                _, err = self.proc.communicate()
                pytest.fail(f"the server exited with {self.proc.returncode}: {err}")
            try:
                httpx.get(f"{self.url}/openapi.json", timeout=1)
                return
            except httpx.TransportError:
                time.sleep(0.1)
        pytest.fail("the server did not start within 300 s")

    def stop(self) -> tuple[int, str]:
        """Stop it as a person would, with Ctrl+C."""
        self.proc.send_signal(signal.SIGINT)
        try:
            _, err = self.proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
        return self.proc.returncode, err


def serve_once(db: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """`serve` that is expected to refuse to start."""
    return forked.run(
        [
            *(sys.executable, "-m", "langgraph_hitl", "serve", "examples/review_demo.py:graph"),
            *("--db", str(db), "--port", str(free_port()), *extra),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def demo_db(tmp_path: Path) -> Path:
    db = tmp_path / "demo.db"
    out = seed(db)
    assert "4 conversations wait for a reviewer" in out
    assert "langgraph-hitl serve examples/review_demo.py:graph --db" in out
    return db


@pytest.fixture
def server(demo_db: Path) -> Iterator[Server]:
    running = Server(demo_db)
    try:
        running.wait()
        yield running
    finally:
        running.stop()


def test_the_documented_demo_can_be_reviewed_over_http(server: Server) -> None:
    with httpx.Client(base_url=server.url, timeout=30) as c:
        rows = c.get("/api/pending").json()["pending"]
        page = c.get("/")
        invoice = rows[0]
        done = c.post(
            f"/api/threads/{invoice['thread_id']}/resume",
            json={"interrupt_id": invoice["interrupt_id"], "answer": {"type": "approve"}},
        )
        rebound = c.get("/", headers={"Host": "attacker.example"})
        left = c.get("/api/pending").json()["pending"]

    assert [(r["type"], r["tool"]) for r in rows] == [
        ("tool_approval", "pay_invoice"),
        ("tool_approval", "send_email"),
        ("human_assistance", None),
        ("tool_approval", "pay_invoice"),
    ]
    assert invoice["description"] == "Pay 1250.0 EUR to ACME GmbH for invoice INV-1042?"
    assert page.status_code == 200
    assert "Approve send_email?" in page.text
    assert done.status_code == 200, done.text
    texts = [m["text"] for m in done.json()["new_messages"]]
    assert texts[0] == "Paid 1250.00 EUR to ACME GmbH for INV-1042."
    assert texts[1].startswith("Done:")
    assert rebound.status_code == 400, "a loopback server answers to loopback names only"
    assert len(left) == 3


def test_serve_takes_reviewer_tokens_from_a_file(demo_db: Path, tmp_path: Path) -> None:
    tokens = tmp_path / "reviewers.json"
    tokens.write_text(json.dumps({ALICE: "alice"}), encoding="utf-8")
    running = Server(
        demo_db, "--reviewers-file", str(tokens), "--max-body", "2000", "--session-hours", "2"
    )
    try:
        running.wait()
        too_big = httpx.post(
            f"{running.url}/api/threads/x/resume",
            json={"interrupt_id": "x", "answer": "a" * 2000},
            headers={"Authorization": f"Bearer {ALICE}"},
            timeout=30,
        )
        login = httpx.get(f"{running.url}/login", timeout=30)
        anonymous = httpx.get(f"{running.url}/api/pending", timeout=30)
        alice = httpx.get(
            f"{running.url}/api/pending",
            timeout=30,
            headers={"Authorization": f"Bearer {ALICE}"},
        )
        page = httpx.get(f"{running.url}/", timeout=30)
    finally:
        code, _ = running.stop()

    assert too_big.status_code == 413
    assert "at most 2000 bytes" in too_big.json()["message"]
    assert "Max-Age=7200" in login.headers["set-cookie"]
    assert anonymous.status_code == 401
    assert alice.status_code == 200
    assert len(alice.json()["pending"]) == 4
    assert page.status_code == 303
    assert page.headers["location"] == "/login"
    assert code == 0, "Ctrl+C stops the server cleanly"


def test_serve_refuses_a_bad_configuration_with_a_clear_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "x.db").touch()
    db = str(tmp_path / "x.db")
    missing = main(["serve", str(tmp_path / "nope.py") + ":graph", "--db", db])
    assert missing == 2
    assert "No such file" in capsys.readouterr().err

    monkeypatch.setenv(REVIEWERS_ENV, '["alice"]')
    not_a_mapping = main(["serve", "examples/review_demo.py:graph", "--db", db])
    assert not_a_mapping == 2
    assert f"${REVIEWERS_ENV} must be a JSON object" in capsys.readouterr().err


def test_reviewers_come_from_the_file_else_the_environment(tmp_path: Path) -> None:
    good = tmp_path / "r.json"
    good.write_text(json.dumps({ALICE: "alice", BOB: "bob"}), encoding="utf-8")
    broken = tmp_path / "broken.json"
    broken.write_text("{", encoding="utf-8")

    assert load_reviewers(str(good), {REVIEWERS_ENV: json.dumps({EVE: "eve"})}) == {
        ALICE: "alice",
        BOB: "bob",
    }
    assert load_reviewers(None, {REVIEWERS_ENV: json.dumps({EVE: "eve"})}) == {EVE: "eve"}
    assert load_reviewers(None, {}) is None
    with pytest.raises(ReviewersConfigError, match="is not JSON"):
        load_reviewers(str(broken), {})
    with pytest.raises(ReviewersConfigError, match="Cannot read"):
        load_reviewers(str(tmp_path / "none.json"), {})
    with pytest.raises(ReviewersConfigError, match="a non-empty string"):
        load_reviewers(None, {REVIEWERS_ENV: json.dumps({ALICE: ""})})


def test_a_short_token_is_refused_naming_the_reviewer_never_the_token(tmp_path: Path) -> None:
    file = tmp_path / "r.json"
    file.write_text(json.dumps({ALICE: "alice", "hunter2": "bob"}), encoding="utf-8")

    with pytest.raises(ReviewersConfigError) as from_file:
        load_reviewers(str(file), {})
    with pytest.raises(ReviewersConfigError) as from_mapping:
        create_app(agent(InMemorySaver(), [], ledger=Ledger()), reviewers={"x": "carol"})

    assert "the token of reviewer 'bob' is too short (7 characters)" in str(from_file.value)
    assert "at least 16" in str(from_file.value)
    assert "langgraph-hitl token bob" in str(from_file.value)
    assert "hunter2" not in str(from_file.value)
    assert "reviewer 'carol'" in str(from_mapping.value)
    assert isinstance(from_file.value, ValueError)


@pytest.fixture
def empty_db(tmp_path: Path) -> Path:
    """An existing (empty) database file: serve refuses these configurations before using it."""
    path = tmp_path / "empty.db"
    path.touch()
    return path


def test_serve_refuses_a_short_token_at_start_in_one_line(empty_db: Path, tmp_path: Path) -> None:
    tokens = tmp_path / "reviewers.json"
    tokens.write_text(json.dumps({"a" * 15: "alice"}), encoding="utf-8")

    run = serve_once(empty_db, "--reviewers-file", str(tokens))

    assert run.returncode == 2
    (line,) = run.stderr.splitlines()
    assert "the token of reviewer 'alice' is too short (15 characters)" in line
    assert "a" * 15 not in line
    assert "Reviewing" not in run.stderr


def test_beyond_loopback_the_server_needs_tokens_or_an_explicit_insecure_flag(
    empty_db: Path,
) -> None:
    everywhere = serve_once(empty_db, "--host", "0.0.0.0")
    no_tokens = serve_once(empty_db, "--host", "0.0.0.0", "--allowed-host", "review.example")

    assert everywhere.returncode == 2
    (line,) = everywhere.stderr.splitlines()
    assert "--allowed-host NAME" in line
    assert no_tokens.returncode == 2
    (line,) = no_tokens.stderr.splitlines()
    assert "no reviewer tokens are set" in line
    assert "--insecure-no-auth" in line


def test_beyond_loopback_host_checking_stays_on(demo_db: Path) -> None:
    running = Server(
        demo_db, "--host", "0.0.0.0", "--allowed-host", "review.example", "--insecure-no-auth"
    )
    try:
        running.wait()
        named = httpx.get(
            f"{running.url}/api/pending", headers={"Host": "review.example"}, timeout=30
        )
        other = httpx.get(
            f"{running.url}/api/pending", headers={"Host": "attacker.example"}, timeout=30
        )
        cross_site = httpx.post(
            f"{running.url}/api/threads/x/resume",
            json={"interrupt_id": "x", "answer": {"type": "approve"}},
            headers={"Host": "review.example", "Origin": "http://attacker.example"},
            timeout=30,
        )
    finally:
        code, err = running.stop()

    assert named.status_code == 200
    assert other.status_code == 400
    assert cross_site.status_code == 403
    assert cross_site.json()["error"] == "forbidden_origin"
    assert "warning: --insecure-no-auth" in err
    assert code == 0


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("localhost", True),
        ("::1", True),
        ("[::1]", True),
        ("0.0.0.0", False),
        ("192.168.1.5", False),
        ("example.com", False),
    ],
)
def test_only_loopback_addresses_count_as_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback
