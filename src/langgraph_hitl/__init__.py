"""langgraph-hitl: typed, safe human-in-the-loop for LangGraph.

Tools that pause for a human, a graph builder that enforces one tool call per step,
and resume helpers that validate every answer before anything is sent.
"""

from .answers._audit import (
    AuditRecord,
    AuditSource,
    EscalationRecord,
    Vote,
    aaudit_trail,
    audit_trail,
)
from .answers._deadline import TIMEOUT_REVIEWER
from .answers._decisions import (
    Approve,
    Decision,
    DecisionType,
    Edit,
    EditedAction,
    Reject,
    Respond,
)
from .answers._resume import aresume, aresume_command, resume, resume_command
from .core import _compat as _compat
from .core._errors import (
    AmbiguousResumeError,
    ApprovalPolicyError,
    CheckpointerRequiredError,
    DatabaseUnavailableError,
    DatabaseURLError,
    DeliveryError,
    FieldError,
    GraphSpecError,
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
from .core._pending import PendingInterrupt, apending_interrupts, pending_interrupts
from .core._shapes import AnswerShape
from .core._version import VERSION
from .graph._builder import (
    HITLInput,
    HITLState,
    NewInputPolicy,
    ParallelToolCallsPolicy,
    build_hitl_graph,
)
from .graph._checkpointers import aopen_checkpointer, open_checkpointer
from .inbox._inbox import Inbox, Page
from .inbox._progress import ProgressCallback
from .inbox._remote import RemoteInbox
from .tools._approval import approval_tool
from .tools._human import (
    HumanAssistanceRequest,
    HumanReply,
    InboxActionRequest,
    InboxConfig,
    OnReply,
    human_assistance_tool,
)
from .tools._policy import Escalate, RequestedBy
from .tools._requests import (
    ApprovalActionRequest,
    ApprovalDescription,
    ApprovalReviewConfig,
    ApprovalWhen,
    ToolApprovalRequest,
)

__version__: str = VERSION
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
    "GraphSpecError",
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
