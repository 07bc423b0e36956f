"""The tools that pause for a human: `approval_tool` (`_approval`, made of `_approval_*`:
its options, one call's gate, where it pauses, the `BaseTool`) and `human_assistance_tool`
(`_human`), with the Agent Inbox request shapes they publish (`_requests`). Each calls
`interrupt()` and validates its answer again inside the node; `_effects` is what their
plans ask the sync and async drivers to do.
"""
