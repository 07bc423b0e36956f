"""The inbox across threads: `Inbox` over a checkpointer's database and `RemoteInbox` over a
LangGraph Server deployment, their shared `page` / `count` in `_base` (arguments: `_bounds`).

`Inbox` (`_inbox`) writes its operations once as plans, the listing in `_listing` and the
answering in `_answering`, and carries them out with `_handlers`. `RemoteInbox` (`_remote`)
writes its plans as SDK calls, the reading in `_remote_reader` and the answering in
`_remote_answer`, runs them with `_remote_io`, reads the server's JSON with `_remote_wire`
and its pages with `_remote_page`.
"""
