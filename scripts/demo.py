"""`make demo`: a sick database on the embedded PostgreSQL, diagnosed by mcp-postgres over STDIO.

Starts (or reuses) the embedded PostgreSQL under .data/postgres, seeds the database `sick` with one of
each problem the checks look for, holds the live ones (idle transaction, lock chain, long query) open,
then runs `python -m mcp_servers.postgres` as a real STDIO subprocess and prints its pg_diagnose report.
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
    parser.add_argument("--json", action="store_true", help="print the structured report instead of text")
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
