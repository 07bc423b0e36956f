"""langgraph-hitl: typed, safe human-in-the-loop for LangGraph.

Tools that pause for a human, a graph builder that enforces one tool call per step,
and resume helpers that validate every answer before anything is sent.
"""

from ._builder import HITLState, ParallelToolCallsPolicy, build_hitl_graph
from ._errors import (
    AmbiguousResumeError,
    CheckpointerRequiredError,
    FieldError,
    HITLError,
    InvalidResumeError,
    NoPendingInterruptError,
    ParallelToolCallsError,
    ResumeConflictError,
    ScriptExhaustedError,
    UnknownInterruptError,
)
from ._human import HumanAssistanceRequest, HumanReply, OnReply, human_assistance_tool
from ._pending import PendingInterrupt, apending_interrupts, pending_interrupts
from ._resume import aresume, resume, resume_command

__all__ = [
    # Tools that pause for a human
    "HumanAssistanceRequest",
    "HumanReply",
    "OnReply",
    "human_assistance_tool",
    # Building graphs
    "HITLState",
    "ParallelToolCallsPolicy",
    "build_hitl_graph",
    # Reading and answering what waits
    "PendingInterrupt",
    "apending_interrupts",
    "aresume",
    "pending_interrupts",
    "resume",
    "resume_command",
    # Errors
    "AmbiguousResumeError",
    "CheckpointerRequiredError",
    "FieldError",
    "HITLError",
    "InvalidResumeError",
    "NoPendingInterruptError",
    "ParallelToolCallsError",
    "ResumeConflictError",
    "ScriptExhaustedError",
    "UnknownInterruptError",
]
