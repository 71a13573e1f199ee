"""The embedded fallback on a fresh machine: a seeded demo database, seeded once, whose workload tools answer."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import anyio
import psycopg
import pytest
from mcp import Client, StdioServerParameters, stdio_client

from mcp_servers.common.embedded_pg import EmbeddedPostgres
from mcp_servers.postgres.seed.demo import DEMO_DATABASE, ensure_demo_database
from mcp_servers.postgres.seed.index_workload import RECORDED_SQL, RIGHT_INDEXES

pytestmark = pytest.mark.anyio
ROOT = Path(__file__).resolve().parents[2]
SEEDED = "seeded the embedded demo database"


async def _ask(data_dir: Path, log: Path, tool: str) -> Any:
    """One `python -m mcp_servers.postgres` with no database URL, asked `tool` once; its stderr goes to `log`."""
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "mcp_servers.postgres", "--log-level", "INFO"],
        env={"EMBEDDED_PG_DATA_DIR": str(data_dir)}, cwd=str(ROOT),  # no DATABASE_URL, no MCP_DATABASE_URL
    )
    with log.open("w") as errlog:
        async with Client(stdio_client(params, errlog=errlog)) as client:
            return await client.call_tool(tool, {})


async def test_two_servers_on_a_fresh_machine_seed_the_demo_database_once_and_answer_with_its_workload(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    answers: dict[str, Any] = {}
    databases: list[str] = []

    async def ask(tool: str) -> None:
        answers[tool] = await _ask(data_dir, tmp_path / f"{tool}.log", tool)

    try:
        with anyio.fail_after(180):
            async with anyio.create_task_group() as both:  # the two start the cluster and seed at the same time
                both.start_soon(ask, "pg_top_queries")
                both.start_soon(ask, "pg_suggest_indexes")
    finally:
        cluster = EmbeddedPostgres(data_dir)
        if cluster.is_running():
            url = cluster.start().url()
            with psycopg.connect(url) as conn:
                databases = [r[0] for r in conn.execute("SELECT datname FROM pg_database WHERE NOT datistemplate")]
        cluster.stop()
    logs = [(tmp_path / f"{tool}.log").read_text() for tool in answers]
    assert sum(log.count(SEEDED) for log in logs) == 1, logs
    assert sorted(databases) == [DEMO_DATABASE, "postgres"]

    top = answers["pg_top_queries"]
    assert not top.is_error, top.content[0].text
    queries = [s["query"] for s in top.structured_content["queries"]]
    assert set(queries[:3]) <= RECORDED_SQL, queries  # the workload's sequential scans lead (20 calls of ms each)
    assert not any(q.upper().startswith(("CREATE", "ALTER", "DROP", "INSERT")) for q in queries), queries  # no set-up
    assert f"embedded demo database `{DEMO_DATABASE}`" in top.content[-1].text

    advice = answers["pg_suggest_indexes"]
    assert not advice.is_error, advice.content[0].text
    found = {(s["table"], tuple(s["columns"])) for s in advice.structured_content["suggestions"]}
    assert found == RIGHT_INDEXES


def test_the_demo_database_is_kept_once_seeded_and_reseeded_on_request(embedded_pg) -> None:
    first = ensure_demo_database(embedded_pg.admin_url)  # this session may have seeded it already
    again = ensure_demo_database(embedded_pg.admin_url)
    assert again.seeded_seconds is None and again.url == first.url
    with psycopg.connect(first.url) as conn:
        before = conn.execute("SELECT oid FROM pg_database WHERE datname = current_database()").fetchone()
        schemas = {r[0] for r in conn.execute("SELECT relnamespace::regnamespace::text FROM pg_class WHERE relname = 'orders'")}
    assert schemas == {"public", "sick"}  # the workload's shop and the sick plantings' shop, side by side
    reseeded = ensure_demo_database(embedded_pg.admin_url, reseed=True)
    assert reseeded.seeded_seconds is not None
    with psycopg.connect(reseeded.url) as conn:
        assert conn.execute("SELECT oid FROM pg_database WHERE datname = current_database()").fetchone() != before
