"""The wrapped tool's argument schemas, as an approval tool reads and publishes them.

What the model may pass (`argument_names`), what the graph injects (`injected_keys`) and
the JSON schema an edit's arguments must fit (`edit_schema`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, TypeAdapter

from ..answers._edits import strict_args, strict_json_schema

if TYPE_CHECKING:
    from langchain_core.tools import BaseTool
    from langchain_core.tools.base import ArgsSchema

__all__ = ["argument_names", "edit_schema", "injected_keys", "model_of"]


def argument_names(schema: ArgsSchema) -> list[str]:
    """The arguments a tool takes, as the model sees them."""
    model = model_of(schema)
    if model is not None:
        return list(model.model_fields)
    if isinstance(schema, dict) and isinstance(schema.get("properties"), dict):
        return list(schema["properties"])
    return []


def edit_schema(schema: ArgsSchema, *, allow_extra: bool) -> dict[str, Any]:
    """The JSON schema an edit's arguments must fit (unknown keys refused unless allowed)."""
    model = model_of(schema)
    if model is not None:
        # Not `model_json_schema()`: LangChain caches it per base model, so a subclass that
        # forbids extra keys would publish its base's schema.
        published: dict[str, Any] = TypeAdapter(
            strict_args(model, allow_extra=allow_extra)
        ).json_schema()
        return published
    if isinstance(schema, dict):
        return strict_json_schema(schema)
    return {"type": "object"}


def model_of(schema: ArgsSchema) -> type[BaseModel] | None:
    """The schema as a pydantic (v2) model; None for a JSON schema or a pydantic.v1 model."""
    if isinstance(schema, type) and issubclass(schema, BaseModel):
        return schema
    return None


def injected_keys(tool: BaseTool, call_model: type[BaseModel] | None) -> frozenset[str]:
    """Arguments the graph injects (state, store, runtime, ...), which the model never sees."""
    full = model_of(tool.get_input_schema())
    if full is None or call_model is None:
        return frozenset()
    return frozenset(set(full.model_fields) - set(call_model.model_fields))
