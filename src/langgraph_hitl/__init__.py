"""langgraph-hitl: typed, safe human-in-the-loop for LangGraph.

Tools that pause for a human, a graph builder that enforces one tool call per step,
and resume helpers that validate every answer before anything is sent.
"""

from importlib.metadata import version as _version

from . import _compat as _compat  # checks the upstream private details first, loudly
from ._approval import (
    ApprovalActionRequest,
    ApprovalDescription,
    ApprovalReviewConfig,
    ApprovalWhen,
    ToolApprovalRequest,
    approval_tool,
)
from ._audit import (
    AuditRecord,
    AuditSource,
    EscalationRecord,
    Vote,
    aaudit_trail,
    audit_trail,
)
from ._builder import (
    HITLInput,
    HITLState,
    NewInputPolicy,
    ParallelToolCallsPolicy,
    build_hitl_graph,
)
from ._checkpointers import aopen_checkpointer, open_checkpointer
from ._deadline import TIMEOUT_REVIEWER
from ._decisions import Approve, Decision, DecisionType, Edit, EditedAction, Reject, Respond
from ._errors import (
    AmbiguousResumeError,
    ApprovalPolicyError,
    CheckpointerRequiredError,
    DatabaseUnavailableError,
    DatabaseURLError,
    DeliveryError,
    FieldError,
    HITLError,
    InvalidChannelError,
    InvalidCursorError,
    InvalidHistoryError,
    InvalidResumeError,
    NoPendingInterruptError,
    ParallelToolCallsError,
    RequestExpiredError,
    RequestsWaitingError,
    ResumeConflictError,
    ResumeFailedError,
    ReviewersConfigError,
    RunFailedError,
    ScriptExhaustedError,
    ServerError,
    SwallowedInterruptError,
    TimeoutTooEarlyError,
    UnknownInterruptError,
    UpstreamChangedError,
)
from ._human import (
    HumanAssistanceRequest,
    HumanReply,
    InboxActionRequest,
    InboxConfig,
    OnReply,
    human_assistance_tool,
)
from ._inbox import Inbox, Page, ProgressCallback
from ._pending import PendingInterrupt, apending_interrupts, pending_interrupts
from ._policy import Escalate, RequestedBy
from ._remote import RemoteInbox
from ._resume import aresume, aresume_command, resume, resume_command
from ._shapes import AnswerShape

__version__: str = _version("langgraph-hitl")
"""The installed version of langgraph-hitl (from the package metadata)."""

__all__ = [
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
    "Escalate",
    "EscalationRecord",
    "Reject",
    "RequestedBy",
    "Respond",
    "ToolApprovalRequest",
    "Vote",
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
    # Across threads: the inbox, deadlines, durable checkpointers
    "Inbox",
    "Page",
    "ProgressCallback",
    "RemoteInbox",
    "TIMEOUT_REVIEWER",
    "aopen_checkpointer",
    "open_checkpointer",
    # Errors
    "AmbiguousResumeError",
    "ApprovalPolicyError",
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
]
