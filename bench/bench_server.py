"""Listing 1,000 interrupted threads of a real `langgraph dev` with `Inbox.from_server`.

The server is the test suite's (`tests/server_support.py`), serving the approval graph;
1,000 threads are run until they pause at an approval. Measured: the first page
(`pending(limit=50)`, and `page(limit=50)` with its cursor), the full listing (`pending()`),
`count()`, the web reviewer's inbox page over the deployment (`GET /` of
`create_app(inbox)`, in process: a page and the count), and, as the baseline, what a client
without the inbox would do: every interrupted thread from `threads.search`, then
`threads.get_state` thread by thread (timed on a sample, reported per thread).
Targets: first page under 200 ms, full listing under 2 s.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from langgraph_sdk import get_client, get_sync_client
from starlette.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from server_support import Server, ai_message, serve, tool_call

from langgraph_hitl import Inbox
from langgraph_hitl.web import create_app

if TYPE_CHECKING:
    from collections.abc import Callable

THREADS = 1_000
PAGE = 50
TARGET_PAGE = 0.200
TARGET_FULL = 2.0
CONCURRENCY = 16
NAIVE_SAMPLE = 50
"""Threads the baseline reads one by one (it costs about a second per ten)."""


async def _seed(server: Server, count: int) -> None:
    client = get_client(url=server.url, api_key=None)
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(n: int) -> None:
        async with gate:
            thread = await client.threads.create()
            call = tool_call("pay_invoice", invoice_id=f"B-{n}", amount=1.0)
            await client.runs.wait(thread["thread_id"], "approval", input=ai_message(call))

    try:
        await asyncio.gather(*(one(n) for n in range(count)))
    finally:
        await client.aclose()


def _median(fn: Callable[[], object], times: int) -> float:
    samples = []
    for _ in range(times):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def _naive(url: str, count: int) -> int:
    """The first `count` interrupted threads, each then read with `get_state`."""
    client = get_sync_client(url=url, api_key=None)
    try:
        threads = client.threads.search(status="interrupted", limit=count)
        return sum(len(client.threads.get_state(t["thread_id"])["interrupts"]) for t in threads)
    finally:
        client.close()


def main() -> None:
    with tempfile.TemporaryDirectory() as folder, serve(Path(folder) / "server") as server:
        started = time.perf_counter()
        asyncio.run(_seed(server, THREADS))
        print(f"  seeded {THREADS} interrupted threads in {time.perf_counter() - started:.1f} s")
        with Inbox.from_server(server.url) as inbox:
            assert len(inbox.pending()) == THREADS
            first = _median(lambda: inbox.pending(limit=PAGE), 15)
            paged = _median(lambda: inbox.page(limit=PAGE), 15)
            full = _median(inbox.pending, 7)
            counted = _median(inbox.count, 7)
            with TestClient(create_app(inbox), base_url="http://127.0.0.1") as web:
                assert f"{THREADS} requests waiting" in web.get("/").text
                web_page = _median(lambda: web.get("/"), 5)
            naive = _median(lambda: _naive(server.url, NAIVE_SAMPLE), 3) / NAIVE_SAMPLE
    target = f"(target < {TARGET_PAGE * 1000:.0f} ms)"
    print(f"  first page of {PAGE}:      {first * 1000:8.1f} ms   {target}")
    print(f"  page(limit={PAGE}) + cursor: {paged * 1000:8.1f} ms")
    print(
        f"  full listing ({THREADS}):  {full * 1000:8.1f} ms   (target < {TARGET_FULL:g} s), "
        f"{full / THREADS * 1e6:.0f} us per thread"
    )
    print(f"  count():                {counted * 1000:8.1f} ms")
    print(f"  web inbox page (GET /): {web_page * 1000:8.1f} ms   (a page of {PAGE} + the count)")
    print(
        f"  baseline, search + get_state per thread: {naive * 1e3:.1f} ms per thread "
        f"(measured on {NAIVE_SAMPLE}), {naive * THREADS:.1f} s for {THREADS}: "
        f"{naive * THREADS / full:.0f}x the inbox's full listing"
    )
    ok = first < TARGET_PAGE and full < TARGET_FULL
    print(f"  {'PASS' if ok else 'FAIL'}: targets {'met' if ok else 'missed'}")
