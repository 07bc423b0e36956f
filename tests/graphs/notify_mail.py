"""The mail agent of `mail.py` with deadlines, for the notification tests and processes.

`send_email` needs an approval within an hour (else it is rejected), and
`human_assistance` a reply within an hour. Used as GRAPH on the command line:
`tests/graphs/notify_mail.py:graph`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from langgraph_hitl import approval_tool, build_hitl_graph, human_assistance_tool

from .mail import RuleModel, send_email

DEADLINE = timedelta(hours=1)


def make_graph() -> Any:
    """The uncompiled graph; each process compiles it with its own checkpointer."""
    return build_hitl_graph(
        RuleModel(),
        [
            approval_tool(
                send_email,
                description=lambda args: f"Send {args['subject']!r} to {args['to']}?",
                timeout=DEADLINE,
            ),
            human_assistance_tool(timeout=DEADLINE),
        ],
    )


graph = make_graph()
