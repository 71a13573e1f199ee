"""Table checks: bloat, cache hit rate, index usage (tables missing an index), dead rows and vacuum, analyze.

The `*_BASE_SQL` constants are also what `pg_table_stats` lists (one place per query); the checks add
their thresholds as binds.
"""

from __future__ import annotations

from typing import Any

from mcp_servers.common.results import Finding
from mcp_servers.postgres.checks.base import Check, DbFacts, Limits
from mcp_servers.postgres.checks.bloat import TABLE_BLOAT_SQL, BloatLimits, bloat_finding
from mcp_servers.postgres.checks.fixes import qualified
from mcp_servers.postgres.checks.grading import all_clear, listing
from mcp_servers.postgres.checks.hit_rate import HitRateLimits, hit_rate_finding, hit_rate_sql

__all__ = [
    "CHECKS", "INDEX_USAGE_BASE_SQL", "NEVER_ANALYZED_TABLES", "TABLE_BLOAT", "TABLE_HIT_RATE",
    "TABLE_HIT_RATE_SQL", "TABLE_INDEX_USAGE", "VACUUM_DEAD_ROWS", "vacuum_base_sql",
]

TABLE_BLOAT = Check(
    name="table_bloat", area="tables", sql=TABLE_BLOAT_SQL,
    evaluate=lambda rows, limits, facts: bloat_finding("table", rows, limits),
    limits=BloatLimits(),
    remediation=(
        "VACUUM only makes the space reusable; to give it back rewrite the table: pg_repack (no long lock), or "
        "each row's fix, VACUUM FULL (takes an ACCESS EXCLUSIVE lock for the duration)."
    ),
    description="Estimated wasted space in tables (pg:diagnose: factor > 10 and > 64 MB is red).",
)

TABLE_HIT_RATE_SQL = hit_rate_sql("heap_blks")

TABLE_HIT_RATE = Check(
    name="table_hit_rate", area="tables", sql=TABLE_HIT_RATE_SQL,
    evaluate=lambda rows, limits, facts: hit_rate_finding("table", rows, limits),
    limits=HitRateLimits(),
    remediation="The working set does not fit in memory: cut bloat and seq scans, or move to a plan with more RAM.",
    description="Share of table block reads served from shared buffers (pg:diagnose / PgHero 99 %).",
)

INDEX_USAGE_BASE_SQL = """
SELECT schemaname AS schema, relname AS table, n_live_tup AS live_rows, seq_scan, coalesce(idx_scan, 0) AS idx_scan,
       seq_tup_read, round(100.0 * coalesce(idx_scan, 0) / nullif(seq_scan + coalesce(idx_scan, 0), 0), 1)::float8
         AS index_usage_pct, pg_relation_size(relid) AS table_bytes
FROM pg_stat_user_tables
"""


class IndexUsageLimits(Limits):
    # PgHero "missing indexes": index use below 95 % on tables of at least 10,000 rows.
    min_usage_pct: float = 95.0
    min_rows: int = 10_000
    # A handful of seq scans (a dump, a one-off report) is not a pattern (our choice).
    min_seq_scans: int = 100
    # pg:diagnose checks index use on tables over 64 MB: there a missing index is red.
    red_table_bytes: int = 64 * 1024 * 1024


TABLE_INDEX_USAGE_SQL = f"""
SELECT * FROM ({INDEX_USAGE_BASE_SQL}) u
WHERE live_rows >= %(min_rows)s AND seq_scan >= %(min_seq_scans)s AND coalesce(index_usage_pct, 0) < %(min_usage_pct)s
ORDER BY seq_tup_read DESC, schema, "table"
"""


def _index_usage(rows: list[dict[str, Any]], limits: IndexUsageLimits, facts: DbFacts) -> Finding:
    return listing(
        rows, clear="large tables are read through indexes",
        threshold=f"< {limits.min_usage_pct:g} % index scans on tables >= {limits.min_rows} rows and >= {limits.min_seq_scans} seq scans",
        status="red" if any(r["table_bytes"] >= limits.red_table_bytes for r in rows) else "yellow",
        fix=lambda r: f"pg_top_queries order_by=io, find the statements that scan {qualified(r['schema'], r['table'])}, "
        "pg_explain them, then CREATE INDEX CONCURRENTLY on their WHERE / JOIN columns",
        summary=lambda found: f"{len(found)} large table(s) mostly read by sequential scans (likely a missing index)",
    )


TABLE_INDEX_USAGE = Check(
    name="table_index_usage", area="tables", sql=TABLE_INDEX_USAGE_SQL, evaluate=_index_usage,
    limits=IndexUsageLimits(),
    remediation=(
        "Find the queries that scan it (pg_top_queries), EXPLAIN them, and CREATE INDEX CONCURRENTLY on the "
        "columns of their WHERE / JOIN clauses."
    ),
    description="Tables read mostly by sequential scans: a missing index (PgHero < 95 % on >= 10k rows).",
)


def vacuum_base_sql(server_version_num: int) -> str:
    """Per-table dead rows against the autovacuum trigger point, honouring per-table reloptions.

    Autovacuum vacuums a table once dead rows exceed threshold + scale_factor * reltuples (capped by
    autovacuum_vacuum_max_threshold from PostgreSQL 18 on).
    """
    raw = (
        "coalesce(o_thr::float8, current_setting('autovacuum_vacuum_threshold')::float8) + "
        "coalesce(o_sf::float8, current_setting('autovacuum_vacuum_scale_factor')::float8) * reltuples"
    )
    if server_version_num >= 180000:
        cap = "coalesce(o_max::float8, current_setting('autovacuum_vacuum_max_threshold')::float8)"
        trigger = f"CASE WHEN {cap} >= 0 THEN least({raw}, {cap}) ELSE {raw} END"
    else:
        trigger = raw
    opt = "(SELECT option_value FROM pg_options_to_table(c.reloptions) WHERE option_name = '{}')"
    return f"""
SELECT schema, "table", live_rows, dead_rows, round(100.0 * dead_rows / nullif(live_rows + dead_rows, 0), 1)::float8 AS dead_pct,
       ({trigger})::bigint AS autovacuum_threshold, dead_rows > ({trigger}) AS expect_autovacuum, autovacuum_enabled,
       last_vacuum, last_autovacuum, last_analyze, last_autoanalyze, modified_since_analyze
FROM (
  SELECT s.schemaname AS schema, s.relname AS table, s.n_live_tup AS live_rows, s.n_dead_tup AS dead_rows,
         s.n_mod_since_analyze AS modified_since_analyze, s.last_vacuum, s.last_autovacuum, s.last_analyze,
         s.last_autoanalyze, greatest(c.reltuples, 0)::float8 AS reltuples,
         {opt.format('autovacuum_vacuum_threshold')} AS o_thr, {opt.format('autovacuum_vacuum_scale_factor')} AS o_sf,
         {opt.format('autovacuum_vacuum_max_threshold') if server_version_num >= 180000 else 'NULL'} AS o_max,
         current_setting('autovacuum')::bool AND coalesce({opt.format('autovacuum_enabled')}::bool, true) AS autovacuum_enabled
  FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
) t
"""


class VacuumLimits(Limits):
    # Fewer dead rows than this are noise whatever the ratio (our choice).
    min_dead_rows: int = 1000
    # Autovacuum should start at 1x its trigger; at 2x it is falling behind or being blocked (our choice).
    behind_factor: float = 2.0


def _vacuum_sql(facts: DbFacts) -> str:
    return f"""
SELECT * FROM ({vacuum_base_sql(facts.server_version_num)}) v
WHERE dead_rows >= %(min_dead_rows)s AND expect_autovacuum
ORDER BY dead_rows DESC, schema, "table"
"""


def _vacuum_fix(row: dict[str, Any]) -> str:
    table = qualified(row["schema"], row["table"])
    fix = f"VACUUM (ANALYZE) {table};"
    if not row["autovacuum_enabled"]:
        fix += f" ALTER TABLE {table} RESET (autovacuum_enabled);"
    return fix


def _vacuum(rows: list[dict[str, Any]], limits: VacuumLimits, facts: DbFacts) -> Finding:
    threshold = (
        f"red: dead rows over the autovacuum trigger with autovacuum off; yellow: over {limits.behind_factor:g}x the "
        f"trigger; at least {limits.min_dead_rows} dead rows"
    )
    rows = [dict(r, fix=_vacuum_fix(r)) for r in rows]
    stuck = [r for r in rows if not r["autovacuum_enabled"]]
    behind = [r for r in rows if r["autovacuum_enabled"] and r["dead_rows"] > limits.behind_factor * r["autovacuum_threshold"]]
    dead = sum(r["dead_rows"] for r in rows)
    if stuck:
        return Finding(
            status="red", value=dead, threshold=threshold, rows=stuck + behind,
            summary=f"{len(stuck)} table(s) past the autovacuum trigger with autovacuum disabled: dead rows only grow",
            remediation="Run each row's fix: VACUUM now, then re-enable autovacuum on the table (RESET autovacuum_enabled).",
        )
    if behind:
        return Finding(
            status="yellow", value=dead, threshold=threshold, rows=behind,
            summary=f"{len(behind)} table(s) at over {limits.behind_factor:g}x the autovacuum trigger: autovacuum is behind",
        )
    summary = f"{len(rows)} table(s) due for autovacuum shortly" if rows else "no table past its autovacuum trigger"
    return all_clear(value=dead, threshold=threshold, summary=summary, rows=rows)


VACUUM_DEAD_ROWS = Check(
    name="vacuum_dead_rows", area="tables", sql=_vacuum_sql, evaluate=_vacuum, limits=VacuumLimits(),
    remediation=(
        "Look for what holds vacuum back (long transactions, idle in transaction, stale replication slots); "
        "run each row's fix (VACUUM (ANALYZE)); consider a lower autovacuum_vacuum_scale_factor on that table."
    ),
    description="Dead rows against each table's autovacuum trigger, with reloptions (pg-extras vacuum_stats).",
)


class AnalyzeLimits(Limits):
    # Autovacuum analyzes after 50 + 10 % changed rows; a table of 1,000+ rows with no statistics at
    # all means the planner guesses (our floor).
    min_rows: int = 1000


NEVER_ANALYZED_SQL = """
SELECT s.schemaname AS schema, s.relname AS table, s.n_live_tup AS live_rows, s.n_mod_since_analyze AS modified_since_analyze,
       s.last_analyze, s.last_autoanalyze
FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
WHERE c.relkind = 'r' AND greatest(s.n_live_tup, s.n_mod_since_analyze) >= %(min_rows)s
  AND NOT EXISTS (SELECT 1 FROM pg_stats p WHERE p.schemaname = s.schemaname AND p.tablename = s.relname)
ORDER BY s.n_live_tup DESC, s.schemaname, s.relname
"""


def _never_analyzed(rows: list[dict[str, Any]], limits: AnalyzeLimits, facts: DbFacts) -> Finding:
    return listing(
        rows, threshold=f"no planner statistics on a table of >= {limits.min_rows} rows",
        clear="every sizeable table has planner statistics", fix=lambda r: f"ANALYZE {qualified(r['schema'], r['table'])};",
        summary=lambda found: f"{len(found)} table(s) without planner statistics: the planner guesses their row counts",
    )


NEVER_ANALYZED_TABLES = Check(
    name="never_analyzed_tables", area="tables", sql=NEVER_ANALYZED_SQL, evaluate=_never_analyzed,
    limits=AnalyzeLimits(),
    remediation="Run each row's fix (ANALYZE); check that autovacuum is on (SHOW autovacuum) and not disabled for it.",
    description="Tables with rows but no planner statistics (never analyzed; PgHero maintenance page).",
)

CHECKS: tuple[Check, ...] = (TABLE_BLOAT, TABLE_HIT_RATE, TABLE_INDEX_USAGE, VACUUM_DEAD_ROWS, NEVER_ANALYZED_TABLES)
