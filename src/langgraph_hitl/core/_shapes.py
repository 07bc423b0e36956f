"""Where the shapes of other clients are read: LangChain's batched decisions and Agent Inbox.

An approval request is answered in this library's (and LangChain's per-call) shape, a
single decision. Two web clients answer in shapes of their own, and an approval tool reads
both as that single decision, then validates it exactly as it validates a direct one:

- Agent Chat UI (and LangChain's batched `HumanInTheLoopMiddleware`):
  `{"decisions": [decision]}`, exactly one decision, since a request is about one call;
  an edit's values typed as text are read as below.
- Agent Inbox: a list of one `HumanResponse`, `[{"type": ..., "args": ...}]`:
  `accept` -> approve; `edit` (`args={"action": name, "args": {...}}`) -> edit, with
  values typed in its form as text read through the tool's argument schema (`"3"` -> 3);
  `response` (`args` a text) -> respond when the tool allows it, else reject with that
  text; `ignore` -> reject with `IGNORED`.

On LangGraph Server, the authenticated user of the run (`langgraph_auth_user_id` in its
configurable) is the reviewer of a decision, whatever the payload names.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from langgraph.config import get_config

__all__ = [
    "IGNORED",
    "AnswerShape",
    "Reading",
    "batch_schema",
    "inbox_schema",
    "read_answer",
    "relocate",
    "server_reviewer",
]

AnswerShape = Literal["decision", "decisions", "human_response"]
"""The shape an approval was answered in (kept in its `AuditRecord`).

- `"decision"`: one decision, as this library and LangChain's per-call clients send it.
- `"decisions"`: `{"decisions": [decision]}`, as Agent Chat UI (LangChain's batched
  middleware) sends it.
- `"human_response"`: `[{"type": ..., "args": ...}]`, as Agent Inbox sends it.
"""

IGNORED = (
    "The reviewer dismissed this request without running the tool. Do not retry this tool "
    "call unless the user explicitly requests it."
)
"""The rejection message of an Agent Inbox `ignore` answer."""

INBOX_TYPES = ("accept", "edit", "response", "ignore")


@dataclass(frozen=True, slots=True)
class Reading:
    """What an approval tool needs to read other clients' answers."""

    tool_name: str
    allowed: tuple[str, ...]
    properties: Mapping[str, Any]
    """The JSON schema of each argument, to read text typed in a form."""


def server_reviewer() -> str | None:
    """The authenticated user of the LangGraph Server run being validated, if any.

    Outside a run (a client checking an answer before sending it) there is none: the
    tool applies it when the answer reaches it.
    """
    try:
        configurable = get_config().get("configurable") or {}
    except RuntimeError:
        return None
    user = configurable.get("langgraph_auth_user")
    if user is None:
        # No custom auth: LangGraph Server then has no user, and the payload's name stands.
        return None
    authenticated = (
        user.get("is_authenticated", True)
        if isinstance(user, Mapping)
        else getattr(user, "is_authenticated", True)
    )
    if authenticated is False:
        return None
    identity = configurable.get("langgraph_auth_user_id")
    if not identity:
        identity = user.get("identity") if isinstance(user, Mapping) else None
        identity = identity or getattr(user, "identity", None)
    return str(identity) if identity else None


def _types(schema: object) -> set[str]:
    if not isinstance(schema, Mapping):
        return set()
    found: set[str] = set()
    kind = schema.get("type")
    if isinstance(kind, str):
        found.add(kind)
    elif isinstance(kind, list):
        found.update(str(k) for k in kind)
    for key in ("anyOf", "oneOf"):
        for option in schema.get(key) or []:
            found |= _types(option)
    if "$ref" in schema or "allOf" in schema:
        found.add("object")  # a nested model, typed as JSON text in a form
    return found


def _from_text(text: str, schema: object) -> object:
    """A form's text as the value its argument takes, when it is not text itself."""
    types = _types(schema)
    if not types or "string" in types:
        return text
    stripped = text.strip()
    if "integer" in types:
        try:
            return int(stripped)
        except ValueError:
            pass
    if "number" in types:
        try:
            return float(stripped)
        except ValueError:
            pass
    if "boolean" in types and stripped.lower() in ("true", "false"):
        return stripped.lower() == "true"
    if "null" in types and stripped in ("", "null"):
        return None
    if types & {"array", "object"}:
        try:
            return json.loads(stripped)
        except ValueError:
            pass
    # Left as sent: the tool's schema then refuses it, naming the argument.
    return text


def _inbox(value: Sequence[object], reading: Reading) -> dict[str, Any]:
    if len(value) != 1:
        raise ValueError(
            f"an Agent Inbox answer is a list of exactly one response, got {len(value)}: "
            "this request is about one tool call"
        )
    (item,) = value
    if not isinstance(item, Mapping) or item.get("type") not in INBOX_TYPES:
        got = item.get("type") if isinstance(item, Mapping) else item
        raise ValueError(
            f"an Agent Inbox response has a 'type' among {list(INBOX_TYPES)}, got {got!r}"
        )
    unknown = sorted(set(item) - {"type", "args", "reviewer"})
    if unknown:
        raise ValueError(f"an Agent Inbox response has only 'type' and 'args', got {unknown!r}")
    kind, args = item["type"], item.get("args")
    extra = {"reviewer": item["reviewer"]} if "reviewer" in item else {}
    if kind == "accept":
        if args is not None:
            raise ValueError(f"an 'accept' response has args null, got {args!r}")
        return {"type": "approve", **extra}
    if kind == "ignore":
        if args is not None:
            raise ValueError(f"an 'ignore' response has args null, got {args!r}")
        return {"type": "reject", "message": IGNORED, **extra}
    if kind == "response":
        if not isinstance(args, str):
            raise ValueError(f"a 'response' has the reviewer's text as args, got {args!r}")
        # Agent Inbox offers "response" for a rejection; it is a response only where the
        # tool takes one.
        decision = "respond" if "respond" in reading.allowed else "reject"
        return {"type": decision, "message": args, **extra}
    if not (isinstance(args, Mapping) and set(args) == {"action", "args"}):
        raise ValueError(
            f"an 'edit' response has args {{'action': <tool name>, 'args': {{...}}}}, got {args!r}"
        )
    edited = _typed(args["args"], reading)
    return {"type": "edit", "edited_action": {"name": args["action"], "args": edited}, **extra}


def _typed(args: object, reading: Reading) -> object:
    """An edit's arguments with the text a form typed read as the values they stand for."""
    if not isinstance(args, Mapping):
        return args
    return {
        key: _from_text(value, reading.properties.get(key)) if isinstance(value, str) else value
        for key, value in args.items()
    }


def _typed_decision(decision: object, reading: Reading) -> object:
    if not (isinstance(decision, Mapping) and decision.get("type") == "edit"):
        return decision
    action = decision.get("edited_action")
    if not (isinstance(action, Mapping) and "args" in action):
        return decision
    return {**decision, "edited_action": {**action, "args": _typed(action["args"], reading)}}


def read_answer(value: object, reading: Reading) -> tuple[object, AnswerShape]:
    """The single decision a client's answer means, and the shape it came in.

    Raises:
        ValueError: The answer is in another client's shape but does not fit it.
    """
    if isinstance(value, list):
        return _inbox(value, reading), "human_response"
    if isinstance(value, Mapping) and "decisions" in value:
        decisions = value["decisions"]
        unknown = sorted(set(value) - {"decisions"})
        if unknown:
            raise ValueError(f"a batch answer has only 'decisions', got {unknown!r}")
        if not isinstance(decisions, list) or len(decisions) != 1:
            count = len(decisions) if isinstance(decisions, list) else decisions
            raise ValueError(
                f"'decisions' is a list of exactly one decision, got {count!r}: this "
                "request is about one tool call"
            )
        # Agent Chat UI's edit form holds text too.
        return _typed_decision(decisions[0], reading), "decisions"
    return value, "decision"


def relocate(loc: tuple[str | int, ...], shape: AnswerShape) -> tuple[str | int, ...]:
    """Where in the client's own answer an error of the decision read from it is."""
    if shape == "decisions":
        return ("decisions", 0, *loc)
    if shape == "human_response":
        if loc[1:3] == ("edited_action", "args"):
            return (0, "args", "args", *loc[3:])
        if loc[1:3] == ("edited_action", "name"):
            return (0, "args", "action", *loc[3:])
        if loc[1:2] == ("message",):
            return (0, "args", *loc[2:])
        return (0, *loc[1:]) if loc else (0,)
    return loc


def batch_schema(decision: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON schema of `{"decisions": [decision]}` for a decision's schema."""
    return {
        "title": "Decisions",
        "description": "Agent Chat UI's (LangChain's batched) answer: exactly one decision.",
        "type": "object",
        "properties": {
            "decisions": {"type": "array", "items": dict(decision), "minItems": 1, "maxItems": 1}
        },
        "required": ["decisions"],
        "additionalProperties": False,
    }


def inbox_schema(reading: Reading) -> dict[str, Any]:
    """The JSON schema of the Agent Inbox answers a tool's allowed decisions admit."""
    null = {"type": "null"}
    branches: list[dict[str, Any]] = []
    if "approve" in reading.allowed:
        branches.append(_inbox_branch("accept", null))
    if "edit" in reading.allowed:
        edit = {
            "type": "object",
            "properties": {
                "action": {"const": reading.tool_name, "type": "string"},
                "args": {
                    "type": "object",
                    "description": "Values typed as text are read through the tool's "
                    "argument schema.",
                },
            },
            "required": ["action", "args"],
            "additionalProperties": False,
        }
        branches.append(_inbox_branch("edit", edit))
    if "respond" in reading.allowed or "reject" in reading.allowed:
        branches.append(_inbox_branch("response", {"type": "string"}))
    if "reject" in reading.allowed:
        branches.append(_inbox_branch("ignore", null))
    return {
        "title": "HumanResponses",
        "description": "Agent Inbox's answer: a list of exactly one HumanResponse.",
        "type": "array",
        "items": {"oneOf": branches},
        "minItems": 1,
        "maxItems": 1,
    }


def _inbox_branch(kind: str, args: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "type": {"const": kind, "type": "string"},
            "args": args,
            "reviewer": {"type": "string"},
        },
        "required": ["type", "args"] if args.get("type") != "null" else ["type"],
        "additionalProperties": False,
    }
