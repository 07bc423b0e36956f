"""JSON typed by people (form boxes, the API's bodies, `review`): strict and bounded.

Python's `json` accepts `NaN`, `Infinity` and `1e999` (as infinity), which no JSON
standard does and no schema expects, and raises `RecursionError` on deeply nested input.
`loads` refuses all of these with `JSONValueError`, a `ValueError` whose message says
what is wrong, and refuses documents nested deeper than `MAX_DEPTH` (a real answer is
never that deep, and every later step walks the value recursively).
"""

from __future__ import annotations

import json
import math

__all__ = ["MAX_DEPTH", "JSONValueError", "depth_of", "loads"]

MAX_DEPTH = 64
"""The default limit of nested arrays and objects."""


class JSONValueError(ValueError):
    """JSON that parses, but is refused: not finite, or nested too deeply."""


def _no_constant(name: str) -> object:
    raise JSONValueError(f"{name} is not a JSON number; send a finite number (or null).")


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise JSONValueError(f"{text} is too large for a number; send a finite number.")
    return number


def depth_of(value: object) -> int:
    """How deeply arrays and objects nest in `value` (0 for a scalar); no recursion."""
    deepest = 0
    stack: list[tuple[object, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: list[object] = list(item.values())
        elif isinstance(item, list):
            children = list(item)
        else:
            continue
        deepest = max(deepest, depth + 1)
        stack.extend((child, depth + 1) for child in children)
    return deepest


def loads(text: str | bytes, *, max_depth: int = MAX_DEPTH, outer: int = 0) -> object:
    """Parse JSON text, refusing `NaN`, `Infinity`, overflowing numbers and deep nesting.

    Args:
        text: The JSON text.
        max_depth: The most levels of arrays and objects accepted.
        outer: Levels of an envelope not counted (1 for `{"answer": ...}`), so the limit
            and the message are about the value inside it.

    Raises:
        json.JSONDecodeError: The text is not JSON.
        JSONValueError: It is, but not a value that is accepted (the message says why).
    """
    try:
        value = json.loads(text, parse_constant=_no_constant, parse_float=_finite)
    except (json.JSONDecodeError, JSONValueError):
        raise
    except ValueError as exc:  # an integer of more digits than Python converts
        raise JSONValueError(f"A number in the JSON is refused: {exc}.") from None
    except RecursionError:
        raise JSONValueError(
            f"The JSON is nested too deeply; at most {max_depth} levels of arrays and objects."
        ) from None
    depth = depth_of(value) - outer
    if depth > max_depth:
        raise JSONValueError(
            f"The JSON is nested {depth} levels deep; at most {max_depth} levels of arrays "
            "and objects."
        )
    return value
