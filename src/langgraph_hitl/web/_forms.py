"""From a request's response schema to a form (`form_for`); `_posted.py` reads it back.

A `Form` has fields and buttons. Each field knows where its value goes in the answer
(`path`), each button the skeleton of the answer it sends (`base`) and which fields it
reads. An approval (`"type": "tool_approval"`) gets one button per allowed decision, an
argument editor for `edit` and a message box for `reject` / `respond`; any other object
schema gets one field per property; anything else a single JSON box. Parsing the posted
form checks only what the form itself can tell (a number that is not a number, JSON that
does not parse); the answer is then validated against the request's schema as `resume()`
does, and its field errors are mapped back onto the fields with `place_errors`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from ..answers._decisions import DECISION_TYPES
from ..core._schema import branches_of, non_null, resolve

if TYPE_CHECKING:
    from ..core._pending import PendingInterrupt

__all__ = [
    "Button",
    "FieldKind",
    "Form",
    "FormField",
    "form_for",
]

FieldKind = Literal["text", "textarea", "number", "integer", "checkbox", "select", "json"]
"""How a field is shown and parsed.

- `"text"` / `"textarea"`: a string.
- `"number"` / `"integer"`: parsed as a number (a whole one for `"integer"`).
- `"checkbox"`: a boolean (unchecked is `false`).
- `"select"`: one of the schema's `enum` values.
- `"json"`: any JSON value, typed as text.
"""

_OMIT = object()
_LABELS = {
    "approve": "Approve",
    "edit": "Save edits and run",
    "reject": "Reject",
    "respond": "Respond instead",
}


@dataclass(frozen=True, kw_only=True, slots=True)
class FormField:
    """One input of a form."""

    name: str
    """The input's name in the posted form."""
    path: tuple[str, ...]
    """Where its value goes in the answer (empty: the value is the whole answer)."""
    label: str
    """What the reviewer sees beside it."""
    kind: FieldKind
    """How it is shown and parsed."""
    required: bool = False
    """The schema requires a value."""
    nullable: bool = False
    """The schema accepts `null`; an empty input then sends `null`."""
    choices: tuple[object, ...] = ()
    """The values a `"select"` offers."""
    description: str | None = None
    """The schema's description of the value."""
    initial: str = ""
    """The text it starts with (for a checkbox: `"true"` when checked)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Button:
    """A submit button and the answer it sends."""

    value: str
    """The button's value in the posted form (`action=...`)."""
    label: str
    """Its caption."""
    base: object
    """The answer before the fields are filled in, e.g. `{"type": "reject"}`."""
    uses: tuple[str, ...] = ()
    """The names of the fields it reads."""
    tag: str | None = None
    """The decision type it sends, for an approval (pydantic puts it first in error locations)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Form:
    """The form of one pending request."""

    kind: Literal["approval", "fields", "json"]
    """An approval, a form of the schema's properties, or one JSON box."""
    fields: tuple[FormField, ...]
    """The inputs, in display order."""
    buttons: tuple[Button, ...]
    """The submit buttons."""
    notice: str | None = None
    """A note shown above the buttons (e.g. who may decide)."""

    def field(self, name: str) -> FormField | None:
        """The field called `name`, if any."""
        return next((f for f in self.fields if f.name == name), None)


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value)


def _field(
    name: str,
    path: tuple[str, ...],
    raw: object,
    root: Mapping[str, Any],
    *,
    required: bool,
    initial: object,
    multiline: bool = False,
) -> FormField:
    prop, nullable = non_null(resolve(raw, root), root)
    label = str(prop.get("title") or (path[-1] if path else "Answer"))
    if path == ("data",):
        label = "Your answer"  # the tutorial's {"data": ...}
    description = prop.get("description")
    common: dict[str, Any] = {
        "name": name,
        "path": path,
        "label": label,
        "required": required,
        "nullable": nullable,
        "description": description if isinstance(description, str) else None,
    }
    if initial is _OMIT:
        initial = prop.get("default")
    choices = prop.get("enum") if isinstance(prop.get("enum"), list) else None
    if choices is None and "const" in prop:
        choices = [prop["const"]]
    kind = prop.get("type")
    if choices:
        return FormField(
            kind="select",
            choices=tuple(choices),
            initial="" if initial is None else json.dumps(initial),
            **common,
        )
    if kind == "boolean":
        return FormField(kind="checkbox", initial="true" if initial is True else "", **common)
    if kind in ("integer", "number"):
        return FormField(kind=kind, initial=_text(initial), **common)
    if kind == "string":
        return FormField(kind="textarea" if multiline else "text", initial=_text(initial), **common)
    return FormField(kind="json", initial="" if initial is None else json.dumps(initial), **common)


def _is_approval(pending: PendingInterrupt) -> bool:
    return isinstance(pending.value, Mapping) and pending.value.get("type") == "tool_approval"


def _allowed(value: Mapping[str, Any], branches: Mapping[str, object]) -> list[str]:
    listed = value.get("allowed_decisions")
    if isinstance(listed, list):
        wanted = {str(d) for d in listed}
        if branches:
            wanted &= set(branches)
    elif branches:
        wanted = set(branches)
    else:
        wanted = set(DECISION_TYPES)
    return [d for d in DECISION_TYPES if d in wanted]


def _approval_form(pending: PendingInterrupt, *, ask_reviewer: bool) -> Form:
    value: Mapping[str, Any] = pending.value
    schema: Mapping[str, Any] = pending.response_schema or {}
    branches = branches_of(schema) if schema else {}
    allowed = _allowed(value, branches)
    tool = str(value.get("name") or "")
    raw_args = value.get("args")
    args: Mapping[str, Any] = raw_args if isinstance(raw_args, Mapping) else {}
    fields: list[FormField] = []
    buttons: list[Button] = []
    shared: list[str] = []
    reviewer_names = _reviewer_names(value, branches)
    if ask_reviewer:
        reviewer = (
            FormField(
                name="reviewer",
                path=("reviewer",),
                label="Reviewer",
                kind="select",
                choices=tuple(reviewer_names),
                required=True,
            )
            if reviewer_names
            else FormField(
                name="reviewer", path=("reviewer",), label="Reviewer (optional)", kind="text"
            )
        )
        fields.append(reviewer)
        shared.append(reviewer.name)
    if "edit" in allowed:
        edit = branches.get("edit", {})
        action = resolve((edit.get("properties") or {}).get("edited_action"), schema)
        props = action.get("properties") or {}
        name_prop = resolve(props.get("name"), schema)
        tool = str(name_prop.get("const") or tool)
        args_schema = resolve(props.get("args"), schema)
        arg_props = args_schema.get("properties")
        required = set(args_schema.get("required") or [])
        edit_fields: list[FormField] = []
        if isinstance(arg_props, Mapping) and arg_props:
            for key, raw in arg_props.items():
                edit_fields.append(
                    _field(
                        f"args.{key}",
                        ("edited_action", "args", str(key)),
                        raw,
                        schema,
                        required=key in required,
                        initial=args.get(key, _OMIT),
                    )
                )
        else:
            edit_fields.append(
                FormField(
                    name="args",
                    path=("edited_action", "args"),
                    label="Arguments (JSON)",
                    kind="json",
                    required=True,
                    initial=json.dumps(args, indent=2),
                )
            )
        fields.extend(edit_fields)
    if "reject" in allowed or "respond" in allowed:
        label = "Message (required to respond)" if "respond" in allowed else "Reason (optional)"
        fields.append(FormField(name="message", path=("message",), label=label, kind="textarea"))
    for decision in allowed:
        uses = list(shared)
        base: dict[str, Any] = {"type": decision}
        if decision == "edit":
            base["edited_action"] = {"name": tool}
            uses += [f.name for f in fields if f.path[:2] == ("edited_action", "args")]
        if decision in ("reject", "respond"):
            uses.append("message")
        buttons.append(
            Button(
                value=decision, label=_LABELS[decision], base=base, uses=tuple(uses), tag=decision
            )
        )
    notice = (
        f"Only these reviewers may decide: {', '.join(reviewer_names)}." if reviewer_names else None
    )
    return Form(kind="approval", fields=tuple(fields), buttons=tuple(buttons), notice=notice)


def _reviewer_names(value: Mapping[str, Any], branches: Mapping[str, dict[str, Any]]) -> list[str]:
    listed = value.get("reviewers")
    if isinstance(listed, list):
        return [str(name) for name in listed]
    for branch in branches.values():
        prop = (branch.get("properties") or {}).get("reviewer")
        if isinstance(prop, Mapping) and isinstance(prop.get("enum"), list):
            return [str(name) for name in prop["enum"]]
    return []


def form_for(pending: PendingInterrupt, *, ask_reviewer: bool = False) -> Form:
    """The form that answers `pending`, generated from its response schema.

    Args:
        pending: The request.
        ask_reviewer: Add a reviewer field to approvals (when the app does not know who
            the reviewer is from a login).
    """
    if _is_approval(pending):
        return _approval_form(pending, ask_reviewer=ask_reviewer)
    schema = pending.response_schema
    whole = resolve(schema, schema) if schema else {}
    props = whole.get("properties")
    if whole.get("type") == "object" and isinstance(props, Mapping) and props:
        required = set(whole.get("required") or [])
        one_text = len(props) == 1
        fields = tuple(
            _field(
                f"field.{key}",
                (str(key),),
                raw,
                schema or {},
                required=key in required,
                initial=_OMIT,
                multiline=one_text or key in ("data", "message"),
            )
            for key, raw in props.items()
        )
        return Form(
            kind="fields",
            fields=fields,
            buttons=(
                Button(
                    value="send", label="Send answer", base={}, uses=tuple(f.name for f in fields)
                ),
            ),
        )
    scalar = whole.get("type") in ("string", "number", "integer", "boolean") or "enum" in whole
    if scalar:
        field = _field(
            "answer", (), whole, schema or {}, required=True, initial=_OMIT, multiline=True
        )
        return Form(
            kind="fields",
            fields=(field,),
            buttons=(Button(value="send", label="Send answer", base=None, uses=("answer",)),),
        )
    field = FormField(name="answer", path=(), label="Answer (JSON)", kind="json", required=True)
    return Form(
        kind="json",
        fields=(field,),
        buttons=(Button(value="send", label="Send answer", base=None, uses=("answer",)),),
    )
