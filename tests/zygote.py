"""A warm interpreter that forks the tests' Python child processes (see `forked.py`).

`python tests/zygote.py FD`: imports the library and everything its commands use once,
then, for each request read from the socket `FD` (argv, cwd, environment, and the three
standard streams passed as file descriptors), forks a child that runs
`python -m MODULE ...` or `python SCRIPT ...` exactly as a fresh interpreter would: its
own process, pid, streams, environment, working directory and exit status. The child
skips only the interpreter's start and the imports (about 3.5 s of CPU each on these
machines). The zygote reports each child's pid, then its raw wait status.

Single-threaded: SIGCHLD wakes the loop through a wakeup pipe, so no thread is ever
running when the zygote forks.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib
import json
import os
import pkgutil
import runpy
import select
import signal
import socket
import sys
import traceback
from typing import Any, NoReturn

PRELOAD = (
    "aiosqlite",
    "httpx",
    "langgraph.checkpoint.postgres",
    "langgraph.checkpoint.postgres.aio",
    "langgraph.checkpoint.sqlite",
    "langgraph.checkpoint.sqlite.aio",
    "langgraph_sdk",
    "psycopg",
    "starlette",
    "uvicorn",
)
DROP_CAPABILITIES_ENV = "LANGGRAPH_HITL_TEST_DROP_CAPABILITIES"  # (forked.DROP_CAPABILITIES_ENV)
"""Set to 1 in a request's environment: the child gives up every capability first."""
BASE_PATH = sys.path[1:]
"""The interpreter's own path, without this script's folder (the zygote has no PYTHONPATH)."""


def _preload() -> None:
    import langgraph_hitl

    for name in PRELOAD:
        importlib.import_module(name)
    for module in pkgutil.walk_packages(langgraph_hitl.__path__, "langgraph_hitl."):
        if not module.name.endswith("__main__"):
            importlib.import_module(module.name)


def _drop_capabilities() -> None:
    """Give up every capability, for good, as `setpriv --bounding-set=-all
    --inh-caps=-all` gives a program it starts: root is then held to the file modes
    like anyone else (it still owns its files, so the interpreter's own keep working)."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    with open("/proc/sys/kernel/cap_last_cap") as f:
        last = int(f.read())
    for cap in range(last + 1):  # from the bounding set: no later exec gets one back
        if libc.prctl(24, cap, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), f"PR_CAPBSET_DROP {cap}")

    class Header(ctypes.Structure):
        _fields_ = (("version", ctypes.c_uint32), ("pid", ctypes.c_int))

    class Data(ctypes.Structure):
        _fields_ = (
            ("effective", ctypes.c_uint32),
            ("permitted", ctypes.c_uint32),
            ("inheritable", ctypes.c_uint32),
        )

    header = Header(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this process
    empty = (Data * 2)()  # two 32-bit halves, all zero
    if libc.capset(ctypes.byref(header), empty) != 0:
        raise OSError(ctypes.get_errno(), "capset")


def _exit_code(code: object) -> int:
    """What the interpreter exits with for `SystemExit(code)`."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def _run_child(request: dict[str, Any], fds: list[int]) -> int:
    """Become the requested program; gives the exit code (the interpreter's rules)."""
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
    os.closerange(3, os.sysconf("SC_OPEN_MAX") if hasattr(os, "sysconf") else 1024)
    argv = [str(a) for a in request["argv"]]
    env = {str(k): str(v) for k, v in request["env"].items()}
    os.environ.clear()
    os.environ.update(env)
    if os.environ.pop(DROP_CAPABILITIES_ENV, None) == "1":
        _drop_capabilities()
    if request.get("cwd"):
        os.chdir(str(request["cwd"]))
    extra = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    if argv[0] == "-m":
        sys.path[:] = [os.getcwd(), *extra, *BASE_PATH]
        sys.argv = [argv[1], *argv[2:]]
        runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
    else:
        script = os.path.abspath(argv[0])
        sys.path[:] = [os.path.dirname(script), *extra, *BASE_PATH]
        sys.argv = argv
        runpy.run_path(script, run_name="__main__")
    return 0


def _child(request: dict[str, Any], fds: list[int]) -> NoReturn:
    """The forked child: run, clean up as the interpreter would, exit. Never returns."""
    signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    code = 1
    interrupted = False
    try:
        code = _run_child(request, fds)
    except SystemExit as exit_:
        code = _exit_code(exit_.code)
    except KeyboardInterrupt:
        traceback.print_exc()
        interrupted = True
    except BaseException:
        traceback.print_exc()
        code = 1
    try:
        atexit._run_exitfuncs()
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
    finally:
        if interrupted:  # as the interpreter does: end by the signal itself
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGINT)
        os._exit(code)


def main(fd: int) -> None:
    sock = socket.socket(fileno=fd)
    _preload()
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    children: set[int] = set()
    while True:
        ready, _, _ = select.select([sock.fileno(), wake_r], [], [])
        if wake_r in ready:
            os.read(wake_r, 4096)
            for pid in list(children):
                done, status = os.waitpid(pid, os.WNOHANG)
                if done:
                    children.discard(pid)
                    sock.send(json.dumps({"exit": pid, "status": status}).encode())
        if sock.fileno() in ready:
            data, fds, _, _ = socket.recv_fds(sock, 1 << 20, 3)
            if not data:
                return  # the test process is gone
            request = json.loads(data)
            pid = os.fork()
            if pid == 0:
                sock.close()
                os.close(wake_r)
                os.close(wake_w)
                _child(request, fds)
            for received in fds:
                os.close(received)
            children.add(pid)
            sock.send(json.dumps({"pid": pid}).encode())


if __name__ == "__main__":
    main(int(sys.argv[1]))
