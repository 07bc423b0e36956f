"""The inbox across threads: `Inbox` over a checkpointer's database (`_inbox`) and
`RemoteInbox` over a LangGraph Server deployment (`_remote`, with its HTTP calls in
`_remote_io` and the server's JSON read back in `_remote_wire`).
"""
