"""Run every benchmark in tests/perf (each ``bench_*.py`` module's ``main()``) with its default arguments.

.venv/bin/python -m tests.perf.run_all      (or: make bench)
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def benchmarks() -> list[str]:
    return sorted(info.name for info in pkgutil.iter_modules([str(HERE)]) if info.name.startswith("bench_"))


def main() -> int:
    failed = []
    names = benchmarks()
    for name in names:
        print(f"=== {name}", flush=True)
        started = time.perf_counter()
        try:
            status = importlib.import_module(f"tests.perf.{name}").main([])
        except SystemExit as exit_:  # a benchmark that stops with a message
            status = exit_.code
            if isinstance(status, str):
                print(status, file=sys.stderr)
                status = 1
        except Exception:  # report it and go on to the next benchmark
            import traceback

            traceback.print_exc()
            status = 1
        print(f"=== {name}: {'ok' if not status else 'FAILED'} in {time.perf_counter() - started:.1f}s\n", flush=True)
        if status:
            failed.append(name)
    if failed:
        print(f"{len(failed)} of {len(names)} benchmarks failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
