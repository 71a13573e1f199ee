"""Query statistics from pg_stat_statements: slow statement outliers and their share of the time.

The extension may live in any schema (Heroku used `heroku_ext` for databases created 2022-2023), so
the SQL is built from the facts: schema-qualified, current database only (`dbid`), and with the column
names of the server's version (PG 13 renamed `total_time` to `total_exec_time`; PG 17 renamed
`blk_read_time`/`blk_write_time` to `shared_blk_read_time`/`shared_blk_write_time`). Statistics age and
evictions come from `pg_stat_statements_info` (PG 14+).
"""

from __future__ import annotations

from typing import Any, Literal

from mcp_servers.common.results import Finding
from mcp_servers.postgres.checks.base import Check, DbFacts, Limits, Requires
from mcp_servers.postgres.checks.fixes import ident
from mcp_servers.postgres.checks.grading import all_clear
from mcp_servers.postgres.checks.session_rows import many, query_text
from mcp_servers.postgres.own_statements import ours

__all__ = ["CHECKS", "ORDERS", "SLOW_QUERIES", "TEMP_FILE_SPILL", "OrderBy", "own_note", "statements_sql"]

OrderBy = Literal["total_time", "mean_time", "calls", "io"]
ORDERS: dict[str, str] = {  # fixed ORDER BY clauses, chosen from a Literal (never caller text)
    "total_time": "s.total_ms DESC",
    "mean_time": "s.mean_ms DESC",
    "calls": "s.calls DESC",
    "io": "s.io_ms DESC, s.shared_blks_read DESC",
}


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def statements_sql(facts: DbFacts, order_by: OrderBy = "total_time", *, slow_only: bool = False) -> str:
    """pg_stat_statements rows of the current database, with each statement's share of the total time.

    The statements mcp-postgres sent itself (own_statements.py) are left out of the rows and the
    totals; the header counts them. Always returns at least one row: the statistics header
    (`stats_reset`, `dealloc`, `statements`, `all_ms`, `own_statements`, `own_ms`) with NULL
    statement columns when no statement matches. Binds: `%(limit)s`, and with
    `slow_only` also `%(min_calls)s` and `%(min_mean_ms)s`.
    """
    schema = _ident(facts.extension_schema("pg_stat_statements") or "public")
    v = facts.server_version_num
    total, mean = ("total_exec_time", "mean_exec_time") if v >= 130000 else ("total_time", "mean_time")
    io = "shared_blk_read_time + shared_blk_write_time" if v >= 170000 else "blk_read_time + blk_write_time"
    toplevel = "toplevel" if v >= 140000 else "true"
    if v >= 140000:
        info = f"SELECT stats_reset, dealloc FROM {schema}.pg_stat_statements_info"
    else:
        info = "SELECT NULL::timestamptz AS stats_reset, NULL::bigint AS dealloc"
    slow = "AND s.calls >= %(min_calls)s AND s.mean_ms >= %(min_mean_ms)s::float8" if slow_only else ""
    return f"""
WITH s AS (
    SELECT queryid, userid, query, calls, {total} AS total_ms, {mean} AS mean_ms, rows,
           shared_blks_hit, shared_blks_read, {io} AS io_ms, {toplevel} AS toplevel, {ours("query")} AS ours
    FROM {schema}.pg_stat_statements
    WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
), head AS (
    SELECT i.stats_reset, i.dealloc, t.statements, t.all_ms, t.own_statements, t.own_ms
    FROM ({info}) i,
         (SELECT count(*) FILTER (WHERE NOT ours) AS statements,
                 coalesce(sum(total_ms) FILTER (WHERE toplevel AND NOT ours), 0)::float8 AS all_ms,
                 count(*) FILTER (WHERE ours) AS own_statements,
                 round(coalesce(sum(total_ms) FILTER (WHERE toplevel AND ours), 0)::numeric, 1)::float8 AS own_ms
          FROM s) t
)
SELECT head.*, q.*
FROM head LEFT JOIN LATERAL (
    SELECT s.queryid::text AS queryid, r.rolname AS username, s.query, s.calls,
           round(s.total_ms::numeric, 1)::float8 AS total_ms, round(s.mean_ms::numeric, 2)::float8 AS mean_ms,
           s.rows, round((100 * s.total_ms / nullif(head.all_ms, 0))::numeric, 2)::float8 AS share_pct,
           round(s.io_ms::numeric, 1)::float8 AS io_ms, s.shared_blks_read, s.shared_blks_hit,
           round((100.0 * s.shared_blks_hit / nullif(s.shared_blks_hit + s.shared_blks_read, 0))::numeric, 2)::float8
               AS cache_hit_pct,
           s.toplevel
    FROM s LEFT JOIN pg_roles r ON r.oid = s.userid
    WHERE NOT s.ours {slow}
    ORDER BY {ORDERS[order_by]}
    LIMIT %(limit)s
) q ON true
"""


def statements(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The statement rows of `statements_sql` (header columns dropped, query text truncated)."""
    head = {"stats_reset", "dealloc", "statements", "all_ms", "own_statements", "own_ms"}
    return [
        {k: (query_text(v) if k == "query" else v) for k, v in r.items() if k not in head}
        for r in rows if r.get("queryid") is not None
    ]


def stats_note(rows: list[dict[str, Any]], facts: DbFacts) -> str | None:
    """Why the statistics may be incomplete: recently reset, or statements evicted."""
    head = rows[0] if rows else {}
    notes = []
    if head.get("stats_reset") is not None:
        hours = (facts.now - head["stats_reset"]).total_seconds() / 3600
        if hours < 24:
            span = many(max(1, round(hours * 60)), "minute") if hours < 1 else f"{hours:.1f} hours"
            notes.append(f"statistics cover only the last {span} (reset {head['stats_reset'].isoformat(timespec='minutes')})")
    if head.get("dealloc"):
        notes.append(f"{head['dealloc']} times statements were evicted (pg_stat_statements.max reached)")
    return "; ".join(notes) or None


def own_note(count: int | None, ms: float | None) -> str | None:
    """How many statements mcp-postgres sent itself were left out (the header's `own_statements`, `own_ms`)."""
    return f"left out {many(count, 'statement')} mcp-postgres sent itself ({ms or 0:g} ms)" if count else None


class SlowQueryLimits(Limits):
    # PgHero slow_query_ms = 20 and slow_query_calls = 100 (its "Slow queries" dashboard check).
    min_mean_ms: float = 20.0
    min_calls: int = 100
    # Our red: slow statements together take at least half of the database's execution time.
    red_share_pct: float = 50.0
    limit: int = 10
    # A statement touching fewer shared blocks per call than this spends its time computing or waiting
    # (functions, sleeps, locks), not reading: no index will help it (our choice: 100 blocks = 800 kB).
    io_bound_blocks_per_call: float = 100.0


def slow_query_fix(row: dict[str, Any], limits: SlowQueryLimits) -> str:
    blocks = ((row["shared_blks_hit"] or 0) + (row["shared_blks_read"] or 0)) / max(row["calls"] or 1, 1)
    if blocks < limits.io_bound_blocks_per_call:
        return (f"reads only {blocks:.0f} blocks per call: its time goes to computation or waiting (a function, a "
                f"sleep, a lock), which no index fixes; pg_explain the statement (estimated plan) to find the function, "
                f"or cache its result (queryid {row['queryid']})")
    return (f"reads {blocks:.0f} blocks per call: pg_explain the statement (estimated plan) and index the columns "
            f"its largest Seq Scan filters on (queryid {row['queryid']})")


def _slow_queries(rows: list[dict[str, Any]], limits: SlowQueryLimits, facts: DbFacts) -> Finding:
    found = statements(rows)
    head = rows[0] if rows else {}
    note = "; ".join(n for n in (stats_note(rows, facts), own_note(head.get("own_statements"), head.get("own_ms"))) if n) or None
    threshold = (f"yellow: mean >= {limits.min_mean_ms:g} ms over >= {limits.min_calls} calls; "
                 f"red: those take >= {limits.red_share_pct:g}% of the time")
    if not found:
        return all_clear(value=0, threshold=threshold, reason=note,
                       summary=f"no statement averages {limits.min_mean_ms:g} ms or more over {limits.min_calls}+ calls")
    found = [dict(r, fix=slow_query_fix(r, limits)) for r in found]
    share = round(sum(r["share_pct"] or 0 for r in found), 1)
    worst = max(found, key=lambda r: r["mean_ms"])
    return Finding(
        status="red" if share >= limits.red_share_pct else "yellow", value=len(found),
        threshold=threshold, rows=found, reason=note,
        summary=f"{many(len(found), 'slow statement')} ({share}% of execution time); the slowest averages "
        f"{worst['mean_ms']:g} ms over {worst['calls']} calls",
    )


SLOW_QUERIES = Check(
    name="slow_queries", area="queries",
    sql=lambda facts: statements_sql(facts, "total_time", slow_only=True),
    evaluate=_slow_queries, limits=SlowQueryLimits(),
    requires=Requires(extensions=("pg_stat_statements",)),
    remediation="Follow each row's fix: statements that read many blocks want an index (pg_explain shows where), "
    "statements that read few are computing or waiting; pg_top_queries shows the rest of the workload.",
    description="Statements whose mean time and call count cross PgHero's slow-query thresholds.",
)



def temp_spill_sql(facts: DbFacts) -> str:
    """The database's temp-file totals (pg_stat_database), with the statements that write the most temp
    blocks per call when pg_stat_statements is installed (binds: min_temp_mb_per_call, limit)."""
    schema = facts.extension_schema("pg_stat_statements")
    if schema is None:
        statements = "SELECT NULL::text AS queryid, NULL::text AS username, NULL::text AS query, NULL::bigint AS calls, " \
                     "NULL::float8 AS temp_mb_per_call WHERE false"
    else:
        statements = f"""
    SELECT s.queryid::text AS queryid, r.rolname AS username, s.query, s.calls,
           round((s.temp_blks_written * current_setting('block_size')::numeric / 1048576 / s.calls), 1)::float8 AS temp_mb_per_call
    FROM {_ident(schema)}.pg_stat_statements s LEFT JOIN pg_roles r ON r.oid = s.userid
    WHERE s.dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND s.calls > 0
      AND NOT {ours("s.query")}
      AND s.temp_blks_written * current_setting('block_size')::numeric / 1048576 / s.calls >= %(min_temp_mb_per_call)s
    ORDER BY temp_mb_per_call DESC LIMIT %(limit)s"""
    return f"""
SELECT d.temp_files, d.temp_bytes, current_setting('work_mem') AS work_mem, q.*
FROM pg_stat_database d LEFT JOIN LATERAL ({statements}) q ON true
WHERE d.datname = current_database()
"""


class TempSpillLimits(Limits):
    # Our choices: a statement writing 8 MB of temp files per call sorts or hashes on disk every time
    # (more work_mem, or an index that returns rows in order, fixes it); without pg_stat_statements the
    # database's own total past 1 GB since the statistics reset says the same, less precisely.
    min_temp_mb_per_call: float = 8.0
    yellow_database_bytes: int = 1024**3
    limit: int = 10


def _temp_spill(rows: list[dict[str, Any]], limits: TempSpillLimits, facts: DbFacts) -> Finding:
    head = rows[0] if rows else {"temp_files": 0, "temp_bytes": 0, "work_mem": "?"}
    total = f"{head['temp_files']:,} temp files, {head['temp_bytes'] / 1048576:.1f} MB since the statistics reset"
    threshold = (f"a statement writing >= {limits.min_temp_mb_per_call:g} MB of temp files per call; or, without "
                 f"pg_stat_statements, >= {limits.yellow_database_bytes / 1048576:g} MB in all")
    spilling = [r for r in rows if r.get("queryid") is not None]
    if spilling:
        found = []
        for r in spilling:
            need = max(16, int(2 * r["temp_mb_per_call"]))
            role = f"ALTER ROLE {ident(r['username'])}" if r["username"] else "ALTER ROLE CURRENT_USER"
            found.append({k: (query_text(v) if k == "query" else v) for k, v in r.items()
                          if k not in ("temp_files", "temp_bytes", "work_mem")}
                         | {"fix": f"SET LOCAL work_mem = '{need}MB'; in the transaction that runs it, or {role} SET "
                                   f"work_mem = '{need}MB'; (every session of that role may use it per sort)"})
        return Finding(
            status="yellow", value=len(found), threshold=threshold, rows=found,
            summary=f"{many(len(found), 'statement')} spill sorts or hashes to disk (up to {found[0]['temp_mb_per_call']:g} MB "
            f"per call, work_mem = {head['work_mem']}); {total}",
        )
    if facts.extension_schema("pg_stat_statements") is None and head["temp_bytes"] >= limits.yellow_database_bytes:
        return Finding(status="yellow", value=head["temp_bytes"], threshold=threshold,
                       summary=f"{total} (work_mem = {head['work_mem']})", rows=[dict(head)],
                       remediation="CREATE EXTENSION pg_stat_statements; to see which statements spill, then raise "
                       "work_mem for them.")
    return all_clear(value=head["temp_bytes"], threshold=threshold,
                   summary=f"no statement spills {limits.min_temp_mb_per_call:g} MB per call to disk; {total}")


TEMP_FILE_SPILL = Check(
    name="temp_file_spill", area="queries", sql=temp_spill_sql, evaluate=_temp_spill, limits=TempSpillLimits(),
    remediation="Give the spilling statements more work_mem (each row's fix), or an index that returns rows already sorted.",
    description="Sorts and hashes spilled to temp files: pg_stat_database totals, temp_blks_written per statement.",
)

CHECKS: tuple[Check, ...] = (SLOW_QUERIES, TEMP_FILE_SPILL)
