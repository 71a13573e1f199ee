"""pg_activity and pg_top_queries through an MCP client, and against the SQL of `heroku pg:*` (pg-extras).

The reference queries below are those of heroku/cli's pg:long-running-queries, pg:blocking, pg:locks,
pg:outliers and pg:calls (public; heroku-pg-extras @ 964e167 has the same). Where a test changes one,
the comment says what and why.
"""

import psycopg
import pytest
from mcp import Client
from psycopg.rows import dict_row

from mcp_servers.postgres.seed.activity import SLOW_CALLS, LiveProblems, plant_server_problems
from mcp_servers.postgres.server import build_server
from mcp_servers.postgres.settings import PostgresSettings
from tests.conftest import PgCluster

pytestmark = pytest.mark.anyio

# pg:long-running-queries, with its `interval '5 minutes'` made a bind so seconds-old sessions qualify.
PG_LONG_RUNNING = """
SELECT pid, now() - pg_stat_activity.query_start AS duration, query AS query
FROM pg_stat_activity
WHERE pg_stat_activity.query <> ''::text
  AND state <> 'idle'
  AND now() - pg_stat_activity.query_start > %(min)s * interval '1 second'
ORDER BY now() - pg_stat_activity.query_start DESC
"""

# pg:blocking, verbatim: pairs matched on transaction id only.
PG_BLOCKING = """
SELECT bl.pid AS blocked_pid, ka.query AS blocking_statement, now() - ka.query_start AS blocking_duration,
       kl.pid AS blocking_pid, a.query AS blocked_statement, now() - a.query_start AS blocked_duration
FROM pg_catalog.pg_locks bl
JOIN pg_catalog.pg_stat_activity a ON bl.pid = a.pid
JOIN pg_catalog.pg_locks kl
  JOIN pg_catalog.pg_stat_activity ka ON kl.pid = ka.pid
ON bl.transactionid = kl.transactionid AND bl.pid != kl.pid
WHERE NOT bl.granted
"""

# pg:locks, verbatim: locks in mode ExclusiveLock (each transaction's own xid and virtual xid locks, and more).
PG_LOCKS = """
SELECT pg_stat_activity.pid, pg_class.relname, pg_locks.transactionid, pg_locks.granted,
       pg_stat_activity.query AS query_snippet, age(now(), pg_stat_activity.query_start) AS "age"
FROM pg_stat_activity, pg_locks LEFT OUTER JOIN pg_class ON (pg_locks.relation = pg_class.oid)
WHERE pg_stat_activity.query <> '<insufficient privilege>'
  AND pg_locks.pid = pg_stat_activity.pid
  AND pg_locks.mode = 'ExclusiveLock'
  AND pg_stat_activity.pid <> pg_backend_pid()
ORDER BY query_start
"""

# pg:outliers for PostgreSQL 17+ (shared_blk_*_time), without its LIMIT 10: it has no database filter,
# so on a server with other databases our database's statements may sit below the first ten.
PG_OUTLIERS = """
SELECT interval '1 millisecond' * total_exec_time AS total_exec_time,
       to_char((total_exec_time / sum(total_exec_time) OVER ()) * 100, 'FM90D0') || '%%' AS prop_exec_time,
       to_char(calls, 'FM999G999G999G990') AS ncalls,
       interval '1 millisecond' * (shared_blk_read_time + shared_blk_write_time) AS sync_io_time,
       query AS query
FROM pg_stat_statements WHERE userid = (SELECT usesysid FROM pg_user WHERE usename = current_user LIMIT 1)
ORDER BY total_exec_time DESC
"""
# pg:calls: the same, ordered by calls.
PG_CALLS = PG_OUTLIERS.replace("ORDER BY total_exec_time DESC", "ORDER BY calls DESC")


def server(url: str):
    return build_server(PostgresSettings(database_url=url))


def reference(url: str, sql: str, params: dict | None = None) -> list[dict]:
    with psycopg.connect(url, row_factory=dict_row) as conn:
        return conn.execute(sql, params).fetchall()


async def test_pg_activity_shows_each_kind_of_live_problem(fresh_db: str) -> None:
    with LiveProblems(fresh_db) as live:
        async with Client(server(fresh_db)) as client:
            results = {kind: await client.call_tool("pg_activity", {"kind": kind, "min_seconds": 0})
                       for kind in ("running", "long_running", "blocking", "locks", "exclusive_locks",
                                    "idle_in_transaction", "connections")}
    p = live.pids
    holder, worker, retry, report, export = (p["billing-api"], p["billing-worker"], p["billing-retry"],
                                             p["ledger-report"], p["nightly-export"])
    assert not any(r.is_error for r in results.values())
    data = {kind: r.structured_content for kind, r in results.items()}

    assert {s["pid"] for s in data["running"]["sessions"]} == {holder, worker, retry, report, export}
    assert {s["pid"] for s in data["long_running"]["sessions"]} == {worker, retry, report, export}
    assert [s["pid"] for s in data["idle_in_transaction"]["sessions"]] == [holder]
    waits = {s["pid"]: s["wait"] for s in data["running"]["sessions"]}
    assert waits[worker] == "Lock:transactionid" and waits[report] == "Lock:relation"

    assert {(x["blocked_pid"], x["blocking_pid"], x["lock_kind"]) for x in data["blocking"]["pairs"]} == {
        (worker, holder, "transactionid"), (retry, worker, "tuple"), (report, holder, "relation"),
    }
    assert data["blocking"]["summary"] == "3 sessions waiting on locks, 3 blocked/blocking pairs"
    tuple_pair = next(x for x in data["blocking"]["pairs"] if x["lock_kind"] == "tuple")
    assert tuple_pair["locked_object"].startswith("row (") and tuple_pair["locked_object"].endswith(") of wallets")
    assert data["exclusive_locks"]["summary"] == "1 table lock that blocks writes or reads; 1 session queued behind them"

    ledger = {(x["pid"], x["mode"], x["granted"]) for x in data["locks"]["locks"] if x["relation"] == "ledger_entries"}
    assert ledger == {(holder, "AccessExclusiveLock", True), (report, "AccessShareLock", False)}
    [exclusive] = data["exclusive_locks"]["locks"]
    assert (exclusive["pid"], exclusive["relation"], exclusive["waiting"]) == (holder, "ledger_entries", 1)

    groups = {g["application"]: g for g in data["connections"]["connections"]}
    assert groups["billing-api"]["idle_in_transaction"] == 1
    assert groups["nightly-export"]["active"] == 1
    assert data["connections"]["max_connections"] == 100

    text = results["blocking"].content[0].text
    assert f"pid {report} waits" in text and f"on ledger_entries (relation) held by pid {holder}" in text


async def test_pg_activity_agrees_with_pg_long_running_queries_blocking_and_locks(fresh_db: str) -> None:
    with LiveProblems(fresh_db) as live:
        ref_long = reference(fresh_db, PG_LONG_RUNNING, {"min": 0})
        ref_blocking = reference(fresh_db, PG_BLOCKING)
        ref_locks = reference(fresh_db, PG_LOCKS)
        async with Client(server(fresh_db)) as client:
            long_running = (await client.call_tool("pg_activity", {"kind": "long_running", "min_seconds": 0})).structured_content
            blocking = (await client.call_tool("pg_activity", {"kind": "blocking"})).structured_content
            locks = (await client.call_tool("pg_activity", {"kind": "locks"})).structured_content
    ours_pids = set(live.pids.values())

    # long-running: pg-extras counts every non-idle state; we count running queries and leave sessions
    # idle in a transaction to their own kind.
    ref_pids = {r["pid"] for r in ref_long} & ours_pids
    assert {s["pid"] for s in long_running["sessions"]} == ref_pids - {live.pids["billing-api"]}
    ref_seconds = {r["pid"]: r["duration"].total_seconds() for r in ref_long}
    for s in long_running["sessions"]:
        assert -0.1 <= s["seconds"] - ref_seconds[s["pid"]] < 5  # read a moment later (ours rounded to 0.1 s)

    # blocking: every pair pg:blocking finds, we find; we also find the tuple and relation waits it misses.
    ref_pairs = {(r["blocked_pid"], r["blocking_pid"]) for r in ref_blocking}
    our_pairs = {(x["blocked_pid"], x["blocking_pid"]): x["lock_kind"] for x in blocking["pairs"]}
    assert ref_pairs == {(live.pids["billing-worker"], live.pids["billing-api"])}
    assert ref_pairs < set(our_pairs)
    assert sorted(our_pairs[k] for k in set(our_pairs) - ref_pairs) == ["relation", "tuple"]

    # locks: our ExclusiveLock rows are pg:locks' rows (same pids, transaction ids and grant state).
    def key(pid, xid, granted):
        return (pid, None if xid is None else str(xid), granted)

    ref_exclusive = {key(r["pid"], r["transactionid"], r["granted"]) for r in ref_locks if r["pid"] in ours_pids}
    our_exclusive = {key(x["pid"], x["transactionid"], x["granted"]) for x in locks["locks"] if x["mode"] == "ExclusiveLock"}
    assert our_exclusive == ref_exclusive


async def test_pg_top_queries_agrees_with_pg_outliers_and_calls(fresh_db: str) -> None:
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        plant_server_problems(conn)
    async with Client(server(fresh_db)) as client:
        by_time = (await client.call_tool("pg_top_queries", {"order_by": "total_time", "limit": 5})).structured_content
        by_calls = await client.call_tool("pg_top_queries", {"order_by": "calls", "limit": 50})
    ref_outliers = reference(fresh_db, PG_OUTLIERS)
    ref_calls = reference(fresh_db, PG_CALLS)

    assert by_time["status"] == "ok"
    top = by_time["queries"][0]
    assert top["calls"] == SLOW_CALLS and top["query"].startswith("SELECT count(*), sum(amount_cents) FROM payments")
    same = [r for r in ref_outliers if r["query"] == top["query"]]
    assert any(int(r["ncalls"].replace(",", "")) == top["calls"]
               and abs(r["total_exec_time"].total_seconds() * 1000 - top["total_ms"]) <= 0.06 for r in same)  # ours to 0.1 ms
    assert by_time["total_exec_ms"] >= top["total_ms"]
    assert by_time["stats_note"].startswith("statistics cover only the last")

    calls = by_calls.structured_content["queries"]
    assert [q["calls"] for q in calls] == sorted((q["calls"] for q in calls), reverse=True)
    ref_by_text: dict[str, set[int]] = {}
    for r in ref_calls:  # we print each statement on one line
        ref_by_text.setdefault(" ".join(r["query"].split()), set()).add(int(r["ncalls"].replace(",", "")))
    # every statement we report for this database is one pg:calls reports for the server, with its count
    for q in calls:
        if q["query"] is not None and len(q["query"]) < 300:  # untruncated text compares exactly
            assert q["calls"] in ref_by_text[q["query"]], q["query"]
    assert "calls |" in by_calls.content[0].text


async def test_pg_top_queries_without_the_extension_says_how_to_enable_it(any_pg: PgCluster) -> None:
    url = any_pg.create_database("nostat")
    try:
        async with Client(server(url)) as client:
            result = await client.call_tool("pg_top_queries", {})
    finally:
        any_pg.drop_database(url)
    assert not result.is_error
    assert result.structured_content["status"] == "skipped"
    assert result.structured_content["reason"] == "skipped: extension pg_stat_statements is not installed"
    assert result.structured_content["remediation"].startswith("Enable it: CREATE EXTENSION pg_stat_statements;")
    assert result.content[0].text.startswith("skipped: extension pg_stat_statements is not installed. Fix: Enable it:")


async def test_pg_top_queries_when_the_library_is_not_preloaded_says_so(system_pg: PgCluster) -> None:
    url = system_pg.create_database("nopreload")
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION pg_stat_statements")
        async with Client(server(url)) as client:
            result = await client.call_tool("pg_top_queries", {"order_by": "io"})
    finally:
        system_pg.drop_database(url)
    assert result.structured_content["status"] == "skipped"
    assert result.structured_content["reason"] == "skipped: pg_stat_statements is installed but not loaded by the server"
    assert "shared_preload_libraries" in result.structured_content["remediation"]


async def test_pg_activity_rejects_an_unknown_kind(fresh_db: str) -> None:
    async with Client(server(fresh_db)) as client:
        result = await client.call_tool("pg_activity", {"kind": "everything"})
    assert result.is_error
    assert "running" in result.content[0].text and "connections" in result.content[0].text
