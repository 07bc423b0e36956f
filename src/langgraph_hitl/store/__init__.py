"""The database layer: the only code that runs SQL or reads checkpoint blobs.

Backends over the checkpointers' own connections and the interrupt-write decoder
(`_backends`), per-answer claims (`_claims`) kept alive by one heartbeat thread
(`_lease`), SQL plans on a PostgreSQL cursor (`_postgres`), the `hitl_listing` side table
and its triggers (`_listing`, `_triggers`), and opaque keyset cursors (`_cursor`). Imports
only `core`.
"""
