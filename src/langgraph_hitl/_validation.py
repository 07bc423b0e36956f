"""Where an answer is validated, on the client, before anything is sent to a graph.

An interrupt publishes the JSON schema of the answer it expects (`Interrupt.response_schema`).
Schemas made by this library's own tools are registered here with the pydantic type they
came from, so an answer to them is checked exactly as the tool will check it (one precise
error for the branch a tagged answer names). Any other JSON schema (from LangGraph's
`interrupt(..., response_schema=...)` in someone else's graph, or LangChain's
`HumanInTheLoopMiddleware`) is checked with `jsonschema`. No schema, no check.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from functools import lru_cache
from typing import Any, cast

import jsonschema
from jsonschema.exceptions import ValidationError as JSONSchemaValidationError
from pydantic import BaseModel, TypeAdapter
from pydantic import ValidationError as PydanticValidationError

from ._errors import FieldError, InvalidResumeError

__all__ = ["dump_answer", "register_schema", "schema_key", "validate_answer"]

_lock = threading.Lock()
_registered: dict[str, TypeAdapter[Any]] = {}


def schema_key(schema: Mapping[str, Any]) -> str:
    """A canonical text of a JSON schema, equal for equal schemas."""
    return json.dumps(schema, sort_keys=True, separators=(",", ":"), default=str)


def register_schema(adapter: TypeAdapter[Any], schema: dict[str, Any]) -> None:
    """Remember that `schema` was published from `adapter`, to validate with pydantic."""
    with _lock:
        _registered[schema_key(schema)] = adapter


def dump_answer(answer: object) -> object:
    """The JSON-like form of an answer, as it travels in a `Command(resume=...)`.

    Pydantic models (e.g. `Approve()`) become their dict, leaving out unset `None`
    fields, so the wire shape stays LangChain's (`{"type": "reject"}`, no `message: null`).
    """
    if isinstance(answer, BaseModel):
        return answer.model_dump(mode="json", exclude_none=True)
    return answer


def validate_answer(
    answer: object, schema: Mapping[str, Any] | None, *, interrupt_id: str | None = None
) -> object:
    """Check `answer` against `schema`; return what to send, or raise `InvalidResumeError`."""
    sent = dump_answer(answer)
    if schema is None:
        return sent
    adapter = _registered.get(schema_key(schema))
    errors = (
        _pydantic_errors(adapter, sent) if adapter is not None else _json_errors(schema, sent)
    )
    if errors:
        listed = "; ".join(str(error) for error in errors)
        target = f" to interrupt {interrupt_id!r}" if interrupt_id else ""
        raise InvalidResumeError(
            f"The answer{target} does not fit the schema it must match: {listed}. "
            f"Nothing was sent; the request is still pending. Expected: {_expected(schema)}. "
            f"Got: {_short(sent)}.",
            errors=errors,
            interrupt_id=interrupt_id,
        )
    return sent


def _pydantic_errors(adapter: TypeAdapter[Any], answer: object) -> list[FieldError]:
    try:
        adapter.validate_python(answer)
    except PydanticValidationError as exc:
        return [
            FieldError(loc=tuple(error["loc"]), message=error["msg"])
            for error in exc.errors(include_url=False)
        ]
    return []


@lru_cache(maxsize=256)
def _validator(key: str) -> jsonschema.protocols.Validator:
    schema = json.loads(key)
    cls = cast("type[jsonschema.protocols.Validator]", jsonschema.validators.validator_for(schema))
    cls.check_schema(schema)
    return cls(schema)


def _json_errors(schema: Mapping[str, Any], answer: object) -> list[FieldError]:
    validator = _validator(schema_key(schema))
    branch = _tagged_branch(schema, answer)
    if branch is not None:
        # A tagged answer is checked against the branch its tag names only, so it gets
        # the errors of that branch rather than one list per branch.
        base = {k: v for k, v in schema.items() if k not in ("oneOf", "anyOf", "discriminator")}
        errors = list(validator.evolve(schema={**base, **branch}).iter_errors(answer))
    else:
        errors = list(validator.iter_errors(answer))
    if not errors:
        return []
    best = jsonschema.exceptions.best_match(errors)
    ordered = [best, *(e for e in errors if e is not best)] if best is not None else errors
    return [_field_error(error) for error in ordered]


def _tagged_branch(schema: Mapping[str, Any], answer: object) -> dict[str, Any] | None:
    """The sub-schema an OpenAPI-style `discriminator` picks for this answer, if any."""
    discriminator = schema.get("discriminator")
    if not isinstance(discriminator, Mapping) or not isinstance(answer, Mapping):
        return None
    prop = discriminator.get("propertyName")
    mapping = discriminator.get("mapping")
    if not isinstance(prop, str) or not isinstance(mapping, Mapping):
        return None
    tag = answer.get(prop)
    if not isinstance(tag, str) or tag not in mapping:
        tags = sorted(str(t) for t in mapping)
        # An unknown tag is reported as exactly that, not as a failure of each branch.
        return {
            "type": "object",
            "required": [prop],
            "properties": {prop: {"enum": tags}},
        }
    return {"$ref": mapping[tag]}


def _field_error(error: JSONSchemaValidationError) -> FieldError:
    loc = tuple(part for part in error.absolute_path if isinstance(part, (str, int)))
    return FieldError(loc=loc, message=error.message)


def _expected(schema: Mapping[str, Any]) -> str:
    """A short description of what a schema accepts, for error messages."""
    discriminator = schema.get("discriminator")
    if isinstance(discriminator, Mapping) and isinstance(discriminator.get("mapping"), Mapping):
        tags = sorted(str(tag) for tag in discriminator["mapping"])
        return f"an object whose {discriminator.get('propertyName')!r} is one of {tags}"
    if schema.get("type") == "object":
        required = schema.get("required") or []
        props = sorted((schema.get("properties") or {}).keys())
        return f"an object with keys {props} (required: {sorted(required)})"
    return _short(schema)


def _short(value: object, limit: int = 200) -> str:
    try:
        text = json.dumps(value, default=repr, sort_keys=True)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
