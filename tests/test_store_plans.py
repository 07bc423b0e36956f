"""The store's sans-I/O plans, fed outcomes by hand: what they run, and in which order.

The sync and async backends drive the same plan with real cursors (the PostgreSQL tests
run both); here the plan alone shows that the index is built once and that the advisory
lock is released even when building fails.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from langgraph_hitl.core._plan import drive
from langgraph_hitl.store._backends import _pg_index_steps

if TYPE_CHECKING:
    from langgraph_hitl.store._postgres import Statement

_MORE = object()


def _run(outcomes: list[Any]) -> tuple[list[str], BaseException | None]:
    """The statements the plan runs when each gets the next outcome; and what it raised.

    An outcome that is an exception is raised by the statement, as a cursor would.
    """
    ran: list[str] = []
    left = iter(outcomes)

    def do(statement: Statement) -> Any:
        ran.append(statement[0])
        outcome = next(left, _MORE)
        if outcome is _MORE:
            pytest.fail(f"the plan went on after {ran[:-1]}: {statement}")
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    try:
        drive(_pg_index_steps(), do)
    except Exception as exc:  # the plan's own error, raised by the driver
        return ran, exc
    assert next(left, _MORE) is _MORE, f"the plan stopped after {ran}"
    return ran, None


def test_an_existing_index_is_left_alone() -> None:
    ran, error = _run([{"exists": 1}])
    assert error is None
    assert len(ran) == 1


def test_whoever_holds_the_lock_builds_and_releases_it() -> None:
    ran, error = _run([None, {"ok": True}, None, {"pg_advisory_unlock": True}])
    assert error is None
    assert "pg_try_advisory_lock" in ran[1]
    assert "CREATE INDEX" in ran[2].upper()
    assert "pg_advisory_unlock" in ran[3]


def test_without_the_lock_nothing_is_built() -> None:
    ran, error = _run([None, {"ok": False}])
    assert error is None
    assert len(ran) == 2
    assert "pg_try_advisory_lock" in ran[1]


def test_a_failed_build_still_releases_the_lock_then_raises() -> None:
    failure = RuntimeError("disk full")
    ran, error = _run([None, {"ok": True}, failure, {"pg_advisory_unlock": True}])
    assert error is failure
    assert "CREATE INDEX" in ran[2].upper()
    assert "pg_advisory_unlock" in ran[3]  # the unlock ran after the failed build


def test_when_the_unlock_fails_too_the_build_failure_is_raised() -> None:
    failure = RuntimeError("disk full")
    ran, error = _run([None, {"ok": True}, failure, RuntimeError("connection lost")])
    assert error is failure
    assert "pg_advisory_unlock" in ran[3]
