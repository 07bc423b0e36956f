"""Answers: what a reviewer may say, and how it reaches the graph exactly once.

The decisions' tagged union (`_decisions`) and what an edit may send as arguments
(`_edits`), validation of an answer against its request (`_validation`), deadline rules
(`_deadline`), matching an answer to the interrupt it means (`_match`), the one guarded
send path with claims and send-time checks (`_send`) and the effects it asks its drivers
for (`_effects`), the public `resume` helpers (`_resume`), taking back a refused raw
resume (`_rollback`) and the audit trail (`_audit`). Imports `core` and `store`.
"""
