"""Building and running graphs: `build_hitl_graph` (`_builder`), opening checkpointers
from a URL (`_checkpointers`), the policy for new user input while a request waits
(`_new_input`) and the swallowed-interrupt guard (`_guard`).
"""
