"""docs/notifications.md: its Python blocks run, printing what their comments say (their
types are checked with every page's, in test_docs_types.py)."""

from __future__ import annotations

import contextlib
import io
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "notifications.md"
_BLOCK = re.compile(r"```python\n(.*?)```", re.DOTALL)
_PRINT = re.compile(r"print\(.*\)\s*#\s*(?P<expected>.+)$")
_CALL = re.compile(r"^\S.*\)\s*#\s*(?P<expected>.+)$")


def _blocks() -> list[str]:
    blocks = _BLOCK.findall(PAGE.read_text(encoding="utf-8"))
    assert blocks, "docs/notifications.md has no python code"
    return blocks


def test_blocks_run_and_print_what_they_say(monkeypatch: pytest.MonkeyPatch) -> None:
    module = ModuleType("docs_notifications")
    monkeypatch.setitem(sys.modules, module.__name__, module)
    printed = io.StringIO()
    blocks = _blocks()
    with contextlib.redirect_stdout(printed):
        for block in blocks:
            exec(compile(block, str(PAGE), "exec"), module.__dict__)
    out = printed.getvalue()
    expected = [
        m["expected"].strip()
        for block in blocks
        for line in block.splitlines()
        if (m := _PRINT.search(line) or _CALL.match(line))
    ]
    assert len(expected) >= 5
    for text in expected:
        assert text in out, f"docs/notifications.md says {text!r} is printed; it printed:\n{out}"
