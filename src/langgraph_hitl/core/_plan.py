"""Plans and their two drivers: how every operation is written once for sync and async.

A plan is a generator that yields what it needs done (an *effect*: a SQL statement, a
call to a server, a graph invocation) and receives what came of it. It holds the logic
(what to read, what to check, what to send, what to roll back) and does no I/O, in h11's
"sans-I/O" style. A driver does the I/O: `drive` with plain calls, `adrive` with awaits.
Nothing else differs between the sync and the async path of an operation, so a fix made
in the plan is made for both.

An effect that fails is thrown into the plan at its `yield`, so the plan's own `try` /
`finally` (release a claim, roll back a transaction, translate an error) runs exactly as
it would around a direct call. Which failures are handed to the plan is the driver's
`catch` (by default `Exception`; `BaseException` for a plan that must release what it
holds even on a cancellation or Ctrl-C).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator
from typing import TypeVar

__all__ = ["Plan", "adrive", "drive"]

E = TypeVar("E")
"""What a plan yields: the effects it needs carried out."""
R = TypeVar("R")
"""What a plan receives for each effect."""
T = TypeVar("T")
"""What a plan returns."""

Plan = Generator[E, R, T]


def drive(
    plan: Generator[E, R, T],
    do: Callable[[E], R],
    *,
    catch: type[BaseException] | tuple[type[BaseException], ...] = Exception,
) -> T:
    """Run `plan`, carrying out each effect with `do`; return what the plan returns.

    A `catch` error raised by `do` is thrown into the plan at its `yield`; what the plan
    raises (that error, or another) propagates from here.
    """
    try:
        effect = next(plan)
        while True:
            try:
                outcome = do(effect)
            except catch as exc:
                effect = plan.throw(exc)
            else:
                effect = plan.send(outcome)
    except StopIteration as stop:
        result: T = stop.value
        return result


async def adrive(
    plan: Generator[E, R, T],
    do: Callable[[E], Awaitable[R]],
    *,
    catch: type[BaseException] | tuple[type[BaseException], ...] = Exception,
) -> T:
    """Async twin of `drive`: each effect is carried out by awaiting `do(effect)`."""
    try:
        effect = next(plan)
        while True:
            try:
                outcome = await do(effect)
            except catch as exc:
                effect = plan.throw(exc)
            else:
                effect = plan.send(outcome)
    except StopIteration as stop:
        result: T = stop.value
        return result
