"""The store's sans-I/O plans, fed outcomes by hand: what they run, and in which order.

The sync and async backends drive the same plan with real cursors (the PostgreSQL tests
run both); here the plan alone shows that the index is built once and that the advisory
lock is released even when building fails.
"""

from __future__ import annotations

from typing import Any

import pytest

from langgraph_hitl.store._backends import _pg_index_steps


def _run(outcomes: list[Any]) -> tuple[list[str], BaseException | None]:
    """The statements the plan runs when each gets the next outcome; and what it raised."""
    plan = _pg_index_steps()
    ran: list[str] = []
    try:
        statement = next(plan)
        for outcome in outcomes:
            ran.append(statement[0])
            statement = plan.send(outcome)
        pytest.fail(f"the plan went on after {ran}: {statement}")
    except StopIteration:
        return ran, None
    except Exception as exc:  # the plan's own error, re-raised for the driver
        return ran, exc


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
