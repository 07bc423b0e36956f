"""Reviewer-visible text: hidden characters are shown, never rendered.

A model (or whoever wrote its input) can put characters into its arguments that a screen
does not show as such: bidi controls that reverse what follows (`"\\u202eHbmG EMCA"` reads
as "ACME GmbH"), zero-width and other format characters (an IBAN with a zero-width space
looks like the real one), and control characters (`"\\x1b[2J"` clears a terminal). Every
surface that shows such text to a reviewer (the web pages, `review`, `inbox`, error
messages) passes it through `visible` (or `visible_html`) and flags the request when
`has_hidden` says so. The JSON API and `--json` keep the exact values.

The rule: a character is hidden when it is a control character (Unicode category Cc)
other than newline and tab, a format character (Cf: the bidi controls U+202A-U+202E and
U+2066-U+2069, zero-width characters, the byte-order mark, tag characters, ...), or a
line or paragraph separator (Zl, Zp), which break lines where none is shown. Each is shown
as `<U+XXXX>`.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from html import escape

__all__ = ["HIDDEN_WARNING", "has_hidden", "hidden_in", "is_hidden", "visible", "visible_html"]

HIDDEN_WARNING = "contains hidden characters"
"""How every surface flags a request (or message) with hidden characters."""

_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})
_KEPT = frozenset("\n\t")


def is_hidden(char: str) -> bool:
    """Whether one character is hidden (see the module's rule)."""
    return char not in _KEPT and unicodedata.category(char) in _HIDDEN_CATEGORIES


def _code(char: str) -> str:
    return f"<U+{ord(char):04X}>"


def hidden_in(text: str) -> list[str]:
    """The distinct hidden characters of `text`, as `U+XXXX` codes, in order of appearance."""
    seen: dict[str, None] = {}
    for char in text:
        if is_hidden(char):
            seen.setdefault(f"U+{ord(char):04X}", None)
    return list(seen)


def visible(text: str) -> str:
    """`text` with every hidden character replaced by its code, e.g. `<U+202E>`."""
    if text.isprintable():  # the common case; printable text has no hidden characters
        return text
    return "".join(_code(c) if is_hidden(c) else c for c in text)


def visible_html(text: str) -> str:
    """`text` HTML-escaped, each hidden character shown as a marked `<U+XXXX>` span."""
    if text.isprintable():
        return escape(text)
    parts: list[str] = []
    for char in text:
        if is_hidden(char):
            name = unicodedata.name(char, "control character")
            parts.append(
                f'<span class="hidden-char" title="hidden character: {escape(name)}">'
                f"{escape(_code(char))}</span>"
            )
        else:
            parts.append(escape(char))
    return "".join(parts)


def has_hidden(value: object) -> bool:
    """Whether `value` (a string, or mappings and lists of them, nested) has a hidden character.

    Keys of mappings count too. Walked without recursion, so any depth is fine.
    """
    stack: list[object] = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if not item.isprintable() and any(is_hidden(c) for c in item):
                return True
        elif isinstance(item, Mapping):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple, set, frozenset)):
            stack.extend(item)
    return False
