"""Run every benchmark (or those named) and print one JSON document of figures.

Usage: python scripts/bench.py [AREA ...]      e.g. `python scripts/bench.py postgres sql_guard`
"""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import benchmarks  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("areas", nargs="*", help="benchmark areas (module names without bench_); default all")
    args = parser.parse_args()
    names = sorted(m.name[len("bench_"):] for m in pkgutil.iter_modules(benchmarks.__path__) if m.name.startswith("bench_"))
    chosen = args.areas or names
    unknown = set(chosen) - set(names)
    if unknown:
        parser.error(f"unknown area(s) {sorted(unknown)}; known: {names}")
    report: dict[str, object] = {}
    for name in chosen:
        module = importlib.import_module(f"benchmarks.bench_{name}")
        started = time.perf_counter()
        print(f"running benchmark {name} ...", file=sys.stderr, flush=True)
        report[name] = module.run()
        print(f"  done in {time.perf_counter() - started:.1f}s", file=sys.stderr, flush=True)
    print(json.dumps(report, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
