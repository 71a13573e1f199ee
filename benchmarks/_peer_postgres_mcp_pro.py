"""Runs inside Postgres MCP Pro's own venv (Python >= 3.12, mcp < 2): its index advisor on a list of queries.

Usage: python _peer_postgres_mcp_pro.py URL < queries.json; prints one JSON object (elapsed_s, result).
The same path as its `analyze_query_indexes` tool in unrestricted mode (DTA with HypoPG).
"""

import asyncio
import json
import sys
import time


async def main(url: str, queries: list[str]) -> None:
    from postgres_mcp.index.dta_calc import DatabaseTuningAdvisor
    from postgres_mcp.index.presentation import TextPresentation
    from postgres_mcp.sql import DbConnPool, SqlDriver

    pool = DbConnPool()
    await pool.pool_connect(url)
    driver = SqlDriver(conn=pool)
    started = time.perf_counter()
    result = await TextPresentation(driver, DatabaseTuningAdvisor(driver)).analyze_queries(queries=queries)
    elapsed = time.perf_counter() - started
    await pool.close()
    json.dump({"elapsed_s": elapsed, "result": result}, sys.stdout, default=str)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], json.load(sys.stdin)))
