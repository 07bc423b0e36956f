"""Forms from response schemas, and posted forms back to answers (no server needed)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, TypeAdapter

from langgraph_hitl import FieldError, PendingInterrupt
from langgraph_hitl.answers._decisions import decision_model
from langgraph_hitl.web._forms import form_for
from langgraph_hitl.web._posted import FormInputError, answer_from_form, place_errors


def request(value: object, schema: dict[str, Any] | None) -> PendingInterrupt:
    kind = value.get("type") if isinstance(value, dict) else None
    return PendingInterrupt(
        id="a" * 32,
        value=value,
        response_schema=schema,
        tool_call_id=None,
        type=kind if isinstance(kind, str) else None,
        node="tools",
        path=("tools",),
        thread_id="t",
        checkpoint_id="c",
        created_at=None,
        expires_at=None,
    )


class Args(BaseModel):
    to: str
    cc: str | None
    count: int = 1
    tags: list[str] = []


def approval(
    allowed: list[str], *, listed: list[str] | None = None, reviewers: set[str] | None = None
) -> PendingInterrupt:
    model = decision_model(
        "send",
        allowed=allowed,  # type: ignore[arg-type]
        args_schema=Args,
        reviewers=reviewers,
    )
    value: dict[str, Any] = {
        "type": "tool_approval",
        "name": "send",
        "tool_call_id": "c1",
        "args": {"to": "ada", "cc": None, "count": 2, "tags": ["x"]},
        "description": "Send it?",
    }
    if listed is not None:
        value["allowed_decisions"] = listed
    return request(value, TypeAdapter(model).json_schema())


def test_an_approval_gets_one_button_per_allowed_decision() -> None:
    full = form_for(approval(["approve", "edit", "reject", "respond"]))
    only = form_for(approval(["approve"]))  # the schema is a bare $ref, no union
    listed = form_for(approval(["approve", "edit", "reject"], listed=["approve", "reject"]))

    assert [b.value for b in full.buttons] == ["approve", "edit", "reject", "respond"]
    assert [b.value for b in only.buttons] == ["approve"]
    assert [f.name for f in only.fields] == []
    assert [b.value for b in listed.buttons] == ["approve", "reject"]


def test_an_oneof_schema_without_a_discriminator_still_names_its_decisions() -> None:
    schema = {
        "oneOf": [
            {"type": "object", "properties": {"type": {"const": "approve"}}},
            {
                "type": "object",
                "properties": {"type": {"enum": ["reject"]}, "message": {"type": "string"}},
            },
        ]
    }
    form = form_for(request({"type": "tool_approval", "name": "x", "args": {}}, schema))

    assert [b.value for b in form.buttons] == ["approve", "reject"]
    assert answer_from_form(form, "reject", {"message": "no"}) == {
        "type": "reject",
        "message": "no",
    }


def test_the_edit_fields_come_from_the_args_schema_prefilled_with_the_models_args() -> None:
    form = form_for(approval(["edit"]))
    fields = {f.name: f for f in form.fields}

    assert [(n, f.kind, f.required, f.initial) for n, f in fields.items()] == [
        ("args.to", "text", True, "ada"),
        ("args.cc", "text", True, ""),
        ("args.count", "integer", False, "2"),
        ("args.tags", "json", False, '["x"]'),
    ]
    assert fields["args.cc"].nullable
    sent = answer_from_form(
        form,
        "edit",
        {"args.to": "bob", "args.cc": "", "args.count": "3", "args.tags": '["a", "b"]'},
    )
    assert sent == {
        "type": "edit",
        "edited_action": {
            "name": "send",
            "args": {"to": "bob", "cc": None, "count": 3, "tags": ["a", "b"]},
        },
    }


def test_fields_the_form_cannot_read_are_refused_before_anything_is_sent() -> None:
    form = form_for(approval(["edit"]))

    with pytest.raises(FormInputError) as caught:
        answer_from_form(
            form, "edit", {"args.to": "bob", "args.count": "two", "args.tags": "[oops"}
        )

    assert caught.value.errors == {
        "args.count": "Enter a whole number, not 'two'.",
        "args.tags": "Not valid JSON (Expecting value at line 1, column 2).",
    }
    with pytest.raises(FormInputError, match="Unknown action 'approve'"):
        answer_from_form(form, "approve", {})


def test_an_empty_optional_field_is_left_out_so_its_default_applies() -> None:
    form = form_for(approval(["edit", "reject"]))

    sent = answer_from_form(form, "edit", {"args.to": "bob", "args.count": " "})
    rejected = answer_from_form(form, "reject", {"message": ""})

    assert sent == {
        "type": "edit",
        "edited_action": {"name": "send", "args": {"to": "bob", "cc": None}},
    }
    assert rejected == {"type": "reject"}


def test_the_reviewer_is_asked_only_when_no_login_says_who_it_is() -> None:
    item = approval(["approve", "reject"], reviewers={"alice", "bob"})

    anonymous = form_for(item, ask_reviewer=True)
    signed_in = form_for(item)

    reviewer = anonymous.field("reviewer")
    assert reviewer is not None
    assert (reviewer.kind, reviewer.choices) == ("select", ("alice", "bob"))
    assert answer_from_form(anonymous, "approve", {"reviewer": '"bob"'}) == {
        "type": "approve",
        "reviewer": "bob",
    }
    assert signed_in.field("reviewer") is None
    assert signed_in.notice == "Only these reviewers may decide: alice, bob."


def test_schema_errors_land_on_their_fields() -> None:
    form = form_for(approval(["edit", "respond"]))

    pydantic_style = place_errors(
        form,
        "edit",
        [
            FieldError(loc=("edit", "edited_action", "args", "count"), message="too big"),
            FieldError(loc=("reviewer",), message="Input should be 'alice'"),
        ],
    )
    jsonschema_style = place_errors(
        form,
        "edit",
        [
            FieldError(loc=("edited_action", "args"), message="'to' is a required property"),
        ],
    )
    nothing_known = place_errors(form, "respond", [], message="refused")

    assert pydantic_style.errors == {"args.count": "too big"}
    assert pydantic_style.general == ["reviewer: Input should be 'alice'"]
    assert jsonschema_style.errors == {"args.to": "'to' is a required property"}
    assert nothing_known.general == ["refused"]


def test_other_schemas_get_a_field_per_property_or_one_box() -> None:
    record = form_for(
        request(
            {"q": 1},
            {
                "type": "object",
                "required": ["size"],
                "properties": {
                    "size": {"type": "number"},
                    "mode": {"enum": ["a", 2]},
                    "ok": {"type": ["boolean", "null"]},
                },
            },
        )
    )
    whole_number = form_for(request({"q": 1}, {"type": "integer"}))
    free = form_for(request({"q": 1}, None))

    assert [(f.name, f.kind) for f in record.fields] == [
        ("field.size", "number"),
        ("field.mode", "select"),
        ("field.ok", "checkbox"),
    ]
    assert answer_from_form(record, "send", {"field.size": "2", "field.mode": "2"}) == {
        "size": 2.0,
        "mode": 2,
        "ok": False,
    }
    with pytest.raises(FormInputError, match="finite"):
        answer_from_form(record, "send", {"field.size": "nan"})
    assert answer_from_form(whole_number, "send", {"answer": "7"}) == 7
    assert answer_from_form(free, "send", {"answer": '"yes"'}) == "yes"
    with pytest.raises(FormInputError, match="Enter an answer"):
        answer_from_form(free, "send", {"answer": "  "})
