"""The plan drivers (`core._plan`): one plan, the same outcome through `drive` and `adrive`."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import pytest

from langgraph_hitl.core._plan import adrive, drive

if TYPE_CHECKING:
    from collections.abc import Callable, Generator

Trace = list[str]


def _steps(trace: Trace) -> Generator[str, int, int]:
    """Asks for three effects, recovers from a failed one, and always says it finished."""
    total = 0
    try:
        total += yield "one"
        try:
            total += yield "fail"
        except ValueError as exc:
            trace.append(f"recovered from {exc}")
        total += yield "two"
        return total
    finally:
        trace.append("finally")


def _do(trace: Trace) -> Callable[[str], int]:
    def do(effect: str) -> int:
        trace.append(effect)
        if effect == "fail":
            raise ValueError("boom")
        return {"one": 1, "two": 2}[effect]

    return do


def _run(
    mode: str,
    plan: Generator[str, int, int],
    do: Callable[[str], int],
    catch: type[BaseException] = Exception,
) -> int:
    if mode == "sync":
        return drive(plan, do, catch=catch)

    async def ado(effect: str) -> int:
        return do(effect)

    return asyncio.run(adrive(plan, ado, catch=catch))


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_failed_effect_is_thrown_into_the_plan_which_may_recover(mode: str) -> None:
    trace: Trace = []
    assert _run(mode, _steps(trace), _do(trace)) == 3
    assert trace == ["one", "fail", "recovered from boom", "two", "finally"]


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_an_error_the_plan_does_not_handle_propagates_after_its_finally(mode: str) -> None:
    trace: Trace = []

    def do(effect: str) -> int:
        trace.append(effect)
        raise KeyError(effect)

    with pytest.raises(KeyError, match="one"):
        _run(mode, _steps(trace), do)
    assert trace == ["one", "finally"]


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_only_the_caught_kinds_are_handed_to_the_plan(mode: str) -> None:
    """By default a KeyboardInterrupt is not the plan's to handle; with `catch` it is."""

    def interrupted(trace: Trace) -> Callable[[str], int]:
        def do(effect: str) -> int:
            trace.append(effect)
            raise KeyboardInterrupt

        return do

    left: Trace = []
    plan = _steps(left)
    with pytest.raises(KeyboardInterrupt):
        _run(mode, plan, interrupted(left))
    assert left == ["one"]  # the plan never saw it: still suspended at its first yield
    plan.close()
    assert left == ["one", "finally"]

    handed: Trace = []
    with pytest.raises(KeyboardInterrupt):
        _run(mode, _steps(handed), interrupted(handed), catch=BaseException)
    assert handed == ["one", "finally"]  # thrown in: the plan's finally ran at once


def test_a_plan_that_asks_for_nothing_returns_at_once() -> None:
    def nothing() -> Generator[str, int, str]:
        return "done"
        yield "never"  # pragma: no cover - makes this a generator

    def refuse(effect: str) -> int:
        raise AssertionError(effect)

    async def arefuse(effect: str) -> int:
        raise AssertionError(effect)

    assert drive(nothing(), refuse) == "done"
    assert asyncio.run(adrive(nothing(), arefuse)) == "done"
