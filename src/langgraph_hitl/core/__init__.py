"""The bottom layer: what every other layer shares.

The error tree (`_errors`), the one clock (`_clock`, `_testclock`), every upstream private
detail we depend on (`_compat`), what a pending request is and how it is read from a
graph's state (`_pending`), the wire shapes of Agent Chat UI and Agent Inbox (`_shapes`),
hidden-character display (`_display`), strict JSON text (`_jsontext`), the one JSON-schema
walker (`_schema`), `module:attr` graph references (`_graphref`) and the version.
Imports nothing else of the package.
"""
