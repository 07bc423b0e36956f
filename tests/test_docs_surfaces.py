"""docs/web.md and docs/terminal.md run as written, and say what the app really answers.

Their Python blocks run as the other docs pages' do (`test_examples.py`): in order, in one
module, each `print(...)  # shown` checked. The web page's table of statuses is the API's
own list of errors, and every error the app can map an exception to is in it.
"""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest
from test_examples import Modules

from langgraph_hitl import (
    AmbiguousResumeError,
    HITLError,
    InvalidResumeError,
    NoPendingInterruptError,
    RequestExpiredError,
    ResumeConflictError,
    ResumeFailedError,
    UnknownInterruptError,
)
from langgraph_hitl.web._refusals import status_of
from langgraph_hitl.web._wire import API_ERRORS, openapi_schema

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
BLOCK = re.compile(r"```python\n(.*?)```", re.DOTALL)
PRINT = re.compile(r"^\s*print\(.*\)\s*#\s*(?P<expected>.+)$")


def expected_outputs(code: str) -> list[str]:
    """What a block says its `print(x)  # shown` lines show (as test_examples reads them)."""
    return [m["expected"].strip() for m in map(PRINT.match, code.splitlines()) if m]


@pytest.fixture
def modules(monkeypatch: pytest.MonkeyPatch) -> Modules:
    return Modules(monkeypatch)


@pytest.mark.parametrize("page", ["web.md", "terminal.md"])
def test_doc_code_runs_and_prints_what_it_says(
    page: str, modules: Modules, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)  # the pages' paths are relative to the repository's root
    blocks = BLOCK.findall((DOCS / page).read_text(encoding="utf-8"))
    assert blocks, f"{page} has no python code"
    module = modules.new(f"docs_{page.removesuffix('.md')}")
    printed = io.StringIO()

    with contextlib.redirect_stdout(printed):
        for block in blocks:
            exec(compile(block, f"docs/{page}", "exec"), module.__dict__)

    out = printed.getvalue()
    expected = [e for block in blocks for e in expected_outputs(block)]
    assert expected, f"{page} prints nothing it promises"
    for line in expected:
        assert line in out, f"docs/{page} says a print shows {line!r}; it printed:\n{out}"


def _table(page: str, heading: str) -> dict[int, list[str]]:
    text = (DOCS / page).read_text(encoding="utf-8")
    section = text[text.index(heading) :]
    rows = re.findall(r"^\| (\d{3}) \| ([^|]*) \|", section, re.M)
    return {int(status): re.findall(r"`([a-z_]+)`", codes) for status, codes in rows}


def test_the_web_page_lists_every_status_and_error_the_api_answers_with() -> None:
    documented = _table("web.md", "## The JSON API")
    listed: dict[int, list[str]] = {}
    for status, code, _, _ in API_ERRORS:
        listed.setdefault(status, []).append(code)

    assert documented == listed


def test_every_refusal_maps_to_a_listed_error_and_the_schema_has_them_all() -> None:
    listed = {(status, code) for status, code, _, _ in API_ERRORS}
    errors: list[HITLError] = [
        InvalidResumeError("x"),
        UnknownInterruptError("x", unknown=[], pending=[]),
        NoPendingInterruptError("x"),
        ResumeConflictError("x"),
        AmbiguousResumeError("x"),
        RequestExpiredError("x"),
        ResumeFailedError("x", taken_back=[]),
        HITLError("x"),
    ]
    schema = openapi_schema(title="t", secured=True)
    in_schema = {
        int(status)
        for path in schema["paths"].values()
        for operation in path.values()
        for status in operation["responses"]
    }

    assert {status_of(e) for e in errors} <= listed
    assert in_schema == {200} | {status for status, _ in listed}
