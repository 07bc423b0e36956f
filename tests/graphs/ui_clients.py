"""The graphs `langgraph dev` serves to the UI-client tests, and the server's auth handler.

The model is `RuleModel` (tests/graphs/mail.py): the user's message is the tool call, as
JSON (as text or as content blocks). `send_email` appends each e-mail it really sent to
the file named by `LANGGRAPH_HITL_TEST_OUTBOX`, so a test can count side effects across
the server process.

- `mail`: `send_email` behind an approval with approve / edit / reject (Agent Chat UI's
  decisions), and `human_assistance`;
- `respond`: the same tool that also takes a respond decision;
- `restricted`: only `alice` may decide.

`auth` is the server's custom auth: the bearer token is the user's identity (a test stand-in
for a real identity provider).
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any

from langchain_core.messages import BaseMessage, HumanMessage
from langchain_core.tools import tool
from langgraph_sdk import Auth

from langgraph_hitl import approval_tool, build_hitl_graph, human_assistance_tool

from .mail import RuleModel

if TYPE_CHECKING:
    from langchain_core.callbacks import CallbackManagerForLLMRun
    from langchain_core.outputs import ChatResult

OUTBOX_ENV = "LANGGRAPH_HITL_TEST_OUTBOX"


@tool
def send_email(to: str, subject: str, copies: int = 1) -> str:
    """Send an e-mail."""
    outbox = os.environ.get(OUTBOX_ENV)
    if outbox:
        with open(outbox, "a") as file:
            file.write(json.dumps({"to": to, "subject": subject, "copies": copies}) + "\n")
    return f"Sent {copies} to {to}."


class BlockRuleModel(RuleModel):
    """`RuleModel`, also for a user message sent as content blocks (as Agent Chat UI does)."""

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        last = messages[-1]
        if isinstance(last, HumanMessage) and not isinstance(last.content, str):
            messages = [*messages[:-1], HumanMessage(content=last.text)]
        return super()._generate(messages, stop, run_manager, **kwargs)


def _graph(**options: Any) -> Any:
    return build_hitl_graph(
        BlockRuleModel(), [approval_tool(send_email, **options), human_assistance_tool()]
    ).compile()


mail = _graph(allowed_decisions=["approve", "edit", "reject"])
respond = _graph(allowed_decisions=["approve", "edit", "reject", "respond"])
restricted = _graph(allowed_decisions=["approve", "edit", "reject"], reviewers={"alice"})

auth = Auth()


@auth.authenticate
async def authenticate(authorization: str | None) -> Auth.types.MinimalUserDict:
    """The bearer token is the identity; without one the request is refused."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Auth.exceptions.HTTPException(status_code=401, detail="Bearer token required.")
    return {"identity": token, "is_authenticated": True}
