"""The tests' forked children behave as spawned interpreters do (`forked.py`, `zygote.py`).

Many tests run the command line and workers through them: what those tests prove about
a separate process (its own pid, streams, environment, exit status, a kill -9) holds
only as long as these do.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from typing import TYPE_CHECKING, Any

import forked
import pytest

if TYPE_CHECKING:
    from pathlib import Path

_PROBE = """
import json, os, sys
print(json.dumps({
    "pid": os.getpid(), "argv": sys.argv[1:], "cwd": os.getcwd(),
    "env": os.environ.get("FORKED_PROBE"), "stdin": sys.stdin.read(),
    "path": sys.path[:2], "main": __name__,
}))
print("to stderr", file=sys.stderr)
sys.exit(int(sys.argv[1]))
"""


@pytest.fixture
def probe(tmp_path: Path) -> Path:
    script = tmp_path / "probe.py"
    script.write_text(_PROBE, encoding="utf-8")
    return script


def test_a_child_is_its_own_process_with_our_arguments_streams_and_environment(
    probe: Path, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "FORKED_PROBE": "yes", "PYTHONPATH": str(elsewhere)}

    done = forked.run(
        [sys.executable, str(probe), "3", "two words"],
        input="what the test typed",
        capture_output=True,
        text=True,
        cwd=elsewhere,
        env=env,
        timeout=120,
    )

    seen = json.loads(done.stdout)
    assert done.returncode == 3
    assert done.stderr == "to stderr\n"
    assert seen["pid"] != os.getpid()
    assert seen["argv"] == ["3", "two words"]
    assert seen["cwd"] == str(elsewhere)
    assert seen["env"] == "yes"
    assert seen["stdin"] == "what the test typed"
    assert seen["path"] == [str(probe.parent), str(elsewhere)]  # as `python SCRIPT` has it
    assert seen["main"] == "__main__"


def test_the_environment_is_the_callers_at_each_start(
    probe: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runs = []
    for value in ("first", "second"):
        monkeypatch.setenv("FORKED_PROBE", value)
        done = forked.run([sys.executable, str(probe), "0"], capture_output=True, text=True)
        runs.append(json.loads(done.stdout)["env"])

    assert runs == ["first", "second"]


def test_a_module_runs_as_python_dash_m_and_a_killed_child_reports_the_signal(
    probe: Path,
) -> None:
    version = forked.run(
        [sys.executable, "-m", "langgraph_hitl", "--version"], capture_output=True, text=True
    )
    assert version.returncode == 0
    assert version.stdout.startswith("langgraph-hitl ")

    # A child blocked reading its stdin, which is never closed before the kill.
    child = forked.Popen(
        [sys.executable, str(probe), "0"], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    os.kill(child.pid, signal.SIGKILL)
    child.communicate(timeout=120)
    assert child.returncode == -signal.SIGKILL


def test_what_a_fork_cannot_run_is_refused() -> None:
    with pytest.raises(ValueError, match="runs `python -m MODULE` or `python SCRIPT`"):
        forked.run(["bash", "-c", "true"])
    with pytest.raises(ValueError, match="runs `python -m MODULE` or `python SCRIPT`"):
        forked.run([sys.executable, "-c", "print(1)"])


def _report(results: Any) -> None:
    results.put((os.getpid(), os.environ.get("FORKED_PROBE"), os.getcwd()))


def test_a_context_process_starts_with_the_callers_environment_and_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    context = forked.context()
    results = context.Queue()
    seen = []
    for value in ("first", "second"):
        monkeypatch.setenv("FORKED_PROBE", value)
        monkeypatch.chdir(tmp_path)
        process = context.Process(target=_report, args=(results,))
        process.start()
        seen.append(results.get(timeout=120))
        process.join(timeout=120)
        assert process.exitcode == 0

    assert [s[1:] for s in seen] == [("first", str(tmp_path)), ("second", str(tmp_path))]
    assert os.getpid() not in {s[0] for s in seen}


_CAPABILITIES = """
import json, os, sys
status = dict(line.split(":\\t", 1) for line in open("/proc/self/status").read().splitlines())
try:
    open(sys.argv[1]).close()
    opened = "yes"
except PermissionError:
    opened = "permission denied"
print(json.dumps({
    "uid": os.geteuid(), "effective": status["CapEff"].strip(),
    "bounding": status["CapBnd"].strip(), "opened": opened,
    "env": os.environ.get(sys.argv[2]),
}))
"""


@pytest.mark.skipif(os.geteuid() != 0, reason="only root has capabilities to give up")
def test_a_child_can_give_up_every_capability_so_root_obeys_file_modes(
    tmp_path: Path,
) -> None:
    script = tmp_path / "caps.py"
    script.write_text(_CAPABILITIES, encoding="utf-8")
    locked = tmp_path / "locked"
    locked.write_text("secret", encoding="utf-8")
    locked.chmod(0o000)
    argv = [sys.executable, str(script), str(locked), forked.DROP_CAPABILITIES_ENV]

    def child(env: dict[str, str]) -> dict[str, Any]:
        done = forked.run(argv, capture_output=True, text=True, env=env, timeout=120)
        assert done.returncode == 0, done.stderr
        seen: dict[str, Any] = json.loads(done.stdout)
        return seen

    root = child(dict(os.environ))
    bare = child({**os.environ, forked.DROP_CAPABILITIES_ENV: "1"})

    assert root["opened"] == "yes"  # with its capabilities, root reads a file of mode 000
    assert int(root["effective"], 16) != 0
    assert bare == {
        "uid": 0,
        "effective": "0000000000000000",
        "bounding": "0000000000000000",
        "opened": "permission denied",
        "env": None,  # the request, not the program's environment
    }
