"""An e-mail agent that asks a human before anything is sent. Runs offline.

The model is scripted (`ScriptedChatModel`), so this runs without an API key: swap in any
chat model that supports tool calling (e.g. `init_chat_model("anthropic:claude-sonnet-4-5")`)
and the rest stays the same.

    python examples/email_approval.py
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from langgraph.checkpoint.memory import InMemorySaver

from langgraph_hitl import (
    Approve,
    Edit,
    EditedAction,
    approval_tool,
    audit_trail,
    build_hitl_graph,
    pending_interrupts,
    resume,
)
from langgraph_hitl.testing import ScriptedChatModel, ai_tool_calls

if TYPE_CHECKING:
    from langchain_core.runnables import RunnableConfig

OUTBOX: list[dict[str, str]] = []
"""What was really sent: the side effect a reviewer guards."""


def send_email(to: str, subject: str, body: str) -> str:
    """Send an e-mail."""
    OUTBOX.append({"to": to, "subject": subject, "body": body})
    return f"E-mail {subject!r} sent to {to}."


def describe(args: dict[str, Any]) -> str:
    return f"Send {args['subject']!r} to {args['to']}?"


def main() -> None:
    """Pause on each e-mail, approve one, correct the other, and print the audit trail."""
    model = ScriptedChatModel(
        responses=[
            ai_tool_calls(
                (
                    "send_email",
                    {"to": "ada@example.com", "subject": "Review", "body": "Friday 10:00?"},
                ),
                (
                    "send_email",
                    {"to": "bob@exmaple.com", "subject": "Review", "body": "Friday 10:00?"},
                ),
            ),
            "Both invitations are out.",
        ]
    )
    guarded = approval_tool(
        send_email,
        allowed_decisions=["approve", "edit", "reject"],
        description=describe,
        reviewers={"ann"},
        # Only mail leaving the company needs a reviewer; decided from the arguments alone,
        # so it gives the same answer when the run resumes.
        when=lambda args: not str(args["to"]).endswith("@corp.example"),
    )
    graph = build_hitl_graph(model, [guarded], on_parallel_tool_calls="sequential").compile(
        checkpointer=InMemorySaver()
    )
    config: RunnableConfig = {"configurable": {"thread_id": "invitations"}}

    graph.invoke({"messages": [{"role": "user", "content": "Invite Ada and Bob."}]}, config)
    decisions = [
        Approve(reviewer="ann"),
        # The model mistyped Bob's domain: the reviewer fixes it rather than rejecting.
        Edit(
            reviewer="ann",
            edited_action=EditedAction(
                name="send_email",
                args={"to": "bob@example.com", "subject": "Review", "body": "Friday 10:00?"},
            ),
        ),
    ]
    for decision in decisions:
        (request,) = pending_interrupts(graph, config)
        print(f"waiting: {request.value['description']} (tool call {request.tool_call_id})")
        print(f"  {decision.reviewer} decides: {decision.type}")
        out = resume(graph, config, decision)

    print(f"agent: {out.value['messages'][-1].content}")
    print(f"sent: {', '.join(mail['to'] for mail in OUTBOX)}")
    print("audit trail:")
    for record in audit_trail(graph, config):
        print(
            f"  {record.decided_at:%H:%M:%S} {record.reviewer} {record.decision} "
            f"{record.tool}({record.original_args['to']}) -> ran with {record.executed_args}"
        )


if __name__ == "__main__":
    main()
