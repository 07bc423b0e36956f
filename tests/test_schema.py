"""The one JSON-schema walker (`core/_schema.py`) on the schemas our requests publish."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from langgraph.checkpoint.memory import InMemorySaver

from langgraph_hitl import approval_tool, build_hitl_graph, pending_interrupts
from langgraph_hitl.core._schema import (
    branches_of,
    discriminator,
    follow,
    non_null,
    resolve,
    tags_of,
)
from langgraph_hitl.testing import ScriptedChatModel, ai_tool_calls

if TYPE_CHECKING:
    from langchain_core.runnables import RunnableConfig

UNION: dict[str, Any] = {
    "$defs": {
        "A": {"type": "object", "properties": {"type": {"const": "approve"}}},
        "R": {
            "type": "object",
            "properties": {"type": {"enum": ["reject"]}, "why": {"type": "string"}},
        },
    },
    "oneOf": [{"$ref": "#/$defs/A"}, {"$ref": "#/$defs/R"}],
    "discriminator": {
        "propertyName": "type",
        "mapping": {"approve": "#/$defs/A", "reject": "#/$defs/R"},
    },
}


def test_follow_reads_local_refs_only() -> None:
    assert follow(UNION, "#/$defs/A") == UNION["$defs"]["A"]
    assert follow(UNION, "#/$defs/Missing") is None
    assert follow(UNION, "https://example.com/schema.json") is None
    assert follow(UNION, 3) is None


def test_discriminator_and_branches() -> None:
    assert discriminator(UNION) == ("type", UNION["discriminator"]["mapping"])
    assert discriminator({"oneOf": []}) is None
    assert discriminator("not a schema") is None
    assert sorted(branches_of(UNION)) == ["approve", "reject"]
    assert branches_of(UNION)["reject"]["properties"]["why"] == {"type": "string"}


def test_tags_without_a_discriminator_come_from_the_branches() -> None:
    plain = {k: v for k, v in UNION.items() if k != "discriminator"}
    assert tags_of(plain) == ["approve", "reject"]
    several = {"type": "object", "properties": {"type": {"enum": ["edit", "respond"]}}}
    assert tags_of(several) == ["edit", "respond"]
    assert tags_of({"type": "string"}) == []


def test_resolve_merges_siblings_and_single_all_of() -> None:
    node = {"allOf": [{"$ref": "#/$defs/A"}], "title": "Yes"}
    assert resolve(node, UNION) == {**UNION["$defs"]["A"], "title": "Yes"}
    looping: dict[str, Any] = {"$defs": {"L": {"$ref": "#/$defs/L"}}, "$ref": "#/$defs/L"}
    assert "$ref" not in resolve(looping, looping)  # a reference loop ends, it does not recurse


def test_non_null_drops_the_null_alternative() -> None:
    assert non_null({"type": ["string", "null"]}, {}) == ({"type": "string"}, True)
    assert non_null({"anyOf": [{"type": "integer"}, {"type": "null"}], "title": "N"}, {}) == (
        {"type": "integer", "title": "N"},
        True,
    )
    assert non_null({"type": "string"}, {}) == ({"type": "string"}, False)


def send_email(to: str, subject: str) -> str:
    """Send an e-mail."""
    return f"sent to {to}"


def test_every_decision_of_an_approval_schema_is_found() -> None:
    """On the schema a real approval request publishes, in the order it lists them."""
    model = ScriptedChatModel(
        responses=[ai_tool_calls(("send_email", {"to": "a", "subject": "b"}))]
    )
    graph = build_hitl_graph(model, [approval_tool(send_email)]).compile(
        checkpointer=InMemorySaver()
    )
    config: RunnableConfig = {"configurable": {"thread_id": "1"}}
    graph.invoke({"messages": [{"role": "user", "content": "mail"}]}, config)
    (request,) = pending_interrupts(graph, config)
    schema = request.response_schema
    assert schema is not None
    assert tags_of(schema) == ["approve", "edit", "reject", "respond"]
    edit = branches_of(schema)["edit"]
    action = resolve(edit["properties"]["edited_action"], schema)
    assert resolve(action["properties"]["args"], schema)["required"] == ["to", "subject"]
