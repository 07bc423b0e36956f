"""Interleaved timing, so that both sides of a ratio see the same machine load."""

from __future__ import annotations

import statistics
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping


def compare(
    cases: Mapping[str, Callable[[], None]],
    *,
    rounds: int = 15,
    per_round: int = 20,
    warmup: int = 5,
) -> dict[str, float]:
    """Median seconds per call of each case, measured in alternating rounds."""
    for fn in cases.values():
        for _ in range(warmup):
            fn()
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(rounds):
        for name, fn in cases.items():
            started = time.perf_counter()
            for _ in range(per_round):
                fn()
            samples[name].append((time.perf_counter() - started) / per_round)
    return {name: statistics.median(values) for name, values in samples.items()}


def report(results: Mapping[str, float], *, baseline: str) -> None:
    """Print ms per call and the ratio of each case to the baseline."""
    base = results[baseline]
    for name, seconds in results.items():
        print(f"  {name:<40} {seconds * 1000:8.3f} ms   {seconds / base:5.2f}x {baseline}")
