"""Python 3.10: what code that pauses needs to run in an async graph.

`interrupt()` and `get_config()` find the running node's config in a context variable,
which LangGraph sets in the node's own asyncio task: asyncio allows that from Python 3.11
on. On 3.10, in `ainvoke` and `astream`, a node (sync or async) must take `config` and
make it the current one itself. On 3.11+ these helpers change nothing.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import TYPE_CHECKING, TypeVar

from langchain_core.runnables.config import var_child_runnable_config

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from langchain_core.runnables import RunnableConfig

__all__ = ["current_config", "takes_config"]

S = TypeVar("S")
R = TypeVar("R")


@contextmanager
def current_config(config: RunnableConfig) -> Iterator[None]:
    """Make `config` the one `interrupt()` and `get_config()` find (on Python 3.10)."""
    if sys.version_info >= (3, 11):
        yield
        return
    token = var_child_runnable_config.set(config)
    try:
        yield
    finally:
        var_child_runnable_config.reset(token)


def takes_config(node: Callable[[S], R]) -> Callable[..., R]:
    """`node`, able to pause in an async run on Python 3.10 too (itself on 3.11+)."""
    if sys.version_info >= (3, 11):
        return node

    def run(state: S, config: RunnableConfig) -> R:
        with current_config(config):
            return node(state)

    return run
