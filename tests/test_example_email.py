"""The e-mail approval example and the approvals docs page run offline and do what they say."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pytest

EXAMPLE = Path(__file__).parent.parent / "examples" / "email_approval.py"


def test_the_example_pauses_per_mail_and_sends_only_what_was_decided(
    capsys: pytest.CaptureFixture[str],
) -> None:
    spec = importlib.util.spec_from_file_location("email_approval", EXAMPLE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    module.main()

    out = capsys.readouterr().out.splitlines()
    assert out[:4] == [
        "waiting: Send 'Review' to ada@example.com? (tool call call_0_0)",
        "  ann decides: approve",
        "waiting: Send 'Review' to bob@exmaple.com? (tool call call_0_1)",
        "  ann decides: edit",
    ]
    assert out[4:7] == [
        "agent: Both invitations are out.",
        "sent: ada@example.com, bob@example.com",
        "audit trail:",
    ]
    assert [line.split()[1:3] for line in out[7:]] == [["ann", "approve"], ["ann", "edit"]]
    assert module.OUTBOX == [
        {"to": "ada@example.com", "subject": "Review", "body": "Friday 10:00?"},
        {"to": "bob@example.com", "subject": "Review", "body": "Friday 10:00?"},
    ]


def test_the_example_runs_as_a_script() -> None:
    done = subprocess.run(
        [sys.executable, str(EXAMPLE)], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "sent: ada@example.com, bob@example.com" in done.stdout


DOCS = Path(__file__).parent.parent / "docs" / "approvals.md"
_BLOCK = re.compile(r"```python\n(.*?)```", re.DOTALL)
_PRINT = re.compile(r"^\s*print\(.*\)\s*#\s*(?P<expected>.+)$")


def test_the_docs_page_code_runs_and_prints_what_it_says(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    blocks = _BLOCK.findall(DOCS.read_text(encoding="utf-8"))
    assert len(blocks) >= 3
    module = ModuleType("docs_approvals")
    monkeypatch.setitem(sys.modules, module.__name__, module)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        for block in blocks:
            exec(compile(block, str(DOCS), "exec"), module.__dict__)
    out = printed.getvalue()
    expected = [m["expected"] for b in blocks for m in map(_PRINT.match, b.splitlines()) if m]
    assert expected
    for text in expected:
        assert text in out, f"docs/approvals.md says a print shows {text!r}; it printed:\n{out}"
