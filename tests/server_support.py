"""A real `langgraph dev` server for the tests, serving the graphs of `server_graphs.py`.

`serve(folder)` writes a `langgraph.json` into `folder` (optionally with the `auth` handler
of `server_auth.py`), starts `langgraph dev` there on a free loopback port, waits for
`/ok`, and stops it at the end. Its environment keeps it off the network: no tracing, no
analytics, no version check, and no API key of the machine's. The server keeps its
in-memory state under `folder`, so each `serve` starts empty.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import forked
import httpx
import server_graphs
from langgraph_sdk import get_client, get_sync_client

from langgraph_hitl import Inbox

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping
    from multiprocessing.queues import Queue
    from multiprocessing.synchronize import Barrier

    from langgraph_sdk.client import SyncLangGraphClient

HERE = Path(__file__).resolve().parent
GRAPHS_FILE = HERE / "server_graphs.py"
AUTH_FILE = HERE / "server_auth.py"
STARTUP_TIMEOUT = 180.0
"""Seconds `langgraph dev` gets to answer `/ok` (generous: the machine is shared)."""

# Variables the SDK or the server would read to reach LangSmith, or send as a key.
_DROPPED = (
    "LANGSMITH_API_KEY",
    "LANGCHAIN_API_KEY",
    "LANGGRAPH_API_KEY",
    "LANGSMITH_ENDPOINT",
    "LANGCHAIN_ENDPOINT",
    "LANGGRAPH_CLOUD_LICENSE_KEY",
    "LANGSMITH_CONTROL_PLANE_API_KEY",
)
OFFLINE = {
    "LANGSMITH_TRACING": "false",
    "LANGSMITH_TRACING_V2": "false",
    "LANGCHAIN_TRACING_V2": "false",
    "LANGCHAIN_TRACING": "false",
    "LANGGRAPH_CLI_NO_ANALYTICS": "1",
    "LANGGRAPH_NO_VERSION_CHECK": "1",
}


_FLAGS = ("--no-browser", "--no-reload")
"""No browser to open, and no file watcher (the tests do not edit the graphs)."""


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


_COUNTED: dict[int, int] = {}
_HOOKED: list[bool] = []  # whether this process has the hook (hooks cannot be removed)
_HOOKING = threading.Lock()


def _count_connects(event: str, args: tuple[Any, ...]) -> None:
    if event == "socket.connect":
        address = args[1]
        if isinstance(address, tuple) and len(address) >= 2 and address[1] in _COUNTED:
            _COUNTED[address[1]] += 1


@contextmanager
def counted_connects(port: int) -> Iterator[dict[int, int]]:
    """Count this process's TCP connection attempts to `port` (its `socket.connect` audit
    events, sync and asyncio alike), refused ones included: `counted[port]`."""
    with _HOOKING:
        if not _HOOKED:
            sys.addaudithook(_count_connects)
            _HOOKED.append(True)
        _COUNTED[port] = 0
    try:
        yield _COUNTED
    finally:
        _COUNTED.pop(port, None)


def tool_call(name: str, **args: Any) -> dict[str, Any]:
    """A tool call as an AI message carries it (JSON)."""
    return {"name": name, "args": args, "id": f"call_{uuid.uuid4().hex[:12]}", "type": "tool_call"}


def ai_message(*calls: dict[str, Any]) -> dict[str, Any]:
    """The run input of a tools graph: one AI message asking for `calls`."""
    return {"messages": [{"type": "ai", "content": "", "tool_calls": list(calls)}]}


@dataclass
class Server:
    """A running `langgraph dev`."""

    url: str
    folder: Path
    ledger: Path
    gate: Path
    """The file the `held` graph's tool waits for."""
    process: subprocess.Popen[bytes]
    api_key: str | None = None
    """The API key the test's own client sends (the auth variant's, alice's)."""

    def stop(self) -> None:
        """Stop the server now (a test of what a client meets when it goes away)."""
        _stop(self.process)

    def kill(self) -> None:
        """Kill the server with SIGKILL, as a crash or a lost machine would end it.

        A graceful stop waits (30 s here) for the runs and connections still open.
        """
        _stop(self.process, signal.SIGKILL)

    def client(self) -> SyncLangGraphClient:
        """An SDK client of the server (close it after use)."""
        return get_sync_client(url=self.url, api_key=self.api_key)

    def start(self, graph: str, run_input: dict[str, Any]) -> str:
        """Run `graph` on a new thread until it pauses; return the thread id."""
        client = self.client()
        try:
            thread_id = str(client.threads.create()["thread_id"])
            client.runs.wait(thread_id, graph, input=run_input)
            return thread_id
        finally:
            client.close()

    def start_many(self, graph: str, inputs: list[dict[str, Any]]) -> list[str]:
        """Run `graph` on one new thread per input, a few at once; return the thread ids."""

        async def run_all() -> list[str]:
            client = get_client(url=self.url, api_key=self.api_key)
            gate = asyncio.Semaphore(8)

            async def one(run_input: dict[str, Any]) -> str:
                async with gate:
                    thread_id = str((await client.threads.create())["thread_id"])
                    await client.runs.wait(thread_id, graph, input=run_input)
                    return thread_id

            try:
                return list(await asyncio.gather(*(one(i) for i in inputs)))
            finally:
                await client.aclose()

        return asyncio.run(run_all())

    def effects(self, **match: Any) -> list[dict[str, Any]]:
        """The tools' side effects so far, those whose fields equal `match`."""
        if not self.ledger.exists():
            return []
        lines = self.ledger.read_text(encoding="utf-8").splitlines()
        entries = [json.loads(line) for line in lines if line]
        return [e for e in entries if all(e.get(k) == v for k, v in match.items())]


def _config(auth: bool) -> dict[str, Any]:
    config: dict[str, Any] = {
        "dependencies": ["."],
        "graphs": {name: f"{GRAPHS_FILE}:{name}" for name in server_graphs.GRAPHS},
    }
    if auth:
        config["auth"] = {"path": f"{AUTH_FILE}:auth"}
    return config


def _tail(log: Path) -> str:
    return "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-30:])


@contextmanager
def serve(folder: Path, *, auth: bool = False) -> Iterator[Server]:
    """Run `langgraph dev` in `folder` until the block ends."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "langgraph.json").write_text(json.dumps(_config(auth)), encoding="utf-8")
    ledger = folder / "ledger.jsonl"
    env = {k: v for k, v in os.environ.items() if k not in _DROPPED}
    env.update(OFFLINE)
    env[server_graphs.LEDGER_ENV] = str(ledger)
    gate = folder / "gate"
    env[server_graphs.GATE_ENV] = str(gate)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    binary = langgraph_binary()
    log = folder / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(binary), "dev", "--host", "127.0.0.1", "--port", str(port), *_FLAGS],
            cwd=folder,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_ready(url, process, log)
        key = "key-alice" if auth else None
        yield Server(url=url, folder=folder, ledger=ledger, gate=gate, process=process, api_key=key)
    finally:
        _stop(process)


def _wait_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"langgraph dev exited with {process.returncode}:\n{_tail(log)}")
        try:
            if httpx.get(f"{url}/ok", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        # Polling a condition, not synchronizing: the server says when it is up.
        time.sleep(0.2)
    raise RuntimeError(f"langgraph dev gave no /ok within {STARTUP_TIMEOUT:g} s:\n{_tail(log)}")


def _stop(process: subprocess.Popen[bytes], first: signal.Signals = signal.SIGTERM) -> None:
    """Send `first` to the process's group; SIGKILL it when it is not gone within 30 s."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, first)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)


def wait_until(condition: Any, *, timeout: float = 300.0, what: str = "the condition") -> Any:
    """Poll `condition()` until it returns something truthy; return that."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not hold within {timeout:g} s")
        time.sleep(0.05)


def cli(
    *args: str, stdin: str = "", env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `python -m langgraph_hitl *args` as a process, with no API key of the machine's."""
    environ = {k: v for k, v in os.environ.items() if k not in _DROPPED}
    environ.update(OFFLINE)
    environ.update(env or {})
    return forked.run(
        [sys.executable, "-m", "langgraph_hitl", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=environ,
        timeout=300,
        check=False,
    )


_BANNER = re.compile(r" at (http://\S+/) - press Ctrl\+C to stop\.")


class Reviewer:
    """`python -m langgraph_hitl serve --url ...` as a real process, on a free loopback port.

    `start()` returns once it printed its banner; `first` is the answer to the first request
    sent right after the banner, without any retry: the banner comes once it listens.
    """

    def __init__(self, *args: str, env: Mapping[str, str] | None = None) -> None:
        environ = {k: v for k, v in os.environ.items() if k not in _DROPPED}
        environ.update(OFFLINE)
        environ.update(env or {})
        port = free_port()
        self.process = forked.Popen(
            [sys.executable, "-m", "langgraph_hitl", "serve", *args, "--port", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env=environ,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        self.banner = ""
        self.url = ""
        self.first: httpx.Response | None = None

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def start(self, timeout: float = STARTUP_TIMEOUT) -> Reviewer:
        """Wait for the banner (failing with what it said when it exits first)."""
        said: list[str] = []
        while True:
            line = self.lines.get(timeout=timeout)
            if line is None:
                self.process.wait(timeout=30)
                raise RuntimeError(f"serve exited with {self.process.returncode}: {said}")
            said.append(line)
            found = _BANNER.search(line)
            if found:
                self.banner, self.url = line, found.group(1).rstrip("/")
                self.first = httpx.get(f"{self.url}/openapi.json", timeout=30)
                return self

    def stop(self) -> int:
        """Stop it as a person would, with Ctrl+C; return its exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)
        self.reader.join(timeout=30)
        assert self.process.stderr is not None
        self.process.stderr.close()
        return self.process.returncode

    def __enter__(self) -> Reviewer:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc: object) -> None:
        self.stop()


def race(
    url: str,
    rounds: list[tuple[str, str]],
    reviewer: str,
    barrier: Barrier,
    results: Queue[tuple[str, str, str]],
) -> None:
    """A reviewer process: for each `(thread_id, interrupt_id)`, wait for the others, answer.

    Puts `(reviewer, thread_id, outcome)` on `results`: `"applied"`, or the error's name.
    """
    inbox = Inbox.from_server(url)
    try:
        for thread_id, interrupt_id in rounds:
            barrier.wait(timeout=120)
            try:
                inbox.resume(thread_id, {interrupt_id: {"type": "approve", "reviewer": reviewer}})
                outcome = "applied"
            except Exception as exc:
                outcome = type(exc).__name__
            results.put((reviewer, thread_id, outcome))
    finally:
        inbox.close()


def langgraph_binary() -> Path:
    """The `langgraph dev` to start.

    LangGraph's server (langgraph-cli[inmem]) needs Python 3.11 or later. On an older
    interpreter (the Python 3.10 run), the main environment's 3.11 server serves the graphs
    while the tests, the SDK and the library under test run on this interpreter, as a client
    of a deployment would.
    """
    here = Path(sys.executable).parent / "langgraph"
    if importlib.util.find_spec("langgraph_api") is not None and here.exists():
        return here
    main = Path(__file__).resolve().parent.parent / ".venv" / "bin" / "langgraph"
    if main.exists():
        return main
    raise RuntimeError(
        "langgraph dev needs Python 3.11+ with langgraph-cli[inmem]: run `make sync` first"
    )
