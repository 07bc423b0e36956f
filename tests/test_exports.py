"""The public names are a contract: nothing leaks into `__all__` or vanishes from it."""

from __future__ import annotations

import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

import langgraph_hitl
import langgraph_hitl.notify
import langgraph_hitl.testing
import langgraph_hitl.web

if TYPE_CHECKING:
    from types import ModuleType

PUBLIC = {
    langgraph_hitl: {
        "__version__",
        # Tools that pause for a human
        "HumanAssistanceRequest",
        "HumanReply",
        "InboxActionRequest",
        "InboxConfig",
        "OnReply",
        "human_assistance_tool",
        # Approvals
        "AnswerShape",
        "ApprovalActionRequest",
        "ApprovalDescription",
        "ApprovalReviewConfig",
        "ApprovalWhen",
        "Approve",
        "AuditRecord",
        "AuditSource",
        "Decision",
        "DecisionType",
        "Edit",
        "EditedAction",
        "Reject",
        "Respond",
        "ToolApprovalRequest",
        "aaudit_trail",
        "approval_tool",
        "audit_trail",
        # Building graphs
        "HITLInput",
        "HITLState",
        "NewInputPolicy",
        "ParallelToolCallsPolicy",
        "build_hitl_graph",
        # Reading and answering what waits
        "PendingInterrupt",
        "apending_interrupts",
        "aresume",
        "aresume_command",
        "pending_interrupts",
        "resume",
        "resume_command",
        # Across threads
        "Inbox",
        "Page",
        "ProgressCallback",
        "RemoteInbox",
        "TIMEOUT_REVIEWER",
        "aopen_checkpointer",
        "open_checkpointer",
        # Errors
        "AmbiguousResumeError",
        "CheckpointerRequiredError",
        "DatabaseURLError",
        "DatabaseUnavailableError",
        "DeliveryError",
        "FieldError",
        "HITLError",
        "InvalidChannelError",
        "InvalidHistoryError",
        "InvalidCursorError",
        "InvalidResumeError",
        "NoPendingInterruptError",
        "ParallelToolCallsError",
        "RequestExpiredError",
        "RequestsWaitingError",
        "ResumeConflictError",
        "ResumeFailedError",
        "ReviewersConfigError",
        "RunFailedError",
        "ScriptExhaustedError",
        "ServerError",
        "SwallowedInterruptError",
        "TimeoutTooEarlyError",
        "UnknownInterruptError",
        "UpstreamChangedError",
    },
    langgraph_hitl.testing: {
        "FakeClock",
        "InterruptWatch",
        "InvalidHistoryError",
        "ModelCall",
        "ScriptExhaustedError",
        "ScriptedChatModel",
        "SwallowedInterrupt",
        "SwallowedInterruptError",
        "ai_tool_calls",
        "detect_swallowed_interrupts",
        "use_clock",
    },
    langgraph_hitl.web: {"LOOPBACK_HOSTS", "create_app"},
    langgraph_hitl.notify: {
        "Channel",
        "Delivery",
        "DeliveryError",
        "Email",
        "EventName",
        "InvalidChannelError",
        "NotificationEvent",
        "Outcome",
        "OutcomeStatus",
        "SIGNATURE_HEADER",
        "Slack",
        "SweepOptions",
        "SweepResult",
        "TIMESTAMP_HEADER",
        "Webhook",
        "afailed_deliveries",
        "asweep",
        "failed_deliveries",
        "idempotency_key",
        "sign",
        "sweep",
        "verify_signature",
    },
}


@pytest.mark.parametrize("module", list(PUBLIC), ids=lambda m: m.__name__)
def test_all_is_exactly_the_public_names(module: ModuleType) -> None:
    exported = list(module.__all__)
    assert len(exported) == len(set(exported)), "a name is listed twice"
    assert set(exported) == PUBLIC[module]
    for name in exported:
        assert getattr(module, name) is not None


def test_every_error_is_an_hitl_error_and_a_builtin() -> None:
    exported = [getattr(langgraph_hitl, name) for name in langgraph_hitl.__all__]
    errors = [
        obj
        for obj in exported
        if isinstance(obj, type)
        and issubclass(obj, Exception)
        and obj is not langgraph_hitl.HITLError
    ]
    assert len(errors) >= 12
    for error in errors:
        assert issubclass(error, langgraph_hitl.HITLError)
        assert issubclass(error, (ValueError, TypeError, RuntimeError, LookupError, ImportError)), (
            error
        )
    assert langgraph_hitl.core._errors.__doc__ is not None
    for error in errors:
        assert error.__name__ in langgraph_hitl.core._errors.__doc__, f"{error} not in the tree"


def test_the_core_does_not_import_the_web_stack() -> None:
    code = "import sys, langgraph_hitl; print('starlette' in sys.modules, 'uvicorn' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.split() == ["False", "False"]


def test_version_is_the_installed_distributions() -> None:
    from importlib.metadata import version

    assert langgraph_hitl.__version__ == version("langgraph-hitl")
    assert langgraph_hitl.__version__.count(".") >= 2
