"""The installed version of langgraph-hitl, read once from the package metadata."""

from __future__ import annotations

from importlib.metadata import version

__all__ = ["VERSION"]

VERSION: str = version("langgraph-hitl")
