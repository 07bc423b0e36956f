"""The database layer: the only code that runs SQL or reads checkpoint blobs.

Backends over the checkpointers' own connections and the interrupt-write decoder
(`_backends`), per-answer claims with one heartbeat thread (`_claims`), the `hitl_listing`
side table and its triggers (`_listing`, `_triggers`), and opaque keyset cursors
(`_cursor`). Imports only `core`.
"""
