"""The examples run (in-process and as scripts) and print the tutorial's conversation; the
Python blocks of the core docs pages run and print what their comments say."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from langgraph_hitl import InvalidResumeError

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
DOCS = ROOT / "docs"


class Modules:
    """Registers modules in `sys.modules` for one test.

    LangGraph and pydantic resolve a state's annotations through the module that defines
    it, so examples and docs code run as registered modules.
    """

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.monkeypatch = monkeypatch

    def new(self, name: str) -> ModuleType:
        module = ModuleType(name)
        self.monkeypatch.setitem(sys.modules, name, module)
        return module

    def example(self, name: str) -> ModuleType:
        spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        self.monkeypatch.setitem(sys.modules, spec.name, module)
        spec.loader.exec_module(module)
        return module


@pytest.fixture
def modules(monkeypatch: pytest.MonkeyPatch) -> Modules:
    return Modules(monkeypatch)


def _script(name: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(EXAMPLES / f"{name}.py"), *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        check=False,
    )


def _check_tutorial_output(out: str, answer: str) -> None:
    assert "I need some expert guidance for building an AI agent." in out
    assert "human_assistance (call_0_0)" in out
    assert "Paused before: ('tools',)" in out
    tool_message = out.index("Tool Message")
    assert answer in out[tool_message:]
    assert out.rstrip().endswith("see their answer above.")
    assert out.count("Tool Message") == 1, "each message is printed once"


def test_tutorial_in_process(capsys: pytest.CaptureFixture[str], modules: Modules) -> None:
    example = modules.example("tutorial_human_assistance")

    example.main(["--answer", "Use LangGraph, it is reliable."])

    _check_tutorial_output(capsys.readouterr().out, "Use LangGraph, it is reliable.")


def test_tutorial_run_returns_the_conversation(modules: Modules) -> None:
    example = modules.example("tutorial_human_assistance")

    with contextlib.redirect_stdout(io.StringIO()):
        messages = example.run("An expert's answer.")

    assert [type(m).__name__ for m in messages] == [
        "HumanMessage",
        "AIMessage",
        "ToolMessage",
        "AIMessage",
    ]
    assert messages[2].content == "An expert's answer."


def test_tutorial_as_a_script() -> None:
    done = _script("tutorial_human_assistance", "--answer", "From the command line.")

    assert done.returncode == 0, done.stderr
    _check_tutorial_output(done.stdout, "From the command line.")


def test_customize_state_in_process(capsys: pytest.CaptureFixture[str], modules: Modules) -> None:
    example = modules.example("customize_state")

    example.main([])

    out = capsys.readouterr().out
    assert "search (call_0_0)" in out
    assert "Is this correct? name: LangGraph, birthday: Jan 17, 2024" in out
    assert "Verified: LangGraph, released Jan 17, 2024." in out
    assert "Verified state: {'name': 'LangGraph', 'birthday': 'Jan 17, 2024'}" in out
    assert "After a manual update: {'name': 'LangGraph (library)'" in out


def test_customize_state_stores_the_human_answer(modules: Modules) -> None:
    example = modules.example("customize_state")

    with contextlib.redirect_stdout(io.StringIO()):
        verified = example.run({"name": "LangGraph", "birthday": "2024-01-17"})

    assert verified == {"name": "LangGraph (library)", "birthday": "2024-01-17"}


@pytest.mark.parametrize(
    "answer",
    [{"name": "LangGraph"}, {"name": "", "birthday": "x"}, {"data": "yes"}, "yes"],
    ids=["missing-birthday", "empty-name", "wrong-shape", "bare-string"],
)
def test_customize_state_refuses_a_wrong_answer(answer: Any, modules: Modules) -> None:
    example = modules.example("customize_state")

    with contextlib.redirect_stdout(io.StringIO()), pytest.raises(InvalidResumeError):
        example.run(answer)


def test_customize_state_as_a_script() -> None:
    answer = '{"name": "LangGraph", "birthday": "January 17, 2024"}'

    done = _script("customize_state", "--answer", answer)

    assert done.returncode == 0, done.stderr
    assert "Verified state: {'name': 'LangGraph', 'birthday': 'January 17, 2024'}" in done.stdout


def test_customize_state_script_explains_a_wrong_answer() -> None:
    done = _script("customize_state", "--answer", '{"name": "LangGraph"}')

    assert done.returncode == 2
    assert "birthday: Field required" in done.stderr
    assert "Nothing was sent" in done.stderr


_BLOCK = re.compile(r"```python\n(.*?)```", re.DOTALL)
_PRINT = re.compile(r"^\s*print\(.*\)\s*#\s*(?P<expected>.+)$")


def _expected_outputs(code: str) -> list[str]:
    """What the page says its `print` lines show: `print(x)  # shown`, or on the next line."""
    lines = code.splitlines()
    expected: list[str] = []
    for n, line in enumerate(lines):
        match = _PRINT.match(line)
        if match:
            expected.append(match["expected"].strip())
        elif line.lstrip().startswith("print(") and n + 1 < len(lines):
            following = lines[n + 1].strip()
            if following.startswith("# "):
                expected.append(following[2:])
    return expected


@pytest.mark.parametrize(
    "page", ["tools.md", "builder.md", "testing.md", "resuming.md", "deadlines.md", "../README.md"]
)
def test_doc_code_runs_and_prints_what_it_says(page: str, modules: Modules) -> None:
    blocks = _BLOCK.findall((DOCS / page).read_text(encoding="utf-8"))
    assert blocks, f"{page} has no python code"
    module = modules.new(f"docs_{page.removesuffix('.md')}")
    printed = io.StringIO()

    with contextlib.redirect_stdout(printed):
        for block in blocks:
            exec(compile(block, f"docs/{page}", "exec"), module.__dict__)

    out = printed.getvalue()
    for expected in (e for block in blocks for e in _expected_outputs(block)):
        assert expected in out, f"docs/{page} says a print shows {expected!r}; it printed:\n{out}"
