"""The progress callback of long listings and sweeps, shared by the local and remote inbox."""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["ProgressCallback"]

ProgressCallback = Callable[[int, int], None]
"""Called as `(done, total)` while a long listing or sweep runs."""
