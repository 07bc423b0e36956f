"""A deployment with an `auth` handler, and the errors of a server that cannot be used."""

from __future__ import annotations

import inspect
import uuid
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from server_support import (
    Reviewer,
    Server,
    ai_message,
    cli,
    counted_connects,
    free_port,
    serve,
    tool_call,
)

from langgraph_hitl import Inbox, ServerError
from langgraph_hitl.cli._main import build_parser
from langgraph_hitl.cli._remote import remote_inbox
from langgraph_hitl.inbox._remote import RemoteInbox
from langgraph_hitl.inbox._remote_io import SDK_RETRIES

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with serve(tmp_path_factory.mktemp("auth"), auth=True) as running:
        yield running


def test_the_server_passes_the_reviewers_identity_to_the_run(server: Server) -> None:
    thread_id = server.start("whoami", ai_message(tool_call("human_assistance", query="Ok?")))
    with Inbox.from_server(server.url, api_key="key-bob") as bob:
        (item,) = bob.pending(thread_id=thread_id)
        output = bob.resume(thread_id, {item.id: {"data": "Yes"}})
    assert output.value["messages"][-1]["content"] == "Yes (answered by bob)"
    assert server.effects(tool="whoami") == [{"tool": "whoami", "answer": "Yes", "user": "bob"}]


def test_a_wrong_api_key_is_one_clear_error(server: Server) -> None:
    thread_id = server.start("human", ai_message(tool_call("human_assistance", query="?")))
    for key in ("key-mallory", None):
        with Inbox.from_server(server.url, api_key=key) as inbox:
            with pytest.raises(ServerError, match="refused the credentials") as refused:
                inbox.pending()
            assert refused.value.status_code in (401, 403)
            with pytest.raises(ServerError, match="refused the credentials"):
                inbox.resume(thread_id, {"data": "sneaky"})
    with Inbox.from_server(server.url, api_key="key-alice") as alice:
        assert [i.thread_id for i in alice.pending(thread_id=thread_id)] == [thread_id]


def test_an_unknown_assistant_names_the_graphs_there_are(server: Server) -> None:
    for name in ("no-such-graph", str(uuid.uuid4())):
        with Inbox.from_server(server.url, assistant_id=name, api_key="key-alice") as inbox:
            with pytest.raises(ServerError, match=f"no assistant '{name}'") as unknown:
                inbox.pending()
            assert "'approval'" in str(unknown.value)
            assert "'whoami'" in str(unknown.value)


def test_an_unreachable_server_is_one_clear_error() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with Inbox.from_server(url, retries=0) as inbox:
        with pytest.raises(ServerError, match="Cannot reach the LangGraph Server") as down:
            inbox.pending()
        assert down.value.status_code is None
        assert down.value.url == url
        with pytest.raises(ServerError, match="Cannot reach"):
            inbox.resume(str(uuid.uuid4()), {"data": "x"})


@pytest.mark.parametrize("retries", [0, 2])
def test_retries_is_how_often_a_refused_request_is_tried_again(retries: int) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with counted_connects(port) as counted, Inbox.from_server(url, retries=retries) as inbox:
        with pytest.raises(ServerError, match="Cannot reach"):
            inbox.pending()
        assert counted[port] == retries + 1


async def test_an_unreachable_server_async() -> None:
    port = free_port()
    with counted_connects(port) as counted:
        async with Inbox.from_server(f"http://127.0.0.1:{port}", retries=1) as inbox:
            with pytest.raises(ServerError, match="Cannot reach"):
                await inbox.apending()
        assert counted[port] == 2


def test_by_default_an_inbox_retries_as_the_sdk_does() -> None:
    assert SDK_RETRIES == 5
    assert Inbox.from_server("http://127.0.0.1:1").retries == SDK_RETRIES
    default = inspect.signature(Inbox.from_server).parameters["retries"].default
    assert default == inspect.signature(RemoteInbox).parameters["retries"].default == SDK_RETRIES
    args = build_parser().parse_args(["inbox", "--url", "http://127.0.0.1:1"])
    assert remote_inbox(args).retries == SDK_RETRIES
    args = build_parser().parse_args(["inbox", "--url", "http://127.0.0.1:1", "--retries", "0"])
    assert remote_inbox(args).retries == 0


@pytest.mark.parametrize("retries", [-1, 1.5, True, "3"])
def test_retries_that_are_no_count_are_refused(retries: Any) -> None:
    with pytest.raises(ValueError, match=r"retries must be an int of at least 0.*got"):
        Inbox.from_server("http://127.0.0.1:1", retries=retries)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--url", "http://127.0.0.1:1", "--retries", "-1"], "'-1' must be 0 or more"),
        (["--url", "http://127.0.0.1:1", "--retries", "many"], "'many' is not a whole number"),
    ],
)
def test_a_wrong_retries_option_is_one_line(args: list[str], says: str) -> None:
    done = cli("inbox", *args)
    assert done.returncode == 2, done
    assert says in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr


@pytest.mark.parametrize("url", ["127.0.0.1:2024", "", "ftp://host"])
def test_a_url_that_is_no_http_url_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match="http:// or https:// URL"):
        Inbox.from_server(url)


def test_an_empty_assistant_id_is_refused() -> None:
    with pytest.raises(ValueError, match="assistant_id"):
        Inbox.from_server("http://127.0.0.1:1", assistant_id="")


def test_the_command_line_takes_the_key_from_a_variable(server: Server) -> None:
    thread_id = server.start("human", ai_message(tool_call("human_assistance", query="Key?")))
    listed = cli(
        "inbox", "--url", server.url, "--api-key-env", "HITL_KEY", env={"HITL_KEY": "key-bob"}
    )
    assert listed.returncode == 0, listed.stderr
    assert thread_id in listed.stdout

    refused = cli(
        "inbox", "--url", server.url, "--api-key-env", "HITL_KEY", env={"HITL_KEY": "nope"}
    )
    assert refused.returncode == 2
    assert "Traceback" not in refused.stderr
    (line,) = refused.stderr.strip().splitlines()
    assert "refused the credentials (HTTP 401)" in line


def test_serve_passes_its_api_key_through_so_the_server_names_who_answered(
    server: Server,
) -> None:
    thread_id = server.start("whoami", ai_message(tool_call("human_assistance", query="Web?")))
    key = {"HITL_KEY": "key-bob"}
    with Reviewer("--url", server.url, "--api-key-env", "HITL_KEY", env=key) as web:
        listed = httpx.get(f"{web.url}/api/pending", params={"thread_id": thread_id}, timeout=60)
        (item,) = listed.json()["pending"]
        answered = httpx.post(
            f"{web.url}/api/threads/{thread_id}/resume",
            json={"interrupt_id": item["interrupt_id"], "answer": {"data": "Via the web"}},
            timeout=120,
        )
    assert answered.status_code == 200, answered.text
    assert [m["text"] for m in answered.json()["new_messages"]] == ["Via the web (answered by bob)"]
    assert server.effects(tool="whoami", answer="Via the web") == [
        {"tool": "whoami", "answer": "Via the web", "user": "bob"}
    ]


def test_serve_refuses_to_start_with_a_wrong_or_missing_key_in_one_line(server: Server) -> None:
    port = str(free_port())
    for env in ({"HITL_KEY": "key-mallory"}, None):
        args = ["serve", "--url", server.url, "--port", port]
        done = cli(*args, *(["--api-key-env", "HITL_KEY"] if env else []), env=env)
        assert done.returncode == 2, done
        assert "Traceback" not in done.stderr
        (line,) = done.stderr.strip().splitlines()
        assert "refused the credentials (HTTP 401)" in line, line
