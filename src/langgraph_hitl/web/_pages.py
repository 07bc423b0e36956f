"""The reviewer's HTML, built in Python: every piece of data goes through `html.escape`.

Text a reviewer reads goes through `visible_html` instead, which also shows hidden
characters (bidi controls, zero-width and control characters) as marked `<U+XXXX>` spans,
and a request or message with any is flagged. Form values (attributes, a textarea's text)
keep the exact value, so what is sent back is what was asked.

No JavaScript: the pages are plain forms, so they work in any browser and the app can
forbid scripts altogether in its Content-Security-Policy.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from html import escape
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from langchain_core.messages import AIMessage, BaseMessage, ToolMessage

from ..core._display import HIDDEN_WARNING, has_hidden, visible, visible_html
from ..tools._requests import approvals_text

if TYPE_CHECKING:
    from datetime import datetime

    from ..core._pending import PendingInterrupt
    from ._forms import Form, FormField
    from ._posted import FormInputError

__all__ = ["Card", "Chrome", "cards_html", "layout", "login_body", "messages_html", "when"]

_CSS = """
body{font-family:system-ui,sans-serif;margin:0;background:#f5f6f8;color:#1d2330}
header.top{background:#1d2330;color:#fff;padding:.6rem 1.2rem;display:flex;gap:1rem;
align-items:center}
header.top a{color:#fff}header.top .who{margin-left:auto}
main{max-width:60rem;margin:1rem auto;padding:0 1rem}
.banner{padding:.7rem 1rem;border-radius:6px;margin:.8rem 0}
.banner.error{background:#fde8e8;border:1px solid #e0a0a0}
.banner.ok{background:#e6f6ea;border:1px solid #9fd3ad}
section.request{background:#fff;border:1px solid #d5d9e0;border-radius:8px;padding:1rem;
margin:1rem 0}
section.request h2{margin:0 0 .3rem;font-size:1.15rem}
.meta{color:#5a6372;font-size:.9rem;display:flex;gap:1rem;flex-wrap:wrap}
.expired{color:#b00020;font-weight:600}
p.description{white-space:pre-wrap}
table.args{border-collapse:collapse;margin:.5rem 0}
table.args td{border:1px solid #e1e4ea;padding:.2rem .5rem;vertical-align:top}
pre{white-space:pre-wrap;word-break:break-word;margin:.3rem 0}
.field{margin:.5rem 0}.field label{display:block;font-weight:600}
.field input[type=text],.field textarea,.field select{width:100%;box-sizing:border-box;
padding:.35rem;font:inherit}
.field textarea{min-height:4rem}
.field small{color:#5a6372}
.field.invalid input,.field.invalid textarea,.field.invalid select{border:2px solid #b00020}
p.error{color:#b00020;margin:.2rem 0}
fieldset{border:1px solid #e1e4ea;border-radius:6px;margin:.6rem 0}
.buttons{display:flex;gap:.5rem;flex-wrap:wrap;margin-top:.7rem}
button{padding:.45rem .9rem;border-radius:5px;border:1px solid #8a93a3;background:#fff;
font:inherit;cursor:pointer}
button[value=approve],button[value=send]{background:#1d6b3a;color:#fff;border-color:#1d6b3a}
button[value=reject]{background:#8a1c1c;color:#fff;border-color:#8a1c1c}
.msg{background:#fff;border-left:4px solid #8a93a3;padding:.4rem .8rem;margin:.4rem 0}
.msg-ai{border-color:#2b5fb4}.msg-human{border-color:#1d6b3a}.msg-tool{border-color:#b07a12}
.msg .role{font-weight:600;font-size:.85rem;color:#5a6372}
.hidden-char{background:#ffe08a;color:#5a3b00;border:1px solid #b07a12;border-radius:3px;
font-family:monospace;font-size:.85em;padding:0 .15em}
.hidden-warning{background:#fff4d6;border:1px solid #b07a12;padding:.4rem .7rem;
border-radius:5px;font-weight:600}
"""


@dataclass(frozen=True, kw_only=True, slots=True)
class Chrome:
    """What every page shows around its body."""

    title: str
    inbox_url: str
    csrf: str
    reviewer: str | None = None
    logout_url: str | None = None


def layout(
    chrome: Chrome, heading: str, body: str, *, banner: str = "", banner_kind: str = "error"
) -> str:
    """A whole page."""
    who = ""
    if chrome.reviewer is not None and chrome.logout_url is not None:
        who = (
            '<span class="who">Signed in as '
            f"<strong>{visible_html(chrome.reviewer)}</strong></span>"
            f'<form method="post" action="{escape(chrome.logout_url)}">'
            f'<input type="hidden" name="csrf" value="{escape(chrome.csrf)}">'
            '<button type="submit">Sign out</button></form>'
        )
    shown = (
        f'<div class="banner {escape(banner_kind)}" role="alert" id="banner">'
        f"{visible_html(banner)}</div>"
        if banner
        else ""
    )
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(visible(heading))} - {escape(visible(chrome.title))}</title>"
        f"<style>{_CSS}</style></head>"
        f'<body><header class="top"><a href="{escape(chrome.inbox_url)}"><strong>'
        f"{visible_html(chrome.title)}</strong></a>{who}</header><main><h1>{visible_html(heading)}</h1>"
        f"{shown}{body}</main></body></html>"
    )


def when(moment: datetime | None, now: datetime) -> str:
    """`moment` relative to `now`, e.g. `"3 min ago"` or `"in 2 h"`."""
    if moment is None:
        return "unknown"
    seconds = (moment - now).total_seconds()
    span = abs(seconds)
    if span < 60:
        text = f"{int(span)} s"
    elif span < 3600:
        text = f"{int(span // 60)} min"
    elif span < 86400:
        text = f"{int(span // 3600)} h"
    else:
        text = f"{int(span // 86400)} d"
    return f"in {text}" if seconds > 0 else f"{text} ago"


@dataclass(kw_only=True, slots=True)
class Card:
    """One pending request, with its form (and the reviewer's input after a refusal)."""

    item: PendingInterrupt
    form: Form
    values: Mapping[str, str] = field(default_factory=dict)
    problems: FormInputError | None = None
    notify_failed: str | None = None
    """Why its notification failed for good (`langgraph_hitl.notify`), if it did."""


def _input(card: Card, f: FormField) -> str:
    uid = escape(f"{card.item.id}-{f.name}")
    name = escape(f.name)
    current = card.values.get(f.name) if card.problems is not None else None
    text = f.initial if current is None else current
    errors = card.problems.errors if card.problems is not None else {}
    aria = ""
    if f.name in errors:
        # autofocus scrolls the page to the first field to fix, with no script.
        first = next(iter(errors)) == f.name
        aria = f' aria-invalid="true" aria-describedby="err-{uid}"'
        aria += " autofocus" if first else ""
    if f.kind == "checkbox":
        checked = (f.name in card.values) if card.problems is not None else f.initial == "true"
        return (
            f'<input type="checkbox" id="{uid}" name="{name}" value="true"'
            f"{' checked' if checked else ''}{aria}>"
        )
    if f.kind == "select":
        options = ['<option value="">(choose)</option>'] if not f.required or not text else []
        for choice in f.choices:
            raw = json.dumps(choice)
            selected = " selected" if raw == text else ""
            options.append(
                f'<option value="{escape(raw)}"{selected}>{escape(visible(str(choice)))}</option>'
            )
        return f'<select id="{uid}" name="{name}"{aria}>{"".join(options)}</select>'
    if f.kind in ("textarea", "json"):
        return f'<textarea id="{uid}" name="{name}"{aria}>{escape(text)}</textarea>'
    mode = {"integer": ' inputmode="numeric"', "number": ' inputmode="decimal"'}.get(f.kind, "")
    return f'<input type="text" id="{uid}" name="{name}" value="{escape(text)}"{mode}{aria}>'


def _field_html(card: Card, f: FormField) -> str:
    uid = escape(f"{card.item.id}-{f.name}")
    error = card.problems.errors.get(f.name) if card.problems is not None else None
    hint = f"<small>{visible_html(f.description)}</small>" if f.description else ""
    mark = " *" if f.required and f.kind != "checkbox" else ""
    shown = f'<p class="error" id="err-{uid}">{visible_html(error)}</p>' if error else ""
    return (
        f'<div class="field{" invalid" if error else ""}" data-field="{escape(f.name)}">'
        f'<label for="{uid}">{visible_html(f.label)}{mark}</label>{_input(card, f)}{hint}{shown}'
        "</div>"
    )


def _summary(item: PendingInterrupt) -> tuple[str, str]:
    """The card's title and the text for the reviewer."""
    value = item.value
    fields: Mapping[str, Any] = value if isinstance(value, Mapping) else {}
    if item.type == "tool_approval":
        return f"Approve {fields.get('name', '?')}?", str(fields.get("description") or "")
    if item.type == "human_assistance":
        return "The agent asks for help", str(fields.get("query") or "")
    return f"Request from {'/'.join(item.path) or item.node}", ""


def card_html(
    card: Card, *, action_url: str, thread_url: str, csrf: str, now: datetime, origin: str
) -> str:
    """One pending request and its form."""
    item = card.item
    title, text = _summary(item)
    value = item.value
    link = f"{thread_url}?{urlencode({'id': str(item.thread_id)})}"
    meta = [
        f'<span class="thread">thread <a href="{escape(link)}"><code>'
        f"{visible_html(str(item.thread_id))}</code></a></span>",
        f'<span class="age">asked {escape(when(item.created_at, now))}</span>',
    ]
    if item.expires_at is not None:
        expired = item.expires_at <= now
        meta.append(
            f'<span class="expiry{" expired" if expired else ""}">'
            f"{'expired' if expired else 'expires'} {escape(when(item.expires_at, now))}"
            "</span>"
        )
    if card.notify_failed:
        meta.append(
            f'<span class="notify-failed" title="{visible_html(card.notify_failed)}">'
            "notification failed</span>"
        )
    details = ""
    if has_hidden([value, item.thread_id]):
        details += (
            f'<p class="hidden-warning" role="alert">This request {HIDDEN_WARNING}, shown as '
            "marked &lt;U+XXXX&gt;: the text may not be what it seems.</p>"
        )
    details += f'<p class="description">{visible_html(text)}</p>' if text else ""
    progress = approvals_text(value)
    if progress:
        details += f'<p class="approvals">{visible_html(progress)}</p>'
    args = value.get("args") if isinstance(value, Mapping) else None
    if item.type == "tool_approval" and isinstance(args, Mapping):
        rows = "".join(
            f"<tr><td>{visible_html(str(k))}</td><td><pre>{visible_html(_show(v))}</pre></td></tr>"
            for k, v in args.items()
        )
        details += f'<table class="args"><tbody>{rows}</tbody></table>'
    elif not text:
        shown = json.dumps(value, indent=2, default=repr, ensure_ascii=False)
        details += f"<pre>{visible_html(shown)}</pre>"
    form = card.form
    general = "".join(
        f'<p class="error form-error" role="alert">{visible_html(m)}</p>'
        for m in (card.problems.general if card.problems is not None else [])
    )
    edit = [f for f in form.fields if f.path[:2] == ("edited_action", "args")]
    rest = [f for f in form.fields if f not in edit]
    inputs = "".join(_field_html(card, f) for f in rest if f.name == "reviewer")
    if edit:
        inputs += (
            '<fieldset class="edit"><legend>Arguments (used by the edit button)</legend>'
            + "".join(_field_html(card, f) for f in edit)
            + "</fieldset>"
        )
    inputs += "".join(_field_html(card, f) for f in rest if f.name != "reviewer")
    notice = f'<p class="notice">{visible_html(form.notice)}</p>' if form.notice else ""
    buttons = "".join(
        f'<button type="submit" name="action" value="{escape(b.value)}">{escape(b.label)}</button>'
        for b in form.buttons
    )
    hidden = "".join(
        f'<input type="hidden" name="{k}" value="{escape(v)}">'
        for k, v in (
            ("csrf", csrf),
            ("thread_id", str(item.thread_id)),
            ("interrupt_id", item.id),
            ("checkpoint", item.checkpoint_id or ""),
            ("origin", origin),
        )
    )
    return (
        f'<section class="request" id="req-{escape(item.id)}" data-interrupt="{escape(item.id)}"'
        f' data-thread="{escape(str(item.thread_id))}" data-type="{escape(str(item.type))}">'
        f'<h2>{visible_html(title)}</h2><div class="meta">{"".join(meta)}</div>{details}'
        f'<form method="post" action="{escape(action_url)}" novalidate>{hidden}{general}'
        f'{inputs}{notice}<div class="buttons">{buttons}</div></form></section>'
    )


def cards_html(
    cards: Sequence[Card],
    *,
    action_url: str,
    thread_url: str,
    csrf: str,
    now: datetime,
    origin: str,
    empty: str,
) -> str:
    """Several requests, or `empty` when there are none."""
    if not cards:
        return f'<p class="empty">{escape(empty)}</p>'
    return "".join(
        card_html(
            c, action_url=action_url, thread_url=thread_url, csrf=csrf, now=now, origin=origin
        )
        for c in cards
    )


def _show(value: object) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, indent=2, default=repr, ensure_ascii=False)


def message_html(message: BaseMessage) -> str:
    """One message of a conversation."""
    role = {"ai": "Agent", "human": "User", "tool": "Tool", "system": "System"}.get(
        message.type, message.type
    )
    if isinstance(message, ToolMessage):
        role = f"Tool result: {message.name or message.tool_call_id}"
        if message.status == "error":
            role += " (error)"
    calls = ""
    if isinstance(message, AIMessage) and message.tool_calls:
        calls = "".join(
            f'<div class="call">Calls <code>{visible_html(c["name"])}</code>'
            f"<pre>{visible_html(_show(c['args']))}</pre></div>"
            for c in message.tool_calls
        )
    text = f"<pre>{visible_html(message.text)}</pre>" if message.text else ""
    if isinstance(message, AIMessage):
        said: list[object] = [message.text, [[c["name"], c["args"]] for c in message.tool_calls]]
    else:
        said = [message.text, role]
    flag = (
        f'<p class="hidden-warning" role="alert">This message {HIDDEN_WARNING}, shown as '
        "marked &lt;U+XXXX&gt;.</p>"
        if has_hidden(said)
        else ""
    )
    return (
        f'<div class="msg msg-{escape(message.type)}"><div class="role">{visible_html(role)}</div>'
        f"{flag}{text}{calls}</div>"
    )


def messages_html(messages: Sequence[BaseMessage], *, empty: str) -> str:
    """A list of messages, or `empty` when there are none."""
    if not messages:
        return f'<p class="empty">{escape(empty)}</p>'
    return "".join(message_html(m) for m in messages)


def login_body(*, action_url: str, csrf: str, error: str | None) -> str:
    """The sign-in form."""
    shown = f'<p class="error" id="login-error">{escape(error)}</p>' if error else ""
    return (
        f'<form method="post" action="{escape(action_url)}" class="login" novalidate>'
        f'<input type="hidden" name="csrf" value="{escape(csrf)}">'
        '<div class="field"><label for="token">Your reviewer token</label>'
        '<input type="password" id="token" name="token" autocomplete="current-password">'
        f'{shown}</div><div class="buttons"><button type="submit" value="send">Sign in</button>'
        "</div></form>"
    )
