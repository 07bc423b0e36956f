"""What an edit may send as a tool's arguments: the tool's schema, kept as sent, pins held.

An `Edit`'s `args` are checked against the tool's own argument schema (a pydantic model,
or a JSON schema), refusing keys the tool does not declare unless it takes extra keys,
and kept as the dict the reviewer sent (the tool validates its arguments itself when it
runs). A tool with `editable=...` pins every other argument to the model's value
(`Pinned`). `edit_args` makes the type that says all this, for `decision_model`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Literal, cast

import jsonschema
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    PlainSerializer,
    ValidatorFunctionWrapHandler,
    WithJsonSchema,
    WrapValidator,
)

if TYPE_CHECKING:
    from langchain_core.tools.base import ArgsSchema

__all__ = ["ABSENT", "Pinned", "edit_args", "strict_args", "strict_json_schema"]


@dataclass(frozen=True, slots=True)
class Pinned:
    """The arguments an edit may not change (`approval_tool(editable=...)`), and their values.

    A name mapped to `ABSENT` is one the model did not give: an edit may not add it.
    """

    values: tuple[tuple[str, Any], ...]
    editable: tuple[str, ...]

    def check(self, args: object) -> object:
        if not isinstance(args, dict):
            return args
        for name, value in self.values:
            if value is ABSENT:
                if name in args:
                    raise ValueError(
                        f"{name!r} may not be edited (editable: {list(self.editable)}); "
                        "the model did not give it, so leave it out"
                    )
            elif name not in args or not _same(args[name], value):
                got = f"got {args[name]!r}" if name in args else "it is missing"
                raise ValueError(
                    f"{name!r} may not be edited (editable: {list(self.editable)}); it must "
                    f"stay {value!r}, {got}"
                )
        return args

    def pin(self, schema: dict[str, Any]) -> None:
        """Pin the arguments in an object schema: `const` values, `false` for absent ones."""
        properties = dict(schema.get("properties") or {})
        required = list(schema.get("required") or [])
        for name, value in self.values:
            if value is ABSENT:
                properties[name] = False
                required = [r for r in required if r != name]
            else:
                original = properties.get(name)
                pinned = dict(original) if isinstance(original, dict) else {}
                pinned["const"] = value
                properties[name] = pinned
                if name not in required:
                    required.append(name)
        schema["properties"] = properties
        schema["required"] = required


class _Absent:
    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Any = _Absent()
"""Stands for an argument the model did not give (see `Pinned`)."""


def _same(a: object, b: object) -> bool:
    return json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)


def strict_args(model: type[BaseModel], *, allow_extra: bool = False) -> type[BaseModel]:
    """`model`, refusing keys it does not declare, unless the tool takes extra keys.

    Pydantic's default ignores unknown keys, so a reviewer's `bcc` would be dropped
    silently while the audit and the model's notice said it ran. `allow_extra` comes from
    the tool's own argument schema: LangChain's `tool_call_schema` does not keep its config.
    """
    extra: Literal["allow", "forbid"] = "allow" if allow_extra else "forbid"
    if model.model_config.get("extra") == extra:
        return model
    strict = type(
        model.__name__,
        (model,),
        {
            "model_config": ConfigDict(extra=extra),
            "__module__": model.__module__,
            "__doc__": model.__doc__,
            "__qualname__": model.__qualname__,
        },
    )
    return cast("type[BaseModel]", strict)


def strict_json_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """A JSON-schema tool's schema, refusing undeclared keys unless it says otherwise."""
    if schema.get("type", "object") != "object" or "additionalProperties" in schema:
        return schema
    return {**schema, "additionalProperties": False}


class _AsSent:
    """Check edited args against the tool's schema, but keep them as the reviewer sent them.

    The tool validates its arguments itself when it runs, as it does the model's. An
    unknown key gets its own message, naming the arguments the tool takes.
    """

    def __init__(self, model: type[BaseModel]) -> None:
        self.model = model
        names: set[str] = set()
        for name, field in model.model_fields.items():
            names.add(name)
            for alias in (field.alias, field.validation_alias):
                if isinstance(alias, str):
                    names.add(alias)
        self.names = sorted(names)
        self.strict = model.model_config.get("extra") == "forbid"

    def __call__(self, answer: object, check: ValidatorFunctionWrapHandler) -> object:
        if self.strict and isinstance(answer, dict):
            unknown = sorted(str(key) for key in answer if key not in self.names)
            if unknown:
                raise ValueError(
                    f"{', '.join(map(repr, unknown))} "
                    f"{'is not an argument' if len(unknown) == 1 else 'are not arguments'} "
                    f"of this tool; it takes {self.names}"
                )
        check(answer)
        return answer


class _JSONArgs:
    """Checks edited arguments against a JSON-schema tool's schema."""

    def __init__(self, schema: dict[str, Any]) -> None:
        cls = jsonschema.validators.validator_for(schema)
        cls.check_schema(schema)
        self.validator = cls(schema)

    def __call__(self, args: dict[str, Any]) -> dict[str, Any]:
        error = jsonschema.exceptions.best_match(self.validator.iter_errors(args))
        if error is not None:
            where = ".".join(str(part) for part in error.absolute_path)
            raise ValueError(f"{where + ': ' if where else ''}{error.message}")
        return args


def _as_is(value: object) -> object:
    return value


def edit_args(
    args_schema: ArgsSchema | None, *, allow_extra: bool, pinned: Pinned | None = None
) -> object:
    """The type of an edit's `args` for a tool with `args_schema` (and `pinned` arguments)."""
    if isinstance(args_schema, type) and issubclass(args_schema, BaseModel):
        # Checked as the model (unknown keys refused), kept and dumped as the dict the
        # reviewer sent.
        strict = strict_args(args_schema, allow_extra=allow_extra)
        if pinned is None:
            return Annotated[
                strict,
                WrapValidator(_AsSent(strict)),
                PlainSerializer(_as_is, return_type=Any),
            ]
        # A subclass of this request's own, so that its published schema pins the values.
        fixed = type(
            strict.__name__,
            (strict,),
            {
                "model_config": ConfigDict(json_schema_extra=pinned.pin),
                "__module__": strict.__module__,
                "__doc__": strict.__doc__,
                "__qualname__": strict.__qualname__,
            },
        )
        return Annotated[
            fixed,
            WrapValidator(_AsSent(fixed)),
            AfterValidator(pinned.check),
            PlainSerializer(_as_is, return_type=Any),
        ]
    if isinstance(args_schema, dict):
        checked = strict_json_schema(args_schema)
        if pinned is None:
            return Annotated[
                dict[str, Any], WithJsonSchema(checked), AfterValidator(_JSONArgs(checked))
            ]
        checked = json.loads(json.dumps(checked))
        pinned.pin(checked)
        return Annotated[
            dict[str, Any],
            WithJsonSchema(checked),
            AfterValidator(pinned.check),
            AfterValidator(_JSONArgs(checked)),
        ]
    # A pydantic.v1 tool: any object; the tool checks its arguments when it runs.
    if pinned is not None:
        return Annotated[dict[str, Any], AfterValidator(pinned.check)]
    return dict[str, Any]
