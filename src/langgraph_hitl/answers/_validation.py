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
from jsonschema.exceptions import SchemaError
from jsonschema.exceptions import ValidationError as JSONSchemaValidationError
from pydantic import BaseModel, TypeAdapter
from pydantic import ValidationError as PydanticValidationError

from ..core._compat import adapter_type
from ..core._errors import FieldError, InvalidResumeError
from ..core._schema import discriminator, follow

__all__ = ["dump_answer", "register_schema", "schema_key", "validate_answer"]

_lock = threading.Lock()
_registered: dict[str, TypeAdapter[Any] | None] = {}
"""Schema text -> the adapter it was published from; None when two unrelated types share it."""


def schema_key(schema: Mapping[str, Any]) -> str:
    """A canonical text of a JSON schema, equal for equal schemas."""
    return json.dumps(schema, sort_keys=True, separators=(",", ":"), default=str)


def register_schema(adapter: TypeAdapter[Any], schema: dict[str, Any]) -> None:
    """Remember that `schema` was published from `adapter`, to validate with pydantic.

    Two unrelated types can publish the same JSON schema yet validate differently (custom
    validators); such a schema is then checked with `jsonschema` only, never with the
    wrong type. The same type made again (a tool factory called twice) is not a conflict.
    """
    key = schema_key(schema)
    with _lock:
        if key in _registered and not _same_type(_registered[key], adapter):
            _registered[key] = None
        else:
            _registered[key] = adapter


def _same_type(known: TypeAdapter[Any] | None, new: TypeAdapter[Any]) -> bool:
    if known is None:
        return False
    a, b = adapter_type(known), adapter_type(new)
    return a is b or (
        isinstance(a, type)
        and isinstance(b, type)
        and (a.__module__, a.__qualname__) == (b.__module__, b.__qualname__)
    )


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
    _check_storable(sent, interrupt_id=interrupt_id)
    if schema is None:
        return sent
    adapter = _registered.get(schema_key(schema))
    errors = _pydantic_errors(adapter, sent) if adapter is not None else _json_errors(schema, sent)
    if errors:
        listed = "; ".join(str(error) for error in errors)
        target = f" to interrupt {interrupt_id!r}" if interrupt_id else ""
        raise InvalidResumeError(
            f"The answer{target} does not fit the schema it must match: {listed}. "
            f"Nothing was sent; the request is still pending. Expected: {_expected(schema, sent)}. "
            f"Got: {_short(sent)}.",
            errors=errors,
            interrupt_id=interrupt_id,
        )
    return sent


def _unstorable(value: object, loc: tuple[str | int, ...] = ()) -> list[FieldError]:
    if isinstance(value, str):
        if "\x00" in value:
            return [FieldError(loc=loc, message="contains a NUL character (\\x00)")]
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return [FieldError(loc=loc, message="contains a lone surrogate (not UTF-8)")]
        return []
    if isinstance(value, int) and not -(2**63) <= value < 2**64:
        # Checkpointers serialize with msgpack, whose integers are 64-bit.
        return [FieldError(loc=loc, message=f"integer {value} does not fit in 64 bits")]
    if isinstance(value, Mapping):
        errors: list[FieldError] = []
        for key, item in value.items():
            errors += _unstorable(key, loc) if isinstance(key, str) else []
            errors += _unstorable(item, (*loc, str(key)))
        return errors
    if isinstance(value, (list, tuple)):
        return [e for n, item in enumerate(value) for e in _unstorable(item, (*loc, n))]
    return []


def _check_storable(sent: object, *, interrupt_id: str | None) -> None:
    """Refuse text no checkpointer can keep, before it is sent.

    PostgreSQL stores a graph's plain values as JSONB, which holds neither NUL nor lone
    surrogates: a node that put such an answer into state would fail after it ran, and the
    thread would lose its pending interrupt.
    """
    errors = _unstorable(sent)
    if errors:
        target = f" to interrupt {interrupt_id!r}" if interrupt_id else ""
        raise InvalidResumeError(
            f"The answer{target} holds text a checkpointer cannot store: "
            f"{'; '.join(map(str, errors))}. Nothing was sent; the request is still pending. "
            "Remove those characters and answer again.",
            errors=errors,
            interrupt_id=interrupt_id,
        )


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
def _validator(key: str) -> jsonschema.protocols.Validator | None:
    schema = json.loads(key)
    cls: type[jsonschema.protocols.Validator] = jsonschema.validators.validator_for(schema)
    try:
        cls.check_schema(schema)
    except SchemaError:
        # The graph published a schema no validator can use: that is the graph's bug, and
        # refusing every answer would leave the thread unanswerable. LangGraph does not
        # check a dict schema either, so the answer goes through unchecked.
        return None
    return cls(schema)


def _json_errors(schema: Mapping[str, Any], answer: object) -> list[FieldError]:
    validator = _validator(schema_key(schema))
    if validator is None:
        return []
    errors: list[JSONSchemaValidationError] = []
    for error in validator.iter_errors(cast("Any", answer)):
        errors.extend(_explain(error))
    if not errors:
        return []
    best = jsonschema.exceptions.best_match(errors)
    ordered = [best, *(e for e in errors if e is not best)] if best is not None else errors
    return [_field_error(error) for error in ordered]


def _explain(error: JSONSchemaValidationError) -> list[JSONSchemaValidationError]:
    """The errors to report for `error`: for a tagged union, those of the tag's branch.

    jsonschema reports a failed `oneOf` as one error with every branch's errors inside.
    When the union publishes a discriminator (pydantic and LangChain's per-call decisions
    do), the answer's tag says which branch it meant, so only that branch's errors are
    reported, and an unknown or missing tag is reported as exactly that.
    """
    tagged = discriminator(error.schema)
    if error.validator not in ("oneOf", "anyOf") or tagged is None:
        return [error]
    prop, mapping = tagged
    tags = sorted(str(tag) for tag in mapping)
    instance = error.instance
    if not isinstance(instance, Mapping):
        return [
            _error_at(
                error,
                f"{_short(instance)} is not an object; expected an object whose {prop!r} is "
                f"one of {tags}",
            )
        ]
    tag = instance.get(prop)
    if not isinstance(tag, str) or tag not in mapping:
        if prop not in instance:
            return [_error_at(error, f"{prop!r} is a required property, one of {tags}")]
        return [_error_at(error, f"{_short(tag)} is not one of {tags}", prop)]
    branches = error.schema.get(error.validator) if isinstance(error.schema, Mapping) else None
    ref = mapping[tag]
    index = next(
        (
            n
            for n, branch in enumerate(branches or [])
            if isinstance(branch, Mapping) and branch.get("$ref") == ref
        ),
        None,
    )
    inner = [e for e in error.context or [] if list(e.relative_schema_path)[:1] == [index]]
    if index is None or not inner:
        return [error]
    return [explained for e in inner for explained in _explain(e)]


def _error_at(
    error: JSONSchemaValidationError, message: str, *extra: str
) -> JSONSchemaValidationError:
    """A copy of `error` with another message, at its path plus `extra`."""
    return JSONSchemaValidationError(
        message,
        validator=error.validator,
        path=[*error.absolute_path, *extra],
        instance=error.instance,
        schema=error.schema,
    )


def _branch(schema: Mapping[str, Any], answer: object) -> Mapping[str, Any] | None:
    """The sub-schema the answer's tag names, when `schema` is a tagged union."""
    tagged = discriminator(schema)
    if tagged is None or not isinstance(answer, Mapping):
        return None
    prop, mapping = tagged
    tag = answer.get(prop)
    return follow(schema, mapping.get(tag)) if isinstance(tag, str) else None


def _field_error(error: JSONSchemaValidationError) -> FieldError:
    loc = tuple(part for part in error.absolute_path if isinstance(part, (str, int)))
    return FieldError(loc=loc, message=error.message)


def _expected(schema: Mapping[str, Any], answer: object = None) -> str:
    """A short description of what a schema accepts, for error messages."""
    branch = _branch(schema, answer)
    if branch is not None:
        return _expected(branch)
    tagged = discriminator(schema)
    if tagged is not None:
        prop, mapping = tagged
        return f"an object whose {prop!r} is one of {sorted(str(tag) for tag in mapping)}"
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
