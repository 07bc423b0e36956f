"""Real child processes without a fresh interpreter's start: forked from a warm zygote.

`Popen` and `run` take the arguments of `subprocess.Popen` and `subprocess.run` for a
Python child, `[sys.executable, "-m", MODULE, ...]` or `[sys.executable, SCRIPT, ...]`.
The child is a real process, forked from `zygote.py` (one per test process, started on
first use), with its own pid, standard streams (the pipes asked for, as
`subprocess` makes them), environment, working directory, signals and exit status; it
has only skipped the interpreter's start and the imports of the library and its
dependencies, which cost about 3.5 s of CPU per process on these 2-core machines, where
the suite is CPU-bound. Its own modules (the tests' graphs, the graph file a command
loads) it imports itself.

Tests about the interpreter's start itself (the console script, what importing the
library imports, a pipe closed under it) spawn a fresh interpreter with `subprocess`.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import multiprocessing
import multiprocessing.context
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

ZYGOTE = Path(__file__).with_name("zygote.py")
DROP_CAPABILITIES_ENV = "LANGGRAPH_HITL_TEST_DROP_CAPABILITIES"
"""In a child's environment, set to 1: it runs without any capability (`zygote.py`)."""
WARM = (
    "aiosqlite",
    "langgraph.checkpoint.postgres",
    "langgraph.checkpoint.sqlite",
    "langgraph_hitl",
    "langgraph_sdk",
    "psycopg",
)
"""What `context()`'s server imports once, for every process it starts."""


def _in_env(environ: dict[str, str], cwd: str, target: Callable[..., object], *args: Any) -> None:
    """Run `target` where and with what a spawned process would: the parent's environment
    and working directory as they were at `start()` (the forkserver has its own)."""
    os.environ.clear()
    os.environ.update(environ)
    os.chdir(cwd)
    target(*args)


class Context:
    """`multiprocessing`'s forkserver with the library imported in its server (`WARM`).

    For tests that run a function in other processes: each `Process` is real and starts as
    `spawn` would prepare it (the parent's `sys.path`, environment and working directory,
    the function's module imported), forked in milliseconds instead of the seconds of a
    fresh interpreter. Queues, barriers and the rest are the context's own.
    """

    def __init__(self) -> None:
        self.forkserver = multiprocessing.get_context("forkserver")
        self.forkserver.set_forkserver_preload(list(WARM))

    def Process(
        self, *, target: Callable[..., object], args: tuple[Any, ...] = (), **kwargs: Any
    ) -> multiprocessing.context.ForkServerProcess:
        process: multiprocessing.context.ForkServerProcess = self.forkserver.Process(
            target=_in_env, args=(dict(os.environ), os.getcwd(), target, *args), **kwargs
        )
        return process

    def __getattr__(self, name: str) -> Any:
        return getattr(self.forkserver, name)


def context() -> Context:
    """The forkserver context of the tests' processes (see `Context`)."""
    return Context()


class _Zygote:
    """The zygote of this process: requests out, pids and wait statuses back."""

    def __init__(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        self.process = subprocess.Popen(
            [sys.executable, str(ZYGOTE), str(theirs.fileno())],
            pass_fds=(theirs.fileno(),),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            env=env,
        )
        theirs.close()
        self.sock = ours
        self.asking = threading.Lock()
        self.changed = threading.Condition()
        self.pids: list[int] = []
        self.statuses: dict[int, int] = {}
        self.gone = False
        threading.Thread(target=self._read, name="zygote-reader", daemon=True).start()

    def _read(self) -> None:
        while True:
            try:
                data = self.sock.recv(4096)
            except OSError:
                data = b""
            with self.changed:
                if not data:
                    self.gone = True
                    self.changed.notify_all()
                    return
                message = json.loads(data)
                if "pid" in message:
                    self.pids.append(int(message["pid"]))
                else:
                    self.statuses[int(message["exit"])] = int(message["status"])
                self.changed.notify_all()

    def fork(self, argv: list[str], cwd: str, env: dict[str, str], fds: list[int]) -> int:
        request = json.dumps({"argv": argv, "cwd": cwd, "env": env}).encode()
        with self.asking:
            socket.send_fds(self.sock, [request], fds)
            with self.changed:
                if not self.changed.wait_for(lambda: self.pids or self.gone, timeout=60):
                    raise RuntimeError("the zygote did not answer within 60 s")
                if not self.pids:
                    raise RuntimeError(f"the zygote is gone ({self.process.poll()})")
                return self.pids.pop(0)

    def status(self, pid: int, *, timeout: float | None) -> int | None:
        """The raw wait status of `pid`, waiting up to `timeout` (0: not at all)."""
        with self.changed:
            self.changed.wait_for(lambda: pid in self.statuses or self.gone, timeout=timeout)
            if pid not in self.statuses and self.gone:
                raise RuntimeError(f"the zygote is gone ({self.process.poll()})")
            return self.statuses.get(pid)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)  # the zygote reads the end, and exits
        self.sock.close()
        self.process.wait(timeout=60)


_zygote: _Zygote | None = None
_starting = threading.Lock()


def _the_zygote() -> _Zygote:
    global _zygote
    with _starting:
        if _zygote is None or _zygote.gone:
            _zygote = _Zygote()
            atexit.register(_zygote.close)
        return _zygote


def _program(args: Any) -> list[str]:
    """The child's arguments after the interpreter; refuses what a fork cannot run."""
    argv = [] if isinstance(args, (str, bytes)) else [os.fspath(a) for a in args]
    runs = (len(argv) >= 3 and argv[1] == "-m") or (len(argv) >= 2 and argv[1][:1] != "-")
    if not argv or argv[0] != sys.executable or not runs:
        raise ValueError(f"forked.Popen runs `python -m MODULE` or `python SCRIPT`, not {args!r}")
    return [str(a) for a in argv[1:]]


class Popen(subprocess.Popen[Any]):
    """`subprocess.Popen` for a Python child forked from the zygote (see the module)."""

    def _execute_child(
        self,
        args: Any,
        executable: Any,
        preexec_fn: Any,
        close_fds: bool,
        pass_fds: Any,
        cwd: Any,
        env: Any,
        startupinfo: Any,
        creationflags: int,
        shell: bool,
        p2cread: int,
        p2cwrite: int,
        c2pread: int,
        c2pwrite: int,
        errread: int,
        errwrite: int,
        *rest: Any,
    ) -> None:
        if shell or executable is not None or preexec_fn is not None or pass_fds:
            raise ValueError("forked.Popen takes no shell, executable, preexec_fn or pass_fds")
        argv = _program(args)
        fds = [p2cread, c2pwrite, errwrite]
        fds = [fd if fd != -1 else n for n, fd in enumerate(fds)]  # -1: inherit ours
        environ = dict(os.environ if env is None else env)
        where = os.getcwd() if cwd is None else os.fspath(cwd)  # ours now, as a spawn's
        self.pid = _the_zygote().fork(argv, where, environ, fds)
        self._child_created = True
        # As subprocess does: the child's ends of the pipes are the child's alone now.
        devnull = getattr(self, "_devnull", None)
        if p2cread != -1 and p2cwrite != -1 and p2cread != devnull:
            os.close(p2cread)
        if c2pwrite != -1 and c2pread != -1 and c2pwrite != devnull:
            os.close(c2pwrite)
        if errwrite != -1 and errread != -1 and errwrite != devnull:
            os.close(errwrite)
        if devnull is not None:
            os.close(devnull)
        self._closed_child_pipe_fds = True

    def _internal_poll(self, _deadstate: Any = None, **_: Any) -> int | None:
        if self.returncode is None:
            status = _the_zygote().status(self.pid, timeout=0)
            if status is not None:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def _wait(self, timeout: float | None) -> int:
        if self.returncode is not None:
            return self.returncode
        status = _the_zygote().status(self.pid, timeout=timeout)
        if status is None:
            raise subprocess.TimeoutExpired(self.args, timeout or 0)
        self.returncode = code = os.waitstatus_to_exitcode(status)
        return code


def run(
    args: Any,
    *,
    input: str | bytes | None = None,
    timeout: float | None = None,
    check: bool = False,
    capture_output: bool = False,
    **kwargs: Any,
) -> subprocess.CompletedProcess[Any]:
    """`subprocess.run` for a Python child forked from the zygote."""
    if input is not None:
        kwargs["stdin"] = subprocess.PIPE
    if capture_output:
        kwargs["stdout"] = kwargs["stderr"] = subprocess.PIPE
    with Popen(args, **kwargs) as process:
        try:
            out, err = process.communicate(input, timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            raise
    done: subprocess.CompletedProcess[Any] = subprocess.CompletedProcess(
        process.args, process.returncode, out, err
    )
    if check:
        done.check_returncode()
    return done
