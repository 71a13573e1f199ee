"""Index advisor figures: ours (HypoPG-verified and heuristic) against Postgres MCP Pro on one known-answer workload.

The workload (`mcp_servers/postgres/seed/index_workload.py`) has four right indexes and four traps. Both
advisors get the same eight statements on the system PostgreSQL 15 with HypoPG (SYSTEM_PG_URL, as in the
tests). Postgres MCP Pro needs Python >= 3.12 and mcp < 2, so it gets its own venv under .data/ (ignored by
git), built on first run from PyPI; its `analyze_query_indexes` path (DTA over HypoPG) is what runs.

Scoring per advisor: `found` = right indexes suggested exactly (table and column order); `leading_only` =
suggestions on a right index's table and leading column but with other columns (partly useful);
`false` = every other suggestion; `traps_hit` = suggestions that include a trap's column. Postgres MCP
Pro plans with sampled parameter values, so its answer varies between runs: its best run is compared
(and its worst reported beside it).
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import anyio
import psycopg

from mcp_servers.postgres.seed.index_workload import RIGHT_INDEXES, WORKLOAD, plant_index_workload

ROOT = Path(__file__).resolve().parents[1]
PEER_VENV = ROOT / ".data" / "peer-postgres-mcp-pro"
PEER_PACKAGE = "postgres-mcp==0.3.0"
# Its own requirements, with pglast widened to the 7.x series (PyPI's pglast 7.2.0 pin is not always installable).
PEER_DEPS = ("attrs>=25.3.0", "humanize>=4.8.0", "instructor>=1.7.9", "mcp[cli]>=1.5.0,<2", "pglast>=7.2,<8",
             "psycopg-pool>=3.2.6", "psycopg[binary]>=3.2.6")
SYSTEM_PG_URL = os.environ.get("SYSTEM_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
TRAPS = {("orders", "is_paid"), ("products", "sku"), ("countries", "name"), ("shipments", "order_ref"), ("jobs", "heartbeat_at")}
RUNS = 3


def _score(suggested: list[tuple[str, tuple[str, ...]]]) -> dict:
    right = {(t.split(".")[-1], cols) for t, cols in RIGHT_INDEXES}
    leading = {(t, cols[0]) for t, cols in right}
    found = [s for s in suggested if s in right]
    partial = [s for s in suggested if s not in right and (s[0], s[1][0]) in leading]
    return {
        "found": len(set(found)), "of": len(right), "leading_only": len(partial),
        "false": len(suggested) - len(found) - len(partial),
        "traps_hit": sum(1 for t, cols in suggested if any((t, c) in TRAPS for c in cols)),
        "suggestions": [f"{t}({', '.join(c)})" for t, c in suggested],
    }


async def _ours(url: str) -> tuple[list[tuple[str, tuple[str, ...]]], float, str]:
    from mcp_servers.postgres.advisor import suggest_indexes
    from mcp_servers.postgres.db import Database
    from mcp_servers.postgres.settings import PostgresSettings

    db = Database(PostgresSettings(database_url=url))
    try:
        await db.fetch("SELECT 1")  # open the pool outside the timing
        times = []
        for _ in range(RUNS):
            started = time.perf_counter()
            advice = await suggest_indexes(db, db.settings, queries=[q.sql for q in WORKLOAD])
            times.append((time.perf_counter() - started) * 1000)
    finally:
        await db.close()
    found = [(s.table.split(".")[-1], tuple(s.columns)) for s in advice.suggestions]
    return found, round(statistics.median(times), 1), advice.verification


def _python_312() -> str | None:
    """An interpreter that really runs as Python >= 3.12 (a pyenv shim on PATH may refuse to)."""
    if sys.version_info >= (3, 12):
        return sys.executable
    found = sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.1[2-9]*/bin/python3")))
    named = [shutil.which(n) for n in ("python3.14", "python3.13", "python3.12")]
    for python in [*found, *(n for n in named if n)]:
        check = subprocess.run([python, "-c", "import sys; assert sys.version_info >= (3, 12)"], capture_output=True)
        if check.returncode == 0:
            return python
    return None


def _peer_python() -> tuple[str | None, str | None]:
    """Postgres MCP Pro's interpreter (building its venv once), or None and why not."""
    python = PEER_VENV / "bin" / "python"
    if python.exists():
        return str(python), None
    base = _python_312()
    if base is None:
        return None, "no Python >= 3.12 found (Postgres MCP Pro requires it)"
    env = {**os.environ, "PIP_CONSTRAINT": ""}  # a machine-wide constraints file must not pin its mcp to 2.x
    steps = ([base, "-m", "venv", str(PEER_VENV)],
             [str(python), "-m", "pip", "install", "-q", "--no-deps", PEER_PACKAGE],
             [str(python), "-m", "pip", "install", "-q", *PEER_DEPS])
    for step in steps:
        done = subprocess.run(step, env=env, capture_output=True, text=True, timeout=900)
        if done.returncode != 0:
            shutil.rmtree(PEER_VENV, ignore_errors=True)
            return None, f"installing Postgres MCP Pro failed: {(done.stderr or done.stdout).strip().splitlines()[-1:]}"
    return str(python), None


def _peer(python: str, url: str) -> tuple[list[list[tuple[str, tuple[str, ...]]]], float]:
    """Its suggestions of each run (they vary: it plans with sampled parameter values), and the median time."""
    runner = Path(__file__).with_name("_peer_postgres_mcp_pro.py")
    times, runs = [], []
    for _ in range(RUNS):
        done = subprocess.run([python, str(runner), url], input=json.dumps([q.sql for q in WORKLOAD]),
                              capture_output=True, text=True, timeout=600)
        if done.returncode != 0:
            raise RuntimeError(f"Postgres MCP Pro failed: {done.stderr.strip()[-500:]}")
        out = json.loads(done.stdout)
        times.append(out["elapsed_s"] * 1000)
        recs = out["result"].get("recommendations") or []
        runs.append([(r["index_target_table"], tuple(r["index_target_columns"])) for r in recs])
    return runs, round(statistics.median(times), 1)


def run() -> dict:
    name = f"bench_advisor_{os.getpid()}"
    try:
        admin = psycopg.connect(SYSTEM_PG_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        return {"skipped": f"the system PostgreSQL at SYSTEM_PG_URL is not reachable: {str(exc).splitlines()[0]}"}
    admin.execute(f'CREATE DATABASE "{name}"')
    url = SYSTEM_PG_URL.rsplit("/", 1)[0] + "/" + name
    report: dict = {"workload": {"statements": len(WORKLOAD), "right_indexes": len(RIGHT_INDEXES), "traps": len(TRAPS)}}
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            try:
                conn.execute("CREATE EXTENSION hypopg")
            except psycopg.Error:
                return {"skipped": "HypoPG is not installed for the system PostgreSQL (apt-get install postgresql-15-hypopg)"}
            plant_index_workload(conn)
        found, ms, how = anyio.run(_ours, url)
        report["ours_verified"] = {**_score(found), "ms": ms, "verification": how}
        python, why = _peer_python()
        if python is None:
            report["postgres_mcp_pro"] = {"skipped": why}
        else:
            peer_runs, peer_ms = _peer(python, url)
            scores = [_score(found) for found in peer_runs]
            worst = min(scores, key=lambda sc: (sc["found"], -sc["false"] - sc["traps_hit"]))
            report["postgres_mcp_pro"] = {
                **max(scores, key=lambda sc: (sc["found"], -sc["false"] - sc["traps_hit"])), "ms": peer_ms,
                "package": PEER_PACKAGE, "runs": len(scores), "worst_run": worst,
            }
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("DROP EXTENSION hypopg")
        found, ms, how = anyio.run(_ours, url)
        report["ours_heuristic"] = {**_score(found), "ms": ms, "verification": how}
        peer = report["postgres_mcp_pro"]
        ours = [report["ours_verified"], report["ours_heuristic"]]
        report["met"] = all(o["found"] == o["of"] and o["false"] == 0 and o["traps_hit"] == 0 for o in ours) and (
            "skipped" in peer or all(o["found"] >= peer["found"] and o["false"] <= peer["false"] for o in ours))
        return report
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
