"""Agent Chat UI's and Agent Inbox's payloads, through a real `langgraph dev` and both SDKs.

One server for the module (tests/langgraph_dev.py) serves the graphs of
tests/graphs/ui_clients.py with custom auth (the bearer token is the user). Each answer is
sent exactly as the client sends it, with `langgraph_sdk` (Python) and with
`@langchain/langgraph-sdk` (JS, run by node); e-mails are counted in the server's outbox.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest
from langgraph_dev import DevServer, dev_server, js_sdk, run_js
from langgraph_sdk import get_sync_client

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping
    from pathlib import Path

    from langgraph_sdk.client import SyncLangGraphClient

ARGS = {"to": "ada@example.com", "subject": "Build"}
SDKS = ["python", "js"]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevServer]:
    graphs = {name: f"graphs.ui_clients:{name}" for name in ("mail", "respond", "restricted")}
    with dev_server(
        tmp_path_factory.mktemp("langgraph-dev"), graphs=graphs, auth="graphs.ui_clients:auth"
    ) as running:
        yield running


@pytest.fixture(scope="module")
def sdk() -> Path:
    return js_sdk()


_CLIENTS: dict[tuple[str, str], SyncLangGraphClient] = {}


@pytest.fixture(scope="module", autouse=True)
def _close_clients() -> Iterator[None]:
    yield
    for client in _CLIENTS.values():
        client.close()
    _CLIENTS.clear()


def _client(server: DevServer, user: str = "ann") -> SyncLangGraphClient:
    """The Python SDK's client for `user` (one per user, closed with the module)."""
    key = (server.url, user)
    if key not in _CLIENTS:
        _CLIENTS[key] = get_sync_client(url=server.url, headers={"Authorization": f"Bearer {user}"})
    return _CLIENTS[key]


def _paused(server: DevServer, graph: str, tool: str = "send_email", **args: Any) -> str:
    """A new thread whose model called `tool`; its id, once it waits for the answer."""
    client = _client(server)
    thread = client.threads.create()
    text = json.dumps({"tool": tool, "args": args or ARGS})
    messages: list[Mapping[str, Any]] = [{"role": "user", "content": text}]
    client.runs.wait(thread["thread_id"], graph, input={"messages": messages})
    assert client.threads.get(thread["thread_id"])["status"] == "interrupted"
    return str(thread["thread_id"])


def _answer(
    server: DevServer,
    sdk_name: str,
    thread_id: str,
    graph: str,
    resume: object,
    *,
    client: str,
    user: str = "ann",
    js: Path | None = None,
) -> list[Any]:
    """Send `resume` as `client` does; the run's errors (empty when it was applied)."""
    if sdk_name == "js":
        assert js is not None
        report = run_js(
            js,
            {
                "url": server.url,
                "token": user,
                "threadId": thread_id,
                "assistantId": graph,
                "client": client,
                "resume": resume,
            },
        )
        assert report["before"], "the JS client saw the waiting request"
        errors: list[Any] = report["errors"]
        return errors
    sync = _client(server, user)
    if client == "plain":
        out = sync.runs.wait(thread_id, graph, command={"resume": resume}, raise_error=False)
        return [out["__error__"]] if isinstance(out, dict) and "__error__" in out else []
    if client == "agent-chat-ui":
        parts = sync.runs.stream(
            thread_id, graph, input={}, command={"resume": resume}, stream_mode=["values"]
        )
    else:
        parts = sync.runs.stream(thread_id, graph, command={"resume": resume})
    return [part.data for part in parts if part.event == "error"]


def _state(server: DevServer, thread_id: str) -> dict[str, Any]:
    state: dict[str, Any] = dict(_client(server).threads.get_state(thread_id))
    return state


def _audit(server: DevServer, thread_id: str) -> list[dict[str, Any]]:
    messages = _state(server, thread_id)["values"]["messages"]
    return [
        m["artifact"]["hitl_audit"]
        for m in messages
        if m["type"] == "tool" and isinstance(m.get("artifact"), dict)
    ]


def _sent_to(server: DevServer, to: str) -> list[dict[str, Any]]:
    return [mail for mail in server.sent() if mail["to"] == to]


def _unique(name: str, sdk_name: str, client: str) -> str:
    """An address only this case uses, so cases count their own e-mails."""
    return f"{name}.{sdk_name}.{client}@example.com"


# --- What the clients see ----------------------------------------------------------------


def test_the_request_carries_what_both_clients_look_for(server: DevServer) -> None:
    thread_id = _paused(server, "mail")
    (interrupt,) = _state(server, thread_id)["interrupts"]
    value = interrupt["value"]
    assert [a["name"] for a in value["action_requests"]] == ["send_email"]
    assert value["action_requests"][0]["args"] == value["action_requests"][0]["arguments"]
    assert value["review_configs"][0]["allowed_decisions"] == ["approve", "edit", "reject"]
    # LangChain per-call clients read the same keys as before.
    assert (value["type"], value["name"], value["args"]) == ("tool_approval", "send_email", ARGS)


# --- Agent Chat UI: approve, edit, reject ------------------------------------------------


@pytest.mark.parametrize("sdk_name", SDKS)
def test_agent_chat_ui_approve_edit_and_reject(server: DevServer, sdk: Path, sdk_name: str) -> None:
    approve_to = _unique("approve", sdk_name, "chat")
    thread_id = _paused(server, "mail", to=approve_to, subject="Build")
    errors = _answer(
        server,
        sdk_name,
        thread_id,
        "mail",
        {"decisions": [{"type": "approve"}]},
        client="agent-chat-ui",
        js=sdk,
    )
    assert errors == []
    assert len(_sent_to(server, approve_to)) == 1
    assert [(r["decision"], r["answer_shape"]) for r in _audit(server, thread_id)] == [
        ("approve", "decisions")
    ]

    edit_to = _unique("edit", sdk_name, "chat")
    thread_id = _paused(server, "mail")
    edit = {
        "type": "edit",
        "edited_action": {
            "name": "send_email",
            "args": {"to": edit_to, "subject": "Build", "copies": "2"},
        },
    }
    assert (
        _answer(
            server,
            sdk_name,
            thread_id,
            "mail",
            {"decisions": [edit]},
            client="agent-chat-ui",
            js=sdk,
        )
        == []
    )
    assert _sent_to(server, edit_to) == [{"to": edit_to, "subject": "Build", "copies": 2}]
    (record,) = _audit(server, thread_id)
    assert record["executed_args"] == {"to": edit_to, "subject": "Build", "copies": 2}

    thread_id = _paused(server, "mail", to=_unique("reject", sdk_name, "chat"), subject="B")
    reject = {"type": "reject", "message": "Not now."}
    assert (
        _answer(
            server,
            sdk_name,
            thread_id,
            "mail",
            {"decisions": [reject]},
            client="agent-chat-ui",
            js=sdk,
        )
        == []
    )
    assert _sent_to(server, _unique("reject", sdk_name, "chat")) == []
    (record,) = _audit(server, thread_id)
    assert (record["decision"], record["message"]) == ("reject", "Not now.")
    assert _state(server, thread_id)["next"] == []


# --- Agent Inbox: accept, edit, response, ignore -----------------------------------------


@pytest.mark.parametrize("sdk_name", SDKS)
def test_agent_inbox_accept_edit_response_and_ignore(
    server: DevServer, sdk: Path, sdk_name: str
) -> None:
    accept_to = _unique("accept", sdk_name, "inbox")
    thread_id = _paused(server, "mail", to=accept_to, subject="Build")
    accept = [{"type": "accept", "args": None}]
    assert _answer(server, sdk_name, thread_id, "mail", accept, client="agent-inbox", js=sdk) == []
    assert len(_sent_to(server, accept_to)) == 1

    edit_to = _unique("edit", sdk_name, "inbox")
    thread_id = _paused(server, "mail")
    # Values typed in Agent Inbox's form arrive as text.
    edit = [
        {
            "type": "edit",
            "args": {
                "action": "send_email",
                "args": {"to": edit_to, "subject": "Build", "copies": "3"},
            },
        }
    ]
    assert _answer(server, sdk_name, thread_id, "mail", edit, client="agent-inbox", js=sdk) == []
    assert _sent_to(server, edit_to) == [{"to": edit_to, "subject": "Build", "copies": 3}]
    (record,) = _audit(server, thread_id)
    assert (record["executed_args"]["copies"], record["answer_shape"]) == (3, "human_response")

    # "response" rejects where the tool takes no respond decision...
    thread_id = _paused(server, "mail")
    response = [{"type": "response", "args": "Ask Bob instead."}]
    assert (
        _answer(server, sdk_name, thread_id, "mail", response, client="agent-inbox", js=sdk) == []
    )
    (record,) = _audit(server, thread_id)
    assert (record["decision"], record["message"]) == ("reject", "Ask Bob instead.")
    # ... and responds where it does.
    thread_id = _paused(server, "respond")
    assert (
        _answer(server, sdk_name, thread_id, "respond", response, client="agent-inbox", js=sdk)
        == []
    )
    (record,) = _audit(server, thread_id)
    assert (record["decision"], record["message"]) == ("respond", "Ask Bob instead.")

    ignore_to = _unique("ignore", sdk_name, "inbox")
    thread_id = _paused(server, "mail", to=ignore_to, subject="Build")
    ignore = [{"type": "ignore", "args": None}]
    assert _answer(server, sdk_name, thread_id, "mail", ignore, client="agent-inbox", js=sdk) == []
    assert _sent_to(server, ignore_to) == []
    (record,) = _audit(server, thread_id)
    assert record["decision"] == "reject"
    assert "dismissed" in record["message"]


@pytest.mark.parametrize("sdk_name", SDKS)
def test_agent_inbox_answers_human_assistance(server: DevServer, sdk: Path, sdk_name: str) -> None:
    thread_id = _paused(server, "mail", tool="human_assistance", query="Which city?")
    (interrupt,) = _state(server, thread_id)["interrupts"]
    assert interrupt["value"]["action_request"] == {
        "action": "human_assistance",
        "args": {"query": "Which city?"},
    }
    assert interrupt["value"]["config"]["allow_respond"] is True
    answer = [{"type": "response", "args": "Paris."}]
    assert _answer(server, sdk_name, thread_id, "mail", answer, client="agent-inbox", js=sdk) == []
    messages = _state(server, thread_id)["values"]["messages"]
    assert [m["content"] for m in messages[-2:]] == ["Paris.", "Done: Paris."]


# --- Bad payloads leave the request answerable -------------------------------------------

BAD = {
    "no decision": ("agent-chat-ui", {"decisions": []}),
    "two decisions": ("agent-chat-ui", {"decisions": [{"type": "approve"}, {"type": "approve"}]}),
    "unknown argument": (
        "agent-chat-ui",
        {
            "decisions": [
                {
                    "type": "edit",
                    "edited_action": {"name": "send_email", "args": {**ARGS, "bcc": "x@evil.com"}},
                }
            ]
        },
    ),
    "text that is no number": (
        "agent-inbox",
        [{"type": "edit", "args": {"action": "send_email", "args": {**ARGS, "copies": "lots"}}}],
    ),
    "two responses": (
        "agent-inbox",
        [{"type": "accept", "args": None}, {"type": "ignore", "args": None}],
    ),
}


@pytest.mark.parametrize("sdk_name", SDKS)
@pytest.mark.parametrize("case", list(BAD))
def test_a_bad_payload_is_refused_and_the_request_stays_answerable(
    server: DevServer, sdk: Path, sdk_name: str, case: str
) -> None:
    client, payload = BAD[case]
    to = _unique(case.replace(" ", "-"), sdk_name, client)
    thread_id = _paused(server, "mail", to=to, subject="Build")
    before = _state(server, thread_id)

    errors = _answer(server, sdk_name, thread_id, "mail", payload, client=client, js=sdk)

    assert errors, f"{payload!r} was accepted"
    assert "ValidationError" in json.dumps(errors)
    after = _state(server, thread_id)
    assert after["checkpoint"] == before["checkpoint"]
    assert [i["id"] for i in after["interrupts"]] == [i["id"] for i in before["interrupts"]]
    assert _sent_to(server, to) == []
    good = (
        {"decisions": [{"type": "approve"}]}
        if client == "agent-chat-ui"
        else [{"type": "accept", "args": None}]
    )
    assert _answer(server, sdk_name, thread_id, "mail", good, client=client, js=sdk) == []
    assert len(_sent_to(server, to)) == 1


# --- Reviewer identity from LangGraph Server's auth --------------------------------------


@pytest.mark.parametrize("sdk_name", SDKS)
@pytest.mark.parametrize(
    ("client", "payload"),
    [
        ("agent-chat-ui", {"decisions": [{"type": "approve"}]}),
        ("agent-inbox", [{"type": "accept", "args": None}]),
        # A payload naming the allowed reviewer does not make bob that reviewer.
        ("plain", {"type": "approve", "reviewer": "alice"}),
    ],
    ids=["agent-chat-ui", "agent-inbox", "per-call naming alice"],
)
def test_the_authenticated_user_is_the_reviewer(
    server: DevServer, sdk: Path, sdk_name: str, client: str, payload: object
) -> None:
    to = _unique(f"auth-{client}", sdk_name, "restricted")
    thread_id = _paused(server, "restricted", to=to, subject="Build")
    before = _state(server, thread_id)

    refused = _answer(
        server, sdk_name, thread_id, "restricted", payload, client=client, user="bob", js=sdk
    )

    assert refused
    assert "reviewer" in json.dumps(refused)
    assert _state(server, thread_id)["checkpoint"] == before["checkpoint"]
    assert _sent_to(server, to) == []
    accepted = _answer(
        server, sdk_name, thread_id, "restricted", payload, client=client, user="alice", js=sdk
    )
    assert accepted == []
    assert len(_sent_to(server, to)) == 1
    (record,) = _audit(server, thread_id)
    assert record["reviewer"] == "alice"


@pytest.mark.parametrize("sdk_name", SDKS)
def test_a_langchain_per_call_answer_works_unchanged(
    server: DevServer, sdk: Path, sdk_name: str
) -> None:
    to = _unique("per-call", sdk_name, "plain")
    thread_id = _paused(server, "mail", to=to, subject="Build")
    assert (
        _answer(server, sdk_name, thread_id, "mail", {"type": "approve"}, client="plain", js=sdk)
        == []
    )
    assert len(_sent_to(server, to)) == 1
    (record,) = _audit(server, thread_id)
    assert record["answer_shape"] == "decision"
