"""mcp-postgres's own statements stay out of the statistics its tools read, and the tools say how many.

pg_stat_statements records our catalog reads like the application's; after enough tool calls they
would outrank the workload in pg_top_queries, the slow-query check and the index advisor. Each runs
against a server that preloads the extension: the embedded 18, the machine's 15, and 14/16/17 (slow tier).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from mcp import Client

from mcp_servers.postgres.checks.queries import SLOW_QUERIES
from mcp_servers.postgres.checks.session_rows import query_text
from mcp_servers.postgres.own_statements import MARKER, mark
from mcp_servers.postgres.seed.index_workload import RECORDED_SQL, plant_index_workload, run_index_workload
from mcp_servers.postgres.server import build_server
from mcp_servers.postgres.settings import PostgresSettings
from tests.postgres.check_runs import run

pytestmark = pytest.mark.anyio

AGENT_SQL = "SELECT max(total_cents) FROM orders"  # an agent's own read through pg_query: not marked
ROUNDS = 3
RECORDED_SQL_OF = "SELECT queryid::text, query, calls, toplevel FROM pg_stat_statements WHERE dbid = " \
    "(SELECT oid FROM pg_database WHERE datname = current_database())"


@pytest.fixture(params=["embedded", "preloaded15", *(pytest.param(f"pg{v}", marks=pytest.mark.slow) for v in (14, 16, 17))])
def app_db(request: pytest.FixtureRequest) -> Iterator[str]:
    """A database of our own with the index workload's tables and pg_stat_statements, on each server."""
    cluster = request.getfixturevalue(f"{request.param}_pg")
    url = cluster.create_database("own_statements")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION pg_stat_statements")
        plant_index_workload(conn)
    try:
        yield url
    finally:
        cluster.drop_database(url)


def _recorded(url: str) -> list[dict[str, Any]]:
    with psycopg.connect(url, autocommit=True, row_factory=psycopg.rows.dict_row) as conn:
        return conn.execute(RECORDED_SQL_OF).fetchall()


async def _busy_agent(url: str) -> dict[str, Any]:
    """Every tool, `ROUNDS` times, as an agent would call them; the last answers by tool."""
    answers: dict[str, Any] = {}
    calls = [("pg_diagnose", {}), ("pg_schema", {}), ("pg_schema", {"table": "orders"}), ("pg_activity", {"kind": "running"}),
             ("pg_query", {"sql": AGENT_SQL}), ("pg_explain", {"sql": "SELECT * FROM orders WHERE customer_id = 7"}),
             ("pg_suggest_indexes", {}), ("pg_top_queries", {"order_by": "calls", "limit": 50})]
    async with Client(build_server(PostgresSettings(database_url=url))) as client:
        for _ in range(ROUNDS):
            for tool, args in calls:
                result = await client.call_tool(tool, args)
                assert not result.is_error, (tool, result.content[0].text)
                answers[tool] = result
    return answers


async def test_our_statements_are_marked_and_left_out_of_top_queries_checks_and_advice(app_db: str) -> None:
    with psycopg.connect(app_db, autocommit=True) as conn:
        conn.execute("SELECT pg_stat_statements_reset()")
        run_index_workload(conn, calls=5)
    before = {r["query"] for r in _recorded(app_db)}  # the application's: the workload (and the reset)
    shown = {query_text(q) for q in before | {AGENT_SQL, RECORDED_SQL_OF}}  # as the tools show them, long texts cut
    answers = await _busy_agent(app_db)
    recorded = _recorded(app_db)
    ours = [r for r in recorded if r["query"].endswith(MARKER)]
    by_calls = answers["pg_top_queries"].structured_content
    listed = {q["query"] for q in by_calls["queries"]}
    [slow] = await run(app_db, SLOW_QUERIES.with_limits(min_calls=1, min_mean_ms=0.0))

    # Every statement the tools sent is marked at its end (the advisor's what-if plans and pg_explain's EXPLAIN
    # included), but the agent's own read through pg_query: an application's statement would share its entry.
    assert {r["query"] for r in recorded} - before - {r["query"] for r in ours} == {AGENT_SQL, RECORDED_SQL_OF}
    assert len(ours) > 20  # catalog reads, the guard's look-alike check, what-if plans, transaction control
    # None of ours is listed, by pg_top_queries or the slow-query check; the workload is, and the count is reported.
    assert RECORDED_SQL | {AGENT_SQL} <= listed <= shown
    assert by_calls["own_statements"] == len(ours)  # the last pg_top_queries call was recorded by an earlier one
    assert f"left out {len(ours)} statements mcp-postgres sent itself" in answers["pg_top_queries"].content[0].text
    assert slow.rows and {r["query"] for r in slow.rows} <= shown  # the ten slowest, none of them ours
    assert "statements mcp-postgres sent itself" in slow.reason
    advice = answers["pg_suggest_indexes"].structured_content
    assert "statements mcp-postgres sent itself" in advice["note"] and "(not the workload)" in advice["note"]


async def test_the_app_sending_one_of_our_statements_first_keeps_it_listed(app_db: str) -> None:
    # The query id ignores comments: our call and the app's share one entry, whose text is the first one's.
    theirs, shared = "SELECT count(*) FROM orders WHERE id > $1", "SELECT count(*) FROM customers WHERE id > $1"
    with psycopg.connect(app_db, autocommit=True) as conn, psycopg.RawCursor(conn) as cur:
        cur.execute(theirs, (1,))
        cur.execute(mark(theirs), (2,))  # as mcp-postgres would send it
        cur.execute(mark(shared), (1,))
        cur.execute(shared, (2,))
    recorded = {r["query"]: r["calls"] for r in _recorded(app_db)}
    assert recorded[theirs] == 2  # the app's text came first: listed, our call counted with it
    assert recorded[f"{shared}\n{MARKER}"] == 2  # ours came first: the app's call is left out with ours


def test_the_marker_trails_the_statement() -> None:
    # PostgreSQL 18 drops a leading comment from the stored text; a `;` would end the text before the marker.
    assert mark("SELECT 1 ; \n") == f"SELECT 1\n{MARKER}"
    assert mark("SELECT 1 -- why") == f"SELECT 1 -- why\n{MARKER}"
