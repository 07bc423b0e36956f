"""Run every benchmark (or those named): `python -m bench [cycle approval ...] [--scale N]`."""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time
from pathlib import Path


def main(argv: list[str]) -> int:
    here = Path(__file__).parent
    names = sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_"))
    # Options (`--scale 1000000`) are for the benchmarks themselves, which read sys.argv.
    asked = [a for a in argv if not a.startswith("-") and not a.isdigit()]
    wanted = [n for n in names if not asked or n.removeprefix("bench_") in asked]
    if not wanted:
        print(f"no benchmark matches {argv}; have {[n.removeprefix('bench_') for n in names]}")
        return 2
    for name in wanted:
        print(f"\n=== {name} ===", flush=True)
        started = time.perf_counter()
        importlib.import_module(f"bench.{name}").main()
        print(f"({name} took {time.perf_counter() - started:.1f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
