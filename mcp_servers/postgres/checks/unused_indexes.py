"""The unused-index check: never-used, low-scans/high-writes (over 64 MB) and seldom-used large indexes
(pg:diagnose's classes), judged against the age of the usage counters. Part of the `indexes` area."""

from __future__ import annotations

from typing import Any

from mcp_servers.common.results import Finding
from mcp_servers.postgres.checks.base import Check, DbFacts, Limits
from mcp_servers.postgres.checks.grading import all_clear
from mcp_servers.postgres.checks.index_keys import (
    ATTACHED,
    ENFORCES,
    FOREIGN_KEYS_SERVED,
    drop_index_fix,
    only_index_for,
)
from mcp_servers.postgres.checks.user_relations import mib, stats_age_text

__all__ = ["UNUSED_INDEXES", "UNUSED_INDEXES_SQL", "UnusedIndexLimits", "judge_unused"]


class UnusedIndexLimits(Limits):
    # pg-extras unused-indexes skips tables of 5 pages or less: an index there costs next to nothing.
    min_table_bytes: int = 5 * 8192
    # pg:diagnose "Low Scans, High Writes": index share of the table's scans < 10 %, > 100 writes,
    # at most one scan per write.
    low_scan_pct: float = 10.0
    min_writes: int = 100
    # pg:diagnose "Seldom Used Large Indexes": < 5 % of the table's scans and > 100 MB.
    seldom_scan_pct: float = 5.0
    seldom_min_bytes: int = 100_000_000
    # pg:diagnose applies "Low Scans, High Writes" only to indexes over 64 MB: a smaller one costs
    # little per write, and its few scans may be the ones that matter.
    low_scan_min_bytes: int = 64 * 1024 * 1024
    # Statistics younger than a day miss the daily cycle (nightly jobs, reports); our choice.
    min_stats_age_hours: float = 24.0
    # ...unless the table itself was scanned this often meanwhile without using the index: then the
    # evidence is there whatever the age (our choice; PgHero's slow-query floor is 100 calls).
    min_table_scans: int = 1000


# Sizes come from pg_relation_size only for the few indexes left after a cheap pre-filter on pg_class
# (relpages, live rows): opening 20,000 relations to measure them would take seconds.
UNUSED_INDEXES_SQL = f"""
WITH idx AS (
  SELECT s.schemaname AS schema, s.relname AS table, s.indexrelname AS index, s.idx_scan AS index_scans,
         s.indexrelid, s.relid, ic.relpages AS index_pages,
         coalesce(t.seq_scan, 0) + coalesce(t.idx_scan, 0) AS table_scans,
         t.n_tup_ins + t.n_tup_upd + t.n_tup_del AS table_writes, {FOREIGN_KEYS_SERVED} AS foreign_keys
  FROM pg_stat_user_indexes s
  JOIN pg_index i ON i.indexrelid = s.indexrelid
  JOIN pg_class ic ON ic.oid = s.indexrelid JOIN pg_class tc ON tc.oid = s.relid
  JOIN pg_stat_user_tables t ON t.relid = s.relid
  WHERE NOT i.indisunique AND i.indisvalid AND NOT {ENFORCES} AND NOT {ATTACHED}
    AND (tc.relpages::bigint * 8192 > %(min_table_bytes)s OR t.n_live_tup + t.n_dead_tup > 100)
), ratio AS (
  SELECT *, CASE WHEN table_scans = 0 THEN 0 ELSE 100.0 * index_scans / table_scans END AS index_scan_pct,
         CASE WHEN table_writes = 0 THEN index_scans::numeric ELSE index_scans::numeric / table_writes END AS scans_per_write
  FROM idx
  WHERE index_scans = 0
     OR (table_writes > %(min_writes)s AND index_scans <= table_writes
         AND index_scans < %(low_scan_pct)s / 100.0 * table_scans)
     OR (index_scans < %(seldom_scan_pct)s / 100.0 * table_scans)
), sized AS (
  SELECT *, pg_relation_size(indexrelid) AS index_bytes, pg_relation_size(relid) AS table_bytes FROM ratio
)
SELECT CASE WHEN index_scans = 0 THEN 'never used'
            WHEN scans_per_write <= 1 AND index_scan_pct < %(low_scan_pct)s THEN 'low scans, high writes'
            ELSE 'seldom used, large' END AS class,
       schema, "table", index, index_scans, round(index_scan_pct, 2)::float8 AS index_scan_pct,
       table_scans, table_writes, index_bytes, table_bytes, foreign_keys
FROM sized
WHERE table_bytes > %(min_table_bytes)s
  AND (index_scans = 0
       OR (scans_per_write <= 1 AND index_scan_pct < %(low_scan_pct)s AND table_writes > %(min_writes)s
           AND index_bytes > %(low_scan_min_bytes)s)
       OR (scans_per_write > 1 AND index_scan_pct < %(seldom_scan_pct)s AND index_bytes > %(seldom_min_bytes)s))
ORDER BY index_bytes DESC, schema, index
"""


def judge_unused(rows: list[dict[str, Any]], limits: UnusedIndexLimits, facts: DbFacts) -> tuple[list[dict[str, Any]], str | None]:
    """Copies of `rows` with `trusted` set, and why some are not trusted (None when statistics are old enough).

    Young statistics: a never-used index still counts when its table was scanned often meanwhile; the
    ratio classes need time (a bulk load alone makes every index "low scans, high writes").
    """
    age = facts.evidence_age_hours
    young = age is None or age < limits.min_stats_age_hours
    judged = [
        dict(r, trusted=not young or (r["class"] == "never used" and r["table_scans"] >= limits.min_table_scans))
        for r in rows
    ]
    if not young:
        return judged, None
    signal = stats_age_text(age) if facts.stats_reset is not None or age is None else \
        f"never reset, the server up {stats_age_text(age).replace(' old', '')}"
    reason = (
        f"statistics are {signal}: counted only never-used indexes whose table was "
        f"scanned >= {limits.min_table_scans} times meanwhile"
    )
    doubtful = sum(1 for r in judged if not r["trusted"])
    if doubtful:
        reason += f"; {doubtful} more show few scans but are too young to trust"
    return judged, reason


def _unused(rows: list[dict[str, Any]], limits: UnusedIndexLimits, facts: DbFacts) -> Finding:
    judged, reason = judge_unused(rows, limits, facts)
    backing = [dict(r, trusted=False, keep="only index for foreign key " + ", ".join(only_index_for(r)))
               for r in judged if only_index_for(r)]
    judged = [r for r in judged if not only_index_for(r)]
    trusted = [dict(r, fix=drop_index_fix(r)) for r in judged if r["trusted"]]
    doubtful = [r for r in judged if not r["trusted"]] + backing
    if backing:
        names = ", ".join(r["index"] for r in backing)
        reason = (reason + "; " if reason else "") + f"kept {names}: the only index behind a foreign key (see missing_fk_indexes)"
    threshold = (
        f"0 scans, or < {limits.low_scan_pct:g} % of table scans with more writes than scans (> {mib(limits.low_scan_min_bytes)}), or "
        f"< {limits.seldom_scan_pct:g} % and > {mib(limits.seldom_min_bytes)}; tables > {limits.min_table_bytes // 8192} pages"
    )
    if not trusted:
        return all_clear(summary="no unused indexes", value=0,
                       threshold=threshold, rows=doubtful, reason=reason)
    wasted = sum(r["index_bytes"] for r in trusted)
    return Finding(
        status="yellow",
        summary=f"{len(trusted)} index(es) unused or seldom used ({mib(wasted)}), costing every write",
        value=len(trusted), threshold=threshold, rows=trusted + doubtful, reason=reason,
    )


UNUSED_INDEXES = Check(
    name="unused_indexes", area="indexes", sql=UNUSED_INDEXES_SQL, evaluate=_unused, limits=UnusedIndexLimits(),
    remediation="Confirm on replicas too (their scans are not counted here), then run each row's fix "
    "(DROP INDEX CONCURRENTLY, outside a transaction block).",
    description="Never-used, low-scan/high-write and seldom-used large indexes (pg:diagnose classes).",
)
