"""The `langgraph-hitl` command line: the parser and error handling (`_main`), `inbox` and
`expire` (`_terminal`), the interactive `review` (`_review`), `--url` deployments
(`_remote`), `notify` (`_notify`) and the offline `demo` (`_demo`).
"""
