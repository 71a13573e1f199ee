"""`make demo`: a sick database on the embedded PostgreSQL, diagnosed by an agent through the local Agents endpoint.

Starts (or reuses) the embedded PostgreSQL under .data/postgres, seeds the database `sick` with one of
each problem the checks look for, holds the live ones (idle transaction, lock chain, long query) open,
then runs the driver (`scripts/run_agent.py db-health`) with no INFERENCE_URL: it starts the local
Agents endpoint (heroku_agents.local) with the Procfile's mcp* servers, which streams the agent loop
live (each tool call a real `python -m mcp_servers.postgres` STDIO process) and ends with an answer
that names the problems. The model is the offline planner unless UPSTREAM_INFERENCE_URL/_KEY name an
OpenAI-compatible model. `--stdio-only` prints the bare pg_diagnose report instead (no agent loop).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print NDJSON events (with --stdio-only: the structured report)")
    parser.add_argument("--stdio-only", action="store_true", help="call pg_diagnose over STDIO directly, without the agent loop")
    args = parser.parse_args()

    import anyio
    from rich.console import Console

    from mcp_servers.common.embedded_pg import EmbeddedPostgres
    from mcp_servers.postgres.seed import sick_database

    console = Console(stderr=True)
    started = time.perf_counter()
    with console.status("starting the embedded PostgreSQL (.data/postgres)..."):
        pg = EmbeddedPostgres(ROOT / ".data" / "postgres").start()
    console.print(f"[green]✓[/] embedded PostgreSQL on 127.0.0.1:{pg.port}")
    with console.status("seeding the sick database..."):
        seeded = sick_database(pg.url(), "sick", keep=True)
        url = seeded.__enter__()
    try:
        console.print(f"[green]✓[/] seeded database [bold]sick[/] ({time.perf_counter() - started:.1f}s)")
        if not args.stdio_only:
            code = _run_agent(url, json_mode=args.json)
            console.print(f"[dim]done in {time.perf_counter() - started:.1f}s[/]")
            return code
        report = anyio.run(_diagnose_over_stdio, url)
    finally:
        seeded.__exit__(None, None, None)
    if args.json:
        print(json.dumps(report.structured_content, indent=2))
    else:
        console.rule("pg_diagnose via mcp-postgres over STDIO")
        print(report.content[0].text)
    console.print(f"[dim]done in {time.perf_counter() - started:.1f}s[/]")
    return 1 if report.is_error else 0


def _run_agent(url: str, *, json_mode: bool) -> int:
    """The driver on agent_configs/db-health.yaml against the local endpoint (INFERENCE_URL removed: the
    demo's database is on this machine, where Heroku's dynos cannot reach it)."""
    import os
    import subprocess

    from mcp_servers.postgres.seed.activity import LIVE_LIMITS  # the live problems are seconds old

    env = {k: v for k, v in os.environ.items() if k not in ("INFERENCE_URL", "INFERENCE_KEY")}
    env.update(DATABASE_URL=url, PG_CHECK_LIMITS=json.dumps(LIVE_LIMITS))
    command = [sys.executable, str(ROOT / "scripts" / "run_agent.py"), "db-health", *(["--json"] if json_mode else [])]
    return subprocess.run(command, cwd=ROOT, env=env, check=False).returncode


async def _diagnose_over_stdio(url: str):
    from mcp import Client, StdioServerParameters, stdio_client

    from mcp_servers.postgres.seed.activity import LIVE_LIMITS  # the live problems are seconds old

    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "mcp_servers.postgres"],
        env={"DATABASE_URL": url, "PG_CHECK_LIMITS": json.dumps(LIVE_LIMITS)},
        cwd=str(ROOT),
    )
    async with Client(stdio_client(params)) as client:
        await client.list_tools()
        return await client.call_tool("pg_diagnose", {})


if __name__ == "__main__":
    raise SystemExit(main())
