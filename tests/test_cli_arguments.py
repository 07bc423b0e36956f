"""The command line's refusals and endings, run as real processes.

A `--db` that names no database is refused in one line and nothing is created; a
database that cannot be reached is one line naming where and why; `review` says how many
requests still wait when it stops early; `serve` binds before it says where it listens;
a closed pipe ends quietly; `--version` and `token` work.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import forked
import httpx
import psycopg
import pytest
from graphs.mail import ask

from langgraph_hitl import (
    DatabaseUnavailableError,
    DatabaseURLError,
    Inbox,
    __version__,
    aopen_checkpointer,
    open_checkpointer,
)
from langgraph_hitl.core._graphref import load_graph
from langgraph_hitl.web._security import MIN_TOKEN_LENGTH, Reviewers, token_digest

if TYPE_CHECKING:
    from langchain_core.runnables import RunnableConfig

GRAPHS = Path(__file__).parent / "graphs"
MAIL = f"{GRAPHS / 'mail.py'}:graph"
PG_ENV = "LANGGRAPH_HITL_TEST_POSTGRES_URL"
PG_PASSWORD_ENV = "LANGGRAPH_HITL_TEST_POSTGRES_PASSWORD_URL"


def _cli(*args: str, stdin: str = "", cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return forked.run(
        [sys.executable, "-m", "langgraph_hitl", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        env={**os.environ, "COLUMNS": "200"},
        check=False,
    )


def _config(thread_id: str) -> RunnableConfig:
    return {"configurable": {"thread_id": thread_id}}


def _one_line(text: str) -> str:
    lines = text.splitlines()
    assert len(lines) == 1, f"expected one line, got:\n{text}"
    assert "Traceback" not in text
    return lines[0]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _port(command: str) -> list[str]:
    """A free `--port` for `serve` (so a refusal never depends on 8765 being free)."""
    return ["--port", str(_free_port())] if command == "serve" else []


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "agent.db"
    with open_checkpointer(str(path)) as saver:
        graph = load_graph(MAIL, saver)
        graph.invoke(ask("send_email", to="ada@example.com", subject="Hi"), _config("mail"))
        graph.invoke(ask("human_assistance", query="Which city?"), _config("help"))
    return path


def _pending(db: Path) -> list[str]:
    with open_checkpointer(str(db)) as saver:
        return [p.id for p in Inbox(load_graph(MAIL, saver)).pending()]


# -- --db ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "value", "says"),
    [
        ("inbox", "missing.db", "No database file 'missing.db' (nothing was created)"),
        ("review", "missing.db", "No database file 'missing.db' (nothing was created)"),
        ("expire", "missing.db", "No database file 'missing.db' (nothing was created)"),
        ("serve", "missing.db", "No database file 'missing.db' (nothing was created)"),
        ("inbox", "mysql://user@host/db", "has the scheme 'mysql', which is not supported"),
        ("expire", "mysql://ada:s3cret@host/db", "'mysql://ada:***@host/db' has the scheme"),
        ("serve", "http://example.com", "has the scheme 'http', which is not supported"),
        ("review", "/no/such/dir/x.db", "No database file '/no/such/dir/x.db'"),
        ("expire", "", "The database '' is empty"),
        ("inbox", "sqlite:///:memory:", "is in memory, so it is always empty"),
        ("review", "folder", "is a folder, not a SQLite file"),
    ],
)
def test_a_db_that_names_no_database_is_refused_and_nothing_is_created(
    command: str, value: str, says: str, tmp_path: Path
) -> None:
    (tmp_path / "folder").mkdir()
    before = sorted(tmp_path.rglob("*"))

    run = _cli(command, MAIL, "--db", value, cwd=tmp_path)

    assert run.returncode == 2
    line = _one_line(run.stderr)
    assert line.startswith(f"langgraph-hitl {command}: error: argument --db: ")
    assert says in line
    assert "postgresql://" in line, "the accepted forms are named"
    assert run.stdout == ""
    assert "s3cret" not in line, "never a password"
    assert sorted(tmp_path.rglob("*")) == before, "nothing was created"
    assert not Path("mysql:").exists()


COMMANDS = ["inbox", "review", "expire", "serve"]


@pytest.mark.parametrize("command", COMMANDS)
def test_an_unreachable_postgresql_is_one_line(command: str) -> None:
    port = _free_port()  # nothing listens there
    url = f"postgresql://postgres:hunter2-secret@127.0.0.1:{port}/agent"

    run = _cli(command, MAIL, "--db", url, *_port(command))

    assert run.returncode == 1
    assert _one_line(run.stderr) == (
        f"langgraph-hitl: error: Cannot reach the PostgreSQL database 'agent' at 127.0.0.1:{port}: "
        "Connection refused."
    )
    assert "hunter2" not in run.stderr + run.stdout, "never the password"


def _password_url() -> str:
    """A role that must give its password (scripts/with-postgres.sh), with the right one."""
    url = os.environ.get(PG_PASSWORD_ENV)
    if not url:
        pytest.skip(f"${PG_PASSWORD_ENV} is not set (run under scripts/with-postgres.sh)")
    right = urlsplit(url)
    assert right.password
    with psycopg.connect(url) as conn:  # the role and its right password work
        assert conn.execute("SELECT current_user").fetchone() == (right.username,)
    return url


def _wrong_password(url: str) -> str:
    parts = urlsplit(url)
    where = parts.netloc.rpartition("@")[2]
    return parts._replace(netloc=f"{parts.username}:not-{parts.password}@{where}").geturl()


@pytest.mark.parametrize("command", COMMANDS)
def test_a_wrong_postgresql_password_is_one_line_that_never_shows_it(command: str) -> None:
    right = urlsplit(_password_url())
    assert right.password

    run = _cli(command, MAIL, "--db", _wrong_password(right.geturl()), *_port(command))

    assert run.returncode == 1
    assert run.stdout == ""
    assert _one_line(run.stderr) == (
        f"langgraph-hitl: error: Cannot reach the PostgreSQL database {right.path[1:]!r} at "
        f"{right.hostname}:{right.port}: password authentication failed for user "
        f'"{right.username}".'
    )
    assert right.password not in run.stderr, "never the password"


def test_serve_with_the_right_password_never_shows_it() -> None:
    url = _password_url()
    password = urlsplit(url).password
    assert password
    port = _free_port()
    proc = forked.Popen(
        [sys.executable, "-m", "langgraph_hitl", "serve", MAIL, "--db", url, "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        banner = proc.stderr.readline()  # once it listens
        answer = httpx.get(f"http://127.0.0.1:{port}/api/pending", timeout=30)
    finally:
        proc.send_signal(2)
        out, rest = proc.communicate(timeout=60)

    assert banner.startswith(f"Reviewing {MAIL} (store: {url.replace(password, '***')}) at "), (
        banner + rest
    )
    assert answer.status_code == 200, "the role and its password are right"
    for shown in (banner, rest, out):
        assert password not in shown


def test_a_missing_postgresql_database_is_one_line() -> None:
    url = os.environ.get(PG_ENV)
    if not url:
        pytest.skip(f"${PG_ENV} is not set (run under scripts/with-postgres.sh)")
    parts = urlsplit(url)
    missing = parts._replace(path="/no_such_database").geturl()

    run = _cli("review", MAIL, "--db", missing)

    assert run.returncode == 1
    line = _one_line(run.stderr)
    assert f"{parts.hostname}:{parts.port}" in line
    assert 'database "no_such_database" does not exist' in line


@pytest.mark.parametrize("command", COMMANDS)
def test_a_file_that_is_not_a_database_is_one_line(command: str, tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("not a database, just notes\n" * 200)
    before = _snapshot(tmp_path)

    run = _cli(command, MAIL, "--db", str(notes), stdin="a\n")

    assert run.returncode == 1
    line = _one_line(run.stderr)
    assert line == (
        f"langgraph-hitl: error: Cannot open the SQLite database '{notes}': file is not a database."
    )
    assert _snapshot(tmp_path) == before, "nothing created or changed"


# Root reads any file, whatever its mode. Without its capabilities (dropped in the
# forked child, as `setpriv --bounding-set=-all --inh-caps=-all` would drop them for a
# program it starts) it is held to the file modes like anyone else, and it still owns the
# interpreter's files (which may live where only root may go, unlike a user such as nobody).
_UNPRIVILEGED = {forked.DROP_CAPABILITIES_ENV: "1"} if os.geteuid() == 0 else {}


def _unprivileged(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return forked.run(
        [sys.executable, "-m", "langgraph_hitl", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "200", **_UNPRIVILEGED},
        check=False,
    )


def _snapshot(folder: Path) -> dict[str, tuple[int, int, bytes]]:
    """Each file's mode, modification time and bytes (read as the test's own user)."""
    return {
        str(path.relative_to(folder)): (
            path.stat().st_mode,
            path.stat().st_mtime_ns,
            path.read_bytes() if path.is_file() else b"",
        )
        for path in sorted(folder.rglob("*"))
    }


@pytest.mark.parametrize(
    ("command", "locked", "mode", "says"),
    [
        *[(c, "file", 0o000, "permission denied (not readable by this user)") for c in COMMANDS],
        ("review", "file", 0o444, "permission denied (not writable by this user)"),
        ("serve", "file", 0o444, "permission denied (not writable by this user)"),
        ("inbox", "folder", 0o000, "permission denied (not readable by this user)"),
        ("expire", "folder", 0o000, "permission denied (not readable by this user)"),
    ],
)
def test_a_sqlite_file_this_user_may_not_open_is_one_line_and_nothing_changes(
    command: str, locked: str, mode: int, says: str, db: Path
) -> None:
    before = _pending(db)
    snapshot = _snapshot(db.parent)
    target = db if locked == "file" else db.parent
    target_mode = target.stat().st_mode
    target.chmod(mode)
    try:
        run = _unprivileged(command, MAIL, "--db", str(db), *_port(command), stdin="a\na\n")
    finally:
        target.chmod(target_mode)

    assert run.returncode == 1
    assert _one_line(run.stderr) == (
        f"langgraph-hitl: error: Cannot open the SQLite database '{db}': {says}."
    )
    assert run.stdout == ""
    assert _snapshot(db.parent) == snapshot, "nothing created or changed"
    assert _pending(db) == before


@pytest.mark.parametrize("case", ["postgresql down", "wrong password", "unreadable file"])
def test_debug_shows_the_traceback_of_a_database_that_cannot_be_opened(case: str, db: Path) -> None:
    if case == "postgresql down":
        url, cause = f"postgresql://postgres@127.0.0.1:{_free_port()}/agent", "OperationalError"
    elif case == "wrong password":
        url, cause = _wrong_password(_password_url()), "password authentication failed"
    else:
        url, cause = str(db), "PermissionError: [Errno 13] Permission denied"
        db.chmod(0o000)
    try:
        debug = _unprivileged("--debug", "inbox", MAIL, "--db", url)
    finally:
        db.chmod(0o644)

    assert debug.returncode == 1
    assert "Traceback (most recent call last)" in debug.stderr
    assert cause in debug.stderr
    assert "langgraph_hitl.core._errors.DatabaseUnavailableError: Cannot " in debug.stderr
    if case == "wrong password":
        password = urlsplit(_password_url()).password
        assert password
        assert password not in debug.stderr + debug.stdout, "not even with --debug"


def test_an_unexpected_failure_is_one_line_unless_debug(tmp_path: Path, db: Path) -> None:
    broken = tmp_path / "broken.py"
    broken.write_text("def graph():\n    raise RuntimeError('the factory broke')\n")

    run = _cli("inbox", f"{broken}:graph", "--db", str(db))
    debug = _cli("--debug", "inbox", f"{broken}:graph", "--db", str(db))

    assert run.returncode == 1
    assert _one_line(run.stderr) == (
        "langgraph-hitl: error: RuntimeError: the factory broke "
        "(run with --debug for the traceback)"
    )
    assert debug.returncode == 1
    assert "Traceback" in debug.stderr


def test_a_usage_error_is_one_line() -> None:
    run = _cli("inbox", MAIL)

    assert run.returncode == 2
    line = _one_line(run.stderr)
    assert "missing --db URL: give GRAPH --db URL" in line


# -- endings ------------------------------------------------------------------------------


@pytest.mark.parametrize(("stdin", "stop"), [("q\n", "Stopped."), ("", "End of input: stopped")])
def test_review_says_how_many_still_wait_when_it_stops_early(
    db: Path, stdin: str, stop: str
) -> None:
    before = _pending(db)

    run = _cli("review", MAIL, "--db", str(db), stdin=stdin)

    assert run.returncode == 0, run.stderr
    assert stop in run.stdout
    assert "No pending requests" not in run.stdout
    last = run.stdout.splitlines()[-1]
    assert last == "Answered 0, skipped 0, answered by others 0; 2 requests still wait."
    assert _pending(db) == before


def test_review_of_an_empty_thread_says_so(db: Path) -> None:
    run = _cli("review", MAIL, "--db", str(db), "--thread", "nobody")

    assert run.stdout.splitlines()[-1] == "No pending requests on thread 'nobody'."


def test_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    db = tmp_path / "big.db"
    with open_checkpointer(str(db)) as saver:
        graph = load_graph(MAIL, saver)
        # Each line is far larger than a pipe's buffer, so the writer meets the closed pipe.
        for n in range(2):
            graph.invoke(ask("send_email", to="a@b.c", subject="x" * 300_000), _config(f"t{n}"))
    err = tmp_path / "err.txt"
    command = (
        f"{sys.executable} -m langgraph_hitl inbox {MAIL} --db {db} --json 2>{err} | head -c 10;"
        ' echo " ${PIPESTATUS[0]}"'
    )

    run = subprocess.run(
        ["bash", "-c", command], capture_output=True, text=True, timeout=120, check=False
    )

    assert run.stdout == '{"thread_i 141\n'
    assert err.read_text() == ""


def test_version() -> None:
    run = _cli("--version")

    assert run.returncode == 0
    assert run.stdout == f"langgraph-hitl {__version__}\n"


def test_token_prints_a_strong_random_line_for_the_reviewers_file(tmp_path: Path) -> None:
    first = _cli("token", "alice")
    second = _cli("token", "alice")
    empty = _cli("token", " ")

    assert first.returncode == 0, first.stderr
    (entry,) = json.loads(first.stdout).items()
    token, name = entry
    assert name == "alice"
    assert len(token) >= 40 > MIN_TOKEN_LENGTH
    assert json.loads(second.stdout) != json.loads(first.stdout)
    file = tmp_path / "reviewers.json"
    file.write_text(first.stdout)
    assert Reviewers(path=file).name_of_digest(token_digest(token)) == "alice"
    assert empty.returncode == 2
    assert "must be a reviewer's name" in _one_line(empty.stderr)


# -- serve ----------------------------------------------------------------------------------


def test_serve_on_a_busy_port_is_one_line_and_no_banner(db: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        run = _cli("serve", MAIL, "--db", str(db), "--port", str(port))

    assert run.returncode == 1
    line = _one_line(run.stderr)
    assert f"Cannot listen on 127.0.0.1 port {port}" in line
    assert "Address already in use" in line
    assert "Reviewing" not in run.stderr


def test_serve_prints_its_banner_once_it_listens(db: Path) -> None:
    port = _free_port()
    proc = forked.Popen(
        [
            sys.executable,
            "-m",
            "langgraph_hitl",
            "serve",
            MAIL,
            "--db",
            str(db),
            "--port",
            str(port),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        banner = proc.stderr.readline()  # blocks until the server says something
        # No retry: once the banner is out, the port answers.
        answer = httpx.get(f"http://127.0.0.1:{port}/api/pending", timeout=30)
    finally:
        proc.send_signal(2)
        _, rest = proc.communicate(timeout=300)

    assert banner.startswith(f"Reviewing {MAIL} (store: {db}) at http://127.0.0.1:{port}/")
    assert answer.status_code == 200
    assert len(answer.json()["pending"]) == 2
    assert proc.returncode == 0
    assert rest.strip() == "Stopped."


def test_review_never_sends_nan_as_json(tmp_path: Path) -> None:
    module = tmp_path / "anything.py"
    module.write_text(
        "from typing import Any\n"
        "from langgraph.graph import START, StateGraph\n"
        "from langgraph.types import interrupt\n"
        "from typing_extensions import TypedDict\n\n\n"
        "class State(TypedDict, total=False):\n"
        "    reply: Any\n\n\n"
        "def ask(state: State) -> State:\n"
        "    return {'reply': interrupt({'question': 'Any JSON?'})}\n\n\n"
        "graph = StateGraph(State)\n"
        "graph.add_node('ask', ask)\n"
        "graph.add_edge(START, 'ask')\n"
    )
    spec = f"{module}:graph"
    db = tmp_path / "any.db"
    with open_checkpointer(str(db)) as saver:
        load_graph(spec, saver).invoke({}, _config("t"))

    run = _cli("review", spec, "--db", str(db), stdin="[NaN]\n")

    assert run.returncode == 0, run.stderr
    with open_checkpointer(str(db)) as saver:
        reply = load_graph(spec, saver).get_state(_config("t")).values["reply"]
    assert reply == "[NaN]", "not JSON, so sent as the text typed"


@pytest.mark.parametrize(
    ("option", "value", "says"),
    [
        ("--session-hours", "0", "argument --session-hours: '0' must be more than 0"),
        ("--max-body", "lots", "argument --max-body: 'lots' is not a number of bytes"),
    ],
)
def test_serve_refuses_bad_limits_in_one_line(db: Path, option: str, value: str, says: str) -> None:
    run = _cli("serve", MAIL, "--db", str(db), option, value)

    assert run.returncode == 2
    assert says in _one_line(run.stderr)


async def test_the_async_opener_never_creates_either(tmp_path: Path, db: Path) -> None:
    missing = tmp_path / "missing.db"
    notes = tmp_path / "notes.txt"
    notes.write_text("not a database\n" * 100)

    with pytest.raises(DatabaseURLError, match="No database file"):
        async with aopen_checkpointer(str(missing), create=False):
            pass
    with pytest.raises(DatabaseUnavailableError, match="file is not a database"):
        async with aopen_checkpointer(str(notes), create=False):
            pass
    async with aopen_checkpointer(str(db), create=False) as saver:
        assert await saver.aget_tuple(_config("mail")) is not None

    assert not missing.exists()


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_a_postgresql_set_up_that_fails_is_unavailable_from_either_opener(
    postgres_url: str, mode: str
) -> None:
    """Both openers say why the set-up failed in one error of the library's tree."""
    import psycopg

    with open_checkpointer(postgres_url):
        pass  # the checkpointer's tables exist
    # Another session holds the migrations table, so the next set-up cannot read it and
    # gives up after its lock timeout (however fast the machine).
    url = f"{postgres_url}{'&' if '?' in postgres_url else '?'}options=-c%20lock_timeout%3D100"

    async def open_it() -> None:
        if mode == "sync":
            with open_checkpointer(url):
                pass
        else:
            async with aopen_checkpointer(url):
                pass

    with psycopg.connect(postgres_url) as holder:
        holder.execute("LOCK TABLE checkpoint_migrations IN ACCESS EXCLUSIVE MODE")
        with pytest.raises(DatabaseUnavailableError, match="lock timeout"):
            await open_it()
