"""Shared fixtures: every checkpointer-dependent test runs on memory, SQLite and PostgreSQL.

PostgreSQL is a real server: `make pytest` (scripts/with-postgres.sh) starts one and sets
LANGGRAPH_HITL_TEST_POSTGRES_URL. Each test gets a database of its own, so listings across
threads see only that test's threads.
"""

from __future__ import annotations

import os
import uuid
from typing import TYPE_CHECKING, Any

import pytest
from langgraph.checkpoint.memory import InMemorySaver

from langgraph_hitl import aopen_checkpointer, open_checkpointer

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator
    from pathlib import Path

    from langchain_core.runnables import RunnableConfig
    from langgraph.checkpoint.base import BaseCheckpointSaver

POSTGRES_ENV = "LANGGRAPH_HITL_TEST_POSTGRES_URL"
BACKENDS = ["memory", "sqlite", "postgres"]


def _admin_url() -> str:
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        if os.environ.get("CI"):
            pytest.fail(f"{POSTGRES_ENV} is not set: run the tests with `make test`.")
        pytest.skip(f"no PostgreSQL server: set {POSTGRES_ENV} or run `make test`")
    return url


def _with_db(url: str, name: str) -> str:
    base, sep, query = url.partition("?")
    head = base.rsplit("/", 1)[0]
    return f"{head}/{name}{sep}{query}"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty database on the test PostgreSQL server; dropped afterwards."""
    import psycopg

    admin = _admin_url()
    name = f"t_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _with_db(admin, name)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str | None:
    """The URL of an empty store per backend (None for the in-memory saver)."""
    if request.param == "memory":
        return None
    if request.param == "sqlite":
        return str(tmp_path / "checkpoints.db")
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def checkpointer(db_url: str | None) -> Iterator[BaseCheckpointSaver[Any]]:
    """A sync checkpointer: InMemorySaver, SqliteSaver, PostgresSaver."""
    if db_url is None:
        yield InMemorySaver()
        return
    with open_checkpointer(db_url) as saver:
        yield saver


@pytest.fixture
async def async_checkpointer(db_url: str | None) -> AsyncIterator[BaseCheckpointSaver[Any]]:
    """An async checkpointer: InMemorySaver, AsyncSqliteSaver, AsyncPostgresSaver."""
    if db_url is None:
        yield InMemorySaver()
        return
    async with aopen_checkpointer(db_url) as saver:
        yield saver


@pytest.fixture
def config() -> RunnableConfig:
    """A config for a new thread."""
    return {"configurable": {"thread_id": f"thread-{uuid.uuid4().hex[:8]}"}}
