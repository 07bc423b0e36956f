"""The tools that pause for a human: `approval_tool` (`_approval`) and
`human_assistance_tool` (`_human`), with the Agent Inbox request shapes they publish
(`_requests`). Each calls `interrupt()` and validates its answer again inside the node.
"""
