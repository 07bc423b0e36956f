"""The inbox across threads: `Inbox` over a checkpointer's database (`_inbox`) and
`RemoteInbox` over a LangGraph Server deployment (`_remote`, with its HTTP calls in
`_remote_io`, the server's JSON read back in `_remote_wire`, its pages in `_remote_page`).
"""
