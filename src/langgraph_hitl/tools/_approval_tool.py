"""The approval tool as LangChain runs it: a `BaseTool` that drives one `Gate` plan per call.

`invoke` and `ainvoke` differ only in the driver (`run_effect` or `arun_effect`); what a
call does is `Gate.calling`. `superseded_message` closes a waiting call that the user's
new message made moot (see `build_hitl_graph`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from langchain_core.messages import ToolMessage
from langchain_core.tools import BaseTool
from pydantic import PrivateAttr

from ..core._plan import adrive, drive
from ._effects import arun_effect, run_effect

if TYPE_CHECKING:
    from collections.abc import Mapping

    from langchain_core.messages.tool import ToolCall
    from langchain_core.runnables import RunnableConfig
    from langchain_core.tools.base import ArgsSchema
    from langchain_core.utils.pydantic import TypeBaseModel

    from ._approval_gate import Gate

__all__ = ["SUPERSEDED", "ApprovalTool", "superseded_message"]


class ApprovalTool(BaseTool):
    """The wrapped tool, as the model sees it, behind a reviewer's decision."""

    _gate: Gate = PrivateAttr()

    @classmethod
    def guarding(cls, gate: Gate) -> ApprovalTool:
        """The approval tool of `gate`, with its wrapped tool's name, description and schema."""
        tool = gate.tool
        guarded = cls(
            name=tool.name,
            description=tool.description,
            args_schema=tool.args_schema,
            return_direct=tool.return_direct,
            tags=tool.tags,
            metadata=tool.metadata,
        )
        guarded._gate = gate
        return guarded

    @property
    def tool_call_schema(self) -> ArgsSchema:
        return self._gate.tool.tool_call_schema

    def get_input_schema(self, config: RunnableConfig | None = None) -> TypeBaseModel:
        return self._gate.tool.get_input_schema(config)

    def invoke(
        self,
        input: str | dict[str, Any] | ToolCall,
        config: RunnableConfig | None = None,
        **kwargs: Any,
    ) -> Any:
        return drive(self._gate.calling(input, config, kwargs), run_effect)

    async def ainvoke(
        self,
        input: str | dict[str, Any] | ToolCall,
        config: RunnableConfig | None = None,
        **kwargs: Any,
    ) -> Any:
        return await adrive(self._gate.calling(input, config, kwargs), arun_effect)

    def _run(self, *args: Any, **kwargs: Any) -> Any:
        # `run()` gets parsed arguments without the tool call a reviewer decides about.
        raise TypeError(
            f"Approval tool {self.name!r} runs from a tool call: use invoke() or ainvoke() "
            "with {'type': 'tool_call', 'name': ..., 'args': {...}, 'id': ...}."
        )


SUPERSEDED = (
    "The user sent a new message before this tool call was decided, so it was not executed: "
    "the new message supersedes it. Do not retry it unless the user asks again."
)
"""The result of a waiting call that the user's new message closed (see `build_hitl_graph`)."""


def superseded_message(
    tool: BaseTool | None, call: ToolCall, request: Mapping[str, Any] | None = None
) -> ToolMessage:
    """The tool message closing `call`, with an audit record when `tool` is an approval tool.

    `request`: what the call published last (its votes go into the audit record).
    """
    if isinstance(tool, ApprovalTool):
        return tool._gate.superseded(call, SUPERSEDED, request)
    return ToolMessage(
        content=SUPERSEDED, name=call["name"], tool_call_id=str(call["id"]), status="error"
    )
