"""Graphs that tests run in several processes (restart, concurrency, CLI).

Each module builds its graph from code, as every worker process of an application does,
so a thread paused by one process can be listed and answered by another.
"""
