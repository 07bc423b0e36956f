"""From a posted form back to an answer, and from the schema's errors back onto its fields.

Parsing the posted form checks only what the form itself can tell (a number that is not
a number, JSON that does not parse); the answer is then validated against the request's
schema as `resume()` does, and its field errors are mapped back onto the fields with
`place_errors`. The form itself is `_forms.py`'s.
"""

from __future__ import annotations

import copy
import json
import math
import re
from typing import TYPE_CHECKING

from ..core._errors import FieldError
from ..core._jsontext import MAX_DEPTH
from ..core._jsontext import loads as strict_json

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from ._forms import Form, FormField

__all__ = ["FormInputError", "answer_from_form", "place_errors"]

_OMIT = object()
"""What `_parse` gives for a field to leave out of the answer."""


class FormInputError(ValueError):
    """The posted form cannot be turned into an answer; nothing was sent."""

    def __init__(self, errors: Mapping[str, str], general: Sequence[str] = ()) -> None:
        super().__init__("; ".join([*general, *(f"{k}: {v}" for k, v in errors.items())]))
        self.errors: dict[str, str] = dict(errors)
        """Messages by field name."""
        self.general: list[str] = list(general)
        """Messages about the form as a whole."""


def _parse(field: FormField, raw: str | None, max_depth: int) -> object:
    """The value of one field, `_OMIT` to leave it out, or ValueError with the reason."""
    if field.kind == "checkbox":
        return raw is not None and raw not in ("", "false", "off")
    text = (raw or "").strip() if field.kind != "textarea" else (raw or "")
    if text.strip() == "":
        if field.nullable and field.required:
            return None
        if field.required and not field.path:
            raise ValueError("Enter an answer.")
        return _OMIT
    if field.kind == "integer":
        try:
            return int(text)
        except ValueError:
            raise ValueError(f"Enter a whole number, not {text!r}.") from None
    if field.kind == "number":
        try:
            number = float(text)
        except ValueError:
            raise ValueError(f"Enter a number, not {text!r}.") from None
        if not math.isfinite(number):
            raise ValueError(f"Enter a finite number, not {text!r}.")
        return number
    if field.kind == "select":
        for choice in field.choices:
            if json.dumps(choice) == text:
                return choice
        raise ValueError(f"Choose one of {', '.join(map(str, field.choices))}.")
    if field.kind == "json":
        try:
            return strict_json(text, max_depth=max_depth)
        except json.JSONDecodeError as exc:
            raise ValueError(
                f"Not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})."
            ) from None
    return raw if field.kind == "textarea" else text


def _put(answer: object, path: tuple[str, ...], value: object) -> object:
    if not path:
        return value
    target = answer if isinstance(answer, dict) else {}
    node = target
    for part in path[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child
    node[path[-1]] = value
    return target


def answer_from_form(
    form: Form, action: str, data: Mapping[str, str], *, max_depth: int = MAX_DEPTH
) -> object:
    """The answer a posted form sends for the pressed button `action`.

    A JSON box refuses `NaN`, `Infinity` and values nested deeper than `max_depth`.

    Raises:
        FormInputError: A field cannot be read (or the button is unknown); nothing is sent.
    """
    button = next((b for b in form.buttons if b.value == action), None)
    if button is None:
        allowed = ", ".join(b.value for b in form.buttons)
        raise FormInputError({}, [f"Unknown action {action!r}; this request takes {allowed}."])
    answer = copy.deepcopy(button.base)
    errors: dict[str, str] = {}
    for name in button.uses:
        field = form.field(name)
        if field is None:
            continue
        try:
            value = _parse(field, data.get(name), max_depth)
        except ValueError as exc:
            errors[name] = str(exc)
            continue
        if value is not _OMIT:
            answer = _put(answer, field.path, value)
    if errors:
        raise FormInputError(errors)
    if answer is None:
        raise FormInputError({}, ["Enter an answer."])
    return answer


_REQUIRED = re.compile(r"^'([^']+)' is a required property$")


def place_errors(
    form: Form, action: str, errors: Sequence[FieldError], *, message: str = ""
) -> FormInputError:
    """Put the schema's errors of an answer next to the fields they are about.

    An error whose location is no field's (e.g. an unknown reviewer when the reviewer
    comes from the login) is kept for the form as a whole.
    """
    button = next((b for b in form.buttons if b.value == action), None)
    used = [f for f in form.fields if button is not None and f.name in button.uses]
    placed: dict[str, str] = {}
    general: list[str] = []
    for error in errors:
        loc = tuple(str(part) for part in error.loc)
        if button is not None and button.tag is not None and loc[:1] == (button.tag,):
            loc = loc[1:]  # pydantic names the union member first
        missing = _REQUIRED.match(error.message)
        if missing:
            loc = (*loc, missing.group(1))
        best = max(
            (f for f in used if loc[: len(f.path)] == f.path),
            key=lambda f: len(f.path),
            default=None,
        )
        if best is None:
            general.append(str(FieldError(loc=loc, message=error.message)))
        else:
            text = error.message
            placed[best.name] = f"{placed[best.name]}; {text}" if best.name in placed else text
    if not placed and not general:
        general.append(message or "The answer was refused.")
    return FormInputError(placed, general)
