"""The value types of the command line's options, shared by every subcommand.

Each is an argparse `type=`: a value it refuses is argparse's one-line error (exit 2),
saying what was given and what is accepted.
"""

from __future__ import annotations

import argparse

__all__ = ["number"]


def number(kind: type[int] | type[float], what: str, *, zero: bool = False) -> argparse._ActionType:
    """A parser of one `kind` (e.g. `int`, "a whole number"): more than 0, or with `zero`
    0 or more."""

    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None
        if zero and not value >= 0:
            raise argparse.ArgumentTypeError(f"{text!r} must be 0 or more")
        if not zero and not value > 0:
            raise argparse.ArgumentTypeError(f"{text!r} must be more than 0")
        return value

    return parse
