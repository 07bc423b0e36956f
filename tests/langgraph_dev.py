"""A real `langgraph dev` server for tests, and the JS SDK to drive it with.

`dev_server(...)` starts `langgraph dev` (langgraph-cli[inmem]) on 127.0.0.1 and a free
port, in a temporary working directory (it keeps its state in `.langgraph_api` there),
with tracing, analytics and the browser switched off, waits until `/ok` answers, and stops
the whole process group afterwards. The graphs come from tests/graphs, imported by module.

`js_sdk()` installs `@langchain/langgraph-sdk` from tests/js/package-lock.json with `npm
ci` into `.cache/js-sdk` (git-ignored), once, under a file lock so parallel workers share
it; `run_js(...)` runs tests/js/answer.mjs with node against a server.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from server_support import langgraph_binary

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
JS = TESTS / "js"
JS_CACHE = ROOT / ".cache" / "js-sdk"
READY_TIMEOUT = 180.0
"""Seconds `langgraph dev` may take to answer /ok (it imports a lot on 2 busy cores)."""


@dataclass(frozen=True)
class DevServer:
    """A running `langgraph dev`."""

    url: str
    """Its base URL, e.g. http://127.0.0.1:41234."""
    outbox: Path
    """The file the served `send_email` appends each e-mail it sent to."""
    log: Path
    """The server's output, for failure messages."""

    def sent(self) -> list[dict[str, Any]]:
        """Every e-mail the served tool really sent, oldest first."""
        if not self.outbox.exists():
            return []
        return [json.loads(line) for line in self.outbox.read_text().splitlines() if line]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/ok", timeout=5) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def _tail(path: Path, lines: int = 40) -> str:
    return (
        "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""
    )


@contextmanager
def dev_server(
    workdir: Path, *, graphs: Mapping[str, str], auth: str | None = None
) -> Iterator[DevServer]:
    """Run `langgraph dev` serving `graphs` ({id: "graphs.module:attr"}) until the block ends."""
    workdir.mkdir(parents=True, exist_ok=True)
    config: dict[str, Any] = {"dependencies": [str(TESTS)], "graphs": dict(graphs)}
    if auth is not None:
        config["auth"] = {"path": auth}
    (workdir / "langgraph.json").write_text(json.dumps(config))
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    outbox = workdir / "outbox.jsonl"
    log = workdir / "server.log"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")]),
        "LANGGRAPH_HITL_TEST_OUTBOX": str(outbox),
        # Nothing leaves the machine: no tracing, no analytics, no browser.
        "LANGSMITH_TRACING": "false",
        "LANGCHAIN_TRACING_V2": "false",
        "LANGGRAPH_CLI_NO_ANALYTICS": "1",
        "DO_NOT_TRACK": "1",
    }
    for key in ("LANGSMITH_API_KEY", "LANGCHAIN_API_KEY", "LANGGRAPH_CLOUD_LICENSE_KEY"):
        env.pop(key, None)
    binary = langgraph_binary()
    with log.open("w") as out:
        process = subprocess.Popen(
            [
                str(binary),
                "dev",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-browser",
                "--no-reload",
                "--config",
                "langgraph.json",
            ],
            cwd=workdir,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + READY_TIMEOUT
        while not _ready(url):
            if process.poll() is not None:
                pytest.fail(f"langgraph dev exited with {process.returncode}:\n{_tail(log)}")
            if time.monotonic() > deadline:
                pytest.fail(f"langgraph dev did not answer {url}/ok in time:\n{_tail(log)}")
            # Polling a condition (the server answering), not waiting for time to pass.
            time.sleep(0.2)
        yield DevServer(url=url, outbox=outbox, log=log)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=30)


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        message = f"{name} is not installed: the JS SDK tests need node 20 and npm"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


def js_sdk() -> Path:
    """The directory holding `node_modules/@langchain/langgraph-sdk`, installed once."""
    node, npm = _tool("node"), _tool("npm")
    del node
    lock = (JS / "package-lock.json").read_bytes()
    stamp = hashlib.sha256((JS / "package.json").read_bytes() + lock).hexdigest()
    JS_CACHE.mkdir(parents=True, exist_ok=True)
    with (JS_CACHE.parent / "js-sdk.lock").open("w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # parallel workers install once, one at a time
        marker = JS_CACHE / ".installed"
        if not (marker.exists() and marker.read_text() == stamp):
            for name in ("package.json", "package-lock.json"):
                shutil.copy(JS / name, JS_CACHE / name)
            done = subprocess.run(
                [npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts"],
                cwd=JS_CACHE,
                capture_output=True,
                text=True,
                timeout=600,
                check=False,
            )
            if done.returncode != 0:
                pytest.fail(f"npm ci failed:\n{done.stdout}\n{done.stderr}")
            marker.write_text(stamp)
        # Next to node_modules, so node resolves the SDK from the cache. Written once per
        # worker under the lock and swapped in whole: a node started by another worker
        # never reads a half-copied (or truncated) script.
        script = JS_CACHE / "answer.mjs"
        source = (JS / "answer.mjs").read_bytes()
        if not script.exists() or script.read_bytes() != source:
            partial = JS_CACHE / f".answer.mjs.{os.getpid()}"
            partial.write_bytes(source)
            partial.replace(script)
    return JS_CACHE


def run_js(sdk: Path, request: Mapping[str, Any]) -> dict[str, Any]:
    """Run tests/js/answer.mjs with `request` on stdin; its JSON report."""
    script = sdk / "answer.mjs"
    done = subprocess.run(
        [_tool("node"), str(script)],
        cwd=sdk,
        input=json.dumps(request),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        pytest.fail(f"node answer.mjs failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    if not done.stdout.strip():
        pytest.fail(f"node answer.mjs printed no report:\n{done.stderr}")
    report: dict[str, Any] = json.loads(done.stdout)
    return report
