"""The store's sans-I/O plans, fed outcomes by hand: what they run, and in which order.

The sync and async backends drive the same plan with real cursors (the PostgreSQL tests
run both); here the plan alone shows that the index is built once and that the advisory
lock is released even when building fails; an invalid index is rebuilt.
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


def test_an_existing_valid_index_is_left_alone() -> None:
    ran, error = _run([{"valid": True}])
    assert error is None
    assert len(ran) == 1


def test_whoever_holds_the_lock_builds_and_releases_it() -> None:
    ran, error = _run([None, {"ok": True}, None, None, {"pg_advisory_unlock": True}])
    assert error is None
    assert "pg_try_advisory_lock" in ran[1]
    assert "indisvalid" in ran[2]  # looked again, under the lock
    assert "CREATE INDEX" in ran[3].upper()
    assert "pg_advisory_unlock" in ran[4]


def test_without_the_lock_nothing_is_built() -> None:
    ran, error = _run([None, {"ok": False}])
    assert error is None
    assert len(ran) == 2
    assert "pg_try_advisory_lock" in ran[1]


def test_an_index_built_meanwhile_is_not_built_again() -> None:
    ran, error = _run([None, {"ok": True}, {"valid": True}, {"pg_advisory_unlock": True}])
    assert error is None
    assert not any("CREATE INDEX" in sql.upper() for sql in ran)
    assert "pg_advisory_unlock" in ran[3]


def test_an_invalid_index_is_dropped_then_built_under_the_lock() -> None:
    outcomes = [{"valid": False}, {"ok": True}, {"valid": False}, None, None, {"unlock": True}]
    ran, error = _run(outcomes)
    assert error is None
    assert "pg_try_advisory_lock" in ran[1]
    assert "DROP INDEX" in ran[3].upper()
    assert "CREATE INDEX" in ran[4].upper()
    assert "pg_advisory_unlock" in ran[5]


def test_an_invalid_index_is_left_to_the_lock_holder() -> None:
    ran, error = _run([{"valid": False}, {"ok": False}])
    assert error is None
    assert not any("DROP INDEX" in sql.upper() for sql in ran)


def test_a_failed_build_still_releases_the_lock_then_raises() -> None:
    failure = RuntimeError("disk full")
    ran, error = _run([None, {"ok": True}, None, failure, {"pg_advisory_unlock": True}])
    assert error is failure
    assert "CREATE INDEX" in ran[3].upper()
    assert "pg_advisory_unlock" in ran[4]  # the unlock ran after the failed build


def test_when_the_unlock_fails_too_the_build_failure_is_raised() -> None:
    failure = RuntimeError("disk full")
    ran, error = _run([None, {"ok": True}, None, failure, RuntimeError("connection lost")])
    assert error is failure
    assert "pg_advisory_unlock" in ran[4]
