"""Run every benchmark (or those named) and print one JSON document of figures.

Usage: python scripts/bench.py [AREA ...]      e.g. `python scripts/bench.py postgres sql_guard`

Each area runs in its own process with its own time limit, so one that crashes or hangs costs only its
own figures: the document lists every area that finished, and `failed` says why the others did not.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import pkgutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import benchmarks  # noqa: E402

AREA_TIMEOUT_S = 1800  # one area's limit; cold_start (callgrind) and the index-advisor peer venv take 10+ minutes on a loaded machine


def _one(name: str) -> int:
    """Child mode: run one area and print its figures as JSON on stdout."""
    for noisy in ("httpx", "httpcore", "mcp", "uvicorn"):  # one INFO line per request would bury the figures
        logging.getLogger(noisy).setLevel(logging.WARNING)
    module = importlib.import_module(f"benchmarks.bench_{name}")
    print(json.dumps(module.run(), default=str))
    return 0


def _area(name: str, timeout: float) -> tuple[object | None, str | None]:
    """(figures, None) or (None, why it failed); the child's stderr passes through as progress."""
    try:
        done = subprocess.run(
            [sys.executable, __file__, "--one", name], cwd=ROOT, stdout=subprocess.PIPE, text=True,
            timeout=timeout, env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    except subprocess.TimeoutExpired:
        return None, f"did not finish within {timeout:g} s"
    if done.returncode != 0:
        return None, f"exited with code {done.returncode} (its traceback is above)"
    try:
        return json.loads(done.stdout.strip().splitlines()[-1]), None
    except (ValueError, IndexError):
        return None, "printed no JSON figures"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("areas", nargs="*", help="benchmark areas (module names without bench_); default all")
    parser.add_argument("--timeout", type=float, default=AREA_TIMEOUT_S, help=f"seconds per area (default {AREA_TIMEOUT_S})")
    parser.add_argument("--one", metavar="AREA", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        return _one(args.one)
    names = sorted(m.name[len("bench_"):] for m in pkgutil.iter_modules(benchmarks.__path__) if m.name.startswith("bench_"))
    chosen = args.areas or names
    unknown = set(chosen) - set(names)
    if unknown:
        parser.error(f"unknown area(s) {sorted(unknown)}; known: {names}")
    report: dict[str, object] = {}
    failed: dict[str, str] = {}
    for name in chosen:
        started = time.perf_counter()
        print(f"running benchmark {name} ...", file=sys.stderr, flush=True)
        figures, why = _area(name, args.timeout)
        if why is None:
            report[name] = figures
            print(f"  done in {time.perf_counter() - started:.1f}s", file=sys.stderr, flush=True)
        else:
            failed[name] = why
            print(f"  {name} failed: {why}", file=sys.stderr, flush=True)
    if failed:
        report["failed"] = failed
    print(json.dumps(report, indent=2, default=str))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
