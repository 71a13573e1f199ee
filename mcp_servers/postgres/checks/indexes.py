"""Index checks: unused, duplicate, invalid, mostly-NULL, missing foreign-key indexes, bloat, hit rate.

Each SQL constant here is also what `pg_index_stats` runs for the matching kind (one place per query).
"""

from __future__ import annotations

from typing import Any

from mcp_servers.common.results import Finding
from mcp_servers.postgres.checks.base import Check, DbFacts, Limits, Requires
from mcp_servers.postgres.checks.bloat import INDEX_BLOAT_SQL, BloatLimits, bloat_finding
from mcp_servers.postgres.checks.common import USER_SCHEMA, HitRateLimits, hit_rate_finding, hit_rate_sql, mib, stats_age_text
from mcp_servers.postgres.checks.fixes import column_list, ident, qualified

__all__ = [
    "CHECKS", "judge_unused", "UNUSED_INDEXES", "DUPLICATE_INDEXES", "INVALID_INDEXES", "NULL_INDEXES",
    "MISSING_FK_INDEXES", "INDEX_BLOAT", "INDEX_HIT_RATE",
    "UNUSED_INDEXES_SQL", "DUPLICATE_INDEXES_SQL", "INVALID_INDEXES_SQL", "NULL_INDEXES_SQL",
    "MISSING_FK_INDEXES_SQL", "INDEX_HIT_RATE_SQL",
]

# Indexes that enforce something (primary key, unique, exclusion constraint) are never "unused".
_ENFORCES = "EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid AND k.contype IN ('p', 'u', 'x'))"
# A partition's index attached to its parent's index cannot be dropped on its own (DROP INDEX refuses).
_ATTACHED = "EXISTS (SELECT 1 FROM pg_inherits h WHERE h.inhrelid = i.indexrelid)"


def _serves(index: str, con: str = "con") -> str:
    """SQL: index alias `index` (a pg_index row) can serve foreign key `con`: its leading key columns
    are the foreign key's columns, in any order, with no predicate (what missing_fk_indexes asks)."""
    lead = f"(string_to_array({index}.indkey::text, ' ')::int2[])[1:cardinality({con}.conkey)]"
    return (f"{index}.indrelid = {con}.conrelid AND {index}.indisvalid AND {index}.indpred IS NULL "
            f"AND {index}.indnkeyatts >= cardinality({con}.conkey) AND {lead} @> {con}.conkey AND {lead} <@ {con}.conkey")


# The foreign keys index `i` serves, each with every valid index that serves it: an index that is the
# only one behind a foreign key is never advised for dropping, and the final consistency pass keeps
# one of several when all of them are.
FOREIGN_KEYS_SERVED = f"""(SELECT coalesce(json_agg(json_build_object('constraint', con.conname,
        'served_by', (SELECT json_agg(oc.relname ORDER BY oc.relname) FROM pg_index o JOIN pg_class oc ON oc.oid = o.indexrelid
                      WHERE {_serves("o")}))), '[]')
     FROM pg_constraint con WHERE con.contype = 'f' AND {_serves("i")})"""


def only_index_for(row: dict[str, Any]) -> list[str]:
    """Foreign keys for which `row['index']` is the only serving index."""
    return [fk["constraint"] for fk in row.get("foreign_keys") or [] if fk["served_by"] == [row["index"]]]


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
  WHERE NOT i.indisunique AND i.indisvalid AND NOT {_ENFORCES} AND NOT {_ATTACHED}
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


def drop_index_fix(row: dict[str, Any]) -> str:
    return f"DROP INDEX CONCURRENTLY {qualified(row['schema'], row['index'])};"


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
        return Finding(check="unused_indexes", status="green", summary="no unused indexes", value=0,
                       threshold=threshold, rows=doubtful, reason=reason)
    wasted = sum(r["index_bytes"] for r in trusted)
    return Finding(
        check="unused_indexes", status="yellow",
        summary=f"{len(trusted)} index(es) unused or seldom used ({mib(wasted)}), costing every write",
        value=len(trusted), threshold=threshold, rows=trusted + doubtful, reason=reason,
    )


UNUSED_INDEXES = Check(
    name="unused_indexes", area="indexes", sql=UNUSED_INDEXES_SQL, evaluate=_unused, limits=UnusedIndexLimits(),
    remediation="Confirm on replicas too (their scans are not counted here), then run each row's fix "
    "(DROP INDEX CONCURRENTLY, outside a transaction block).",
    description="Never-used, low-scan/high-write and seldom-used large indexes (pg:diagnose classes).",
)

_INDEX_LIST = f"""
SELECT i.indexrelid, i.indrelid, n.nspname AS schema, tc.relname AS table, ic.relname AS index, ic.relam,
       i.indisunique AS is_unique, {_ENFORCES} AS enforces, i.indnatts = i.indnkeyatts AS no_include,
       (string_to_array(i.indkey::text, ' ')::int2[])[1:i.indnkeyatts] AS keys,
       (string_to_array(i.indclass::text, ' ')::oid[])[1:i.indnkeyatts] AS opclasses,
       coalesce(pg_get_expr(i.indexprs, i.indrelid), '') AS exprs,
       coalesce(pg_get_expr(i.indpred, i.indrelid), '') AS pred,
       pg_stat_get_numscans(i.indexrelid) AS scans, {_ATTACHED} AS attached, {FOREIGN_KEYS_SERVED} AS foreign_keys
FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_class tc ON tc.oid = i.indrelid
JOIN pg_namespace n ON n.oid = tc.relnamespace
WHERE i.indisvalid AND {USER_SCHEMA}
"""

# `a` is redundant when `b` covers it: same table, method, expressions and predicate; a's key columns
# (and operator classes) equal b's, or (btree only) are a leading prefix of them. Indexes that enforce
# a constraint, and unique ones that b does not replace, stay. Of two equal indexes the one with fewer
# scans (then the newer) is the redundant one, so this agrees with unused_indexes.
DUPLICATE_INDEXES_SQL = f"""
WITH idx AS ({_INDEX_LIST})
SELECT a.schema, a.table, a.index, pg_get_indexdef(a.indexrelid) AS definition,
       b.index AS covered_by, pg_get_indexdef(b.indexrelid) AS covering_definition,
       pg_relation_size(a.indexrelid) AS index_bytes, a.foreign_keys
FROM idx a JOIN idx b ON b.indrelid = a.indrelid AND b.indexrelid <> a.indexrelid AND b.relam = a.relam
     AND b.exprs = a.exprs AND b.pred = a.pred
     AND b.keys[1:cardinality(a.keys)] = a.keys AND b.opclasses[1:cardinality(a.opclasses)] = a.opclasses
WHERE a.no_include AND NOT a.enforces AND NOT a.attached
  AND (NOT a.is_unique OR (b.is_unique AND b.keys = a.keys))
  AND (
    (cardinality(a.keys) < cardinality(b.keys) AND a.relam = (SELECT oid FROM pg_am WHERE amname = 'btree'))
    OR (b.keys = a.keys AND (b.enforces OR (b.is_unique AND NOT a.is_unique)
                             OR (b.is_unique = a.is_unique AND b.no_include
                                 AND (a.scans, b.indexrelid) < (b.scans, a.indexrelid))))
  )
ORDER BY index_bytes DESC, a.schema, a.index
"""


def _duplicates(rows: list[dict[str, Any]], limits: Limits, facts: DbFacts) -> Finding:
    # Several covering indexes may match one redundant index: report each redundant index once.
    seen: dict[str, dict[str, Any]] = {}
    for r in rows:
        seen.setdefault(f"{r['schema']}.{r['index']}", r)
    found = [dict(r, fix=drop_index_fix(r)) for r in seen.values()]
    if not found:
        return Finding(check="duplicate_indexes", status="green", summary="no duplicate indexes", value=0, threshold="any")
    return Finding(
        check="duplicate_indexes", status="yellow",
        summary=f"{len(found)} index(es) duplicated by another ({mib(sum(r['index_bytes'] for r in found))})",
        value=len(found), threshold="any", rows=found,
    )


DUPLICATE_INDEXES = Check(
    name="duplicate_indexes", area="indexes", sql=DUPLICATE_INDEXES_SQL, evaluate=_duplicates,
    remediation="The covering index serves the same queries: run each row's fix (DROP INDEX CONCURRENTLY).",
    description="Indexes whose columns equal, or are a btree prefix of, another index's (PgHero rule).",
)

INVALID_INDEXES_SQL = f"""
SELECT n.nspname AS schema, tc.relname AS table, ic.relname AS index, pg_get_indexdef(i.indexrelid) AS definition,
       i.indisunique AS is_unique, pg_relation_size(i.indexrelid) AS index_bytes
FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_class tc ON tc.oid = i.indrelid
JOIN pg_namespace n ON n.oid = tc.relnamespace
WHERE NOT i.indisvalid AND {USER_SCHEMA}
  AND NOT EXISTS (SELECT 1 FROM pg_stat_progress_create_index p WHERE p.index_relid = i.indexrelid)
ORDER BY n.nspname, ic.relname
"""


def _invalid(rows: list[dict[str, Any]], limits: Limits, facts: DbFacts) -> Finding:
    if not rows:
        return Finding(check="invalid_indexes", status="green", summary="no invalid indexes", value=0, threshold="any")
    fixed = [dict(r, fix=f"REINDEX INDEX CONCURRENTLY {qualified(r['schema'], r['index'])};" if not r["is_unique"]
                  else f"{drop_index_fix(r)} -- then remove the duplicate rows and run: {r['definition'].replace(' INDEX ', ' INDEX CONCURRENTLY ', 1)};")
             for r in rows]
    return Finding(
        check="invalid_indexes", status="yellow",
        summary=f"{len(rows)} invalid index(es): never used by queries, still maintained on every write",
        value=len(rows), threshold="any", rows=fixed,
    )


INVALID_INDEXES = Check(
    name="invalid_indexes", area="indexes", sql=INVALID_INDEXES_SQL, evaluate=_invalid,
    requires=Requires(min_server_version=120000),  # pg_stat_progress_create_index
    remediation=(
        "A failed CREATE INDEX CONCURRENTLY left it behind: fix the cause (for a unique index, the duplicate "
        "rows), then run each row's fix (REINDEX INDEX CONCURRENTLY, or drop and create it again)."
    ),
    description="Indexes with indisvalid = false that no build is working on (PgHero, Postgres MCP Pro).",
)


class NullIndexLimits(Limits):
    # "Mostly NULL": at least half the indexed values (pg-extras null_indexes lists any NULL share).
    min_null_frac: float = 0.5
    # pg-extras null_indexes min_relation_size_mb defaults to 0; we skip indexes under 8 pages (our
    # choice: a partial index would save less than 64 KB there).
    min_index_bytes: int = 8 * 8192


NULL_INDEXES_SQL = f"""
SELECT n.nspname AS schema, tc.relname AS table, ic.relname AS index, a.attname AS column, am.amname AS method,
       round(s.null_frac::numeric, 3)::float8 AS null_frac, i.indisunique AS is_unique,
       pg_relation_size(i.indexrelid) AS index_bytes,
       (pg_relation_size(i.indexrelid) * s.null_frac)::bigint AS expected_saving_bytes
FROM pg_index i
JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_class tc ON tc.oid = i.indrelid
JOIN pg_namespace n ON n.oid = tc.relnamespace
JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0] JOIN pg_am am ON am.oid = ic.relam
JOIN pg_stats s ON s.schemaname = n.nspname AND s.tablename = tc.relname AND s.attname = a.attname
                AND s.inherited = (tc.relkind = 'p')
WHERE i.indnatts = 1 AND i.indkey[0] <> 0 AND i.indpred IS NULL AND NOT i.indisprimary AND i.indisvalid
  AND {USER_SCHEMA}
  AND s.null_frac >= %(min_null_frac)s AND pg_relation_size(i.indexrelid) >= %(min_index_bytes)s
ORDER BY expected_saving_bytes DESC, n.nspname, ic.relname
"""


def _nulls(rows: list[dict[str, Any]], limits: NullIndexLimits, facts: DbFacts) -> Finding:
    threshold = f">= {limits.min_null_frac:.0%} NULL, index >= {limits.min_index_bytes // 1024} KB"
    if not rows:
        return Finding(check="null_indexes", status="green", summary="no mostly-NULL indexes", value=0, threshold=threshold)
    rows = [dict(r, fix=f"CREATE {'UNIQUE ' if r['is_unique'] else ''}INDEX CONCURRENTLY {ident(r['index'] + '_not_null')} "
                       f"ON {qualified(r['schema'], r['table'])} USING {r['method']} ({column_list([r['column']])}) "
                       f"WHERE {column_list([r['column']])} IS NOT NULL; {drop_index_fix(r)}") for r in rows]
    return Finding(
        check="null_indexes", status="yellow",
        summary=f"{len(rows)} index(es) mostly of NULLs; a partial index would save about "
                f"{mib(sum(r['expected_saving_bytes'] for r in rows))}",
        value=len(rows), threshold=threshold, rows=rows,
    )


NULL_INDEXES = Check(
    name="null_indexes", area="indexes", sql=NULL_INDEXES_SQL, evaluate=_nulls, limits=NullIndexLimits(),
    remediation="Replace it with a partial index (each row's fix builds it, then drops the old one); queries must "
    "say `column IS NOT NULL` or compare it to a value to use it.",
    description="Single-column indexes whose values are mostly NULL (pg-extras null_indexes).",
)


class MissingFkIndexLimits(Limits):
    # Below ~1000 rows the scan of the referencing table on a parent DELETE/UPDATE is a few pages
    # (our choice; ruby-pg-extras missing_fk_indexes lists every table).
    min_table_rows: int = 1000


MISSING_FK_INDEXES_SQL = f"""
SELECT n.nspname AS schema, c.relname AS table, con.conname AS constraint,
       (SELECT string_agg(a.attname, ', ' ORDER BY k.ord) FROM unnest(con.conkey) WITH ORDINALITY k(attnum, ord)
        JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum) AS columns,
       (SELECT array_agg(a.attname::text ORDER BY k.ord) FROM unnest(con.conkey) WITH ORDINALITY k(attnum, ord)
        JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum) AS column_names,
       con.confrelid::regclass::text AS referenced_table,
       greatest(c.reltuples, coalesce(s.n_live_tup, 0), 0)::bigint AS row_estimate,
       pg_relation_size(c.oid) AS table_bytes
FROM pg_constraint con
JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid
WHERE con.contype = 'f' AND {USER_SCHEMA}
  AND greatest(c.reltuples, coalesce(s.n_live_tup, 0), 0) >= %(min_table_rows)s
  AND NOT EXISTS (
    SELECT 1 FROM pg_index i
    WHERE i.indrelid = con.conrelid AND i.indpred IS NULL AND i.indnkeyatts >= cardinality(con.conkey)
      AND (string_to_array(i.indkey::text, ' ')::int2[])[1:cardinality(con.conkey)] @> con.conkey
      AND (string_to_array(i.indkey::text, ' ')::int2[])[1:cardinality(con.conkey)] <@ con.conkey)
ORDER BY row_estimate DESC, n.nspname, c.relname, con.conname
"""


def _missing_fk(rows: list[dict[str, Any]], limits: MissingFkIndexLimits, facts: DbFacts) -> Finding:
    threshold = f"any foreign key on a table of >= {limits.min_table_rows} rows"
    if not rows:
        return Finding(check="missing_fk_indexes", status="green", summary="every foreign key has an index",
                       value=0, threshold=threshold)
    rows = [dict(r, fix=f"CREATE INDEX CONCURRENTLY ON {qualified(r['schema'], r['table'])} ({column_list(r['column_names'])});")
            for r in rows]
    return Finding(
        check="missing_fk_indexes", status="yellow",
        summary=f"{len(rows)} foreign key(s) without an index on the referencing columns",
        value=len(rows), threshold=threshold, rows=rows,
    )


MISSING_FK_INDEXES = Check(
    name="missing_fk_indexes", area="indexes", sql=MISSING_FK_INDEXES_SQL, evaluate=_missing_fk,
    limits=MissingFkIndexLimits(),
    remediation=(
        "Run each row's fix (CREATE INDEX CONCURRENTLY); otherwise each DELETE or key UPDATE on the "
        "referenced table scans the whole referencing table, and joins on the key cannot use an index."
    ),
    description="Foreign keys whose columns lead no index (ruby-pg-extras missing_fk_indexes).",
)

INDEX_BLOAT = Check(
    name="index_bloat", area="indexes", sql=INDEX_BLOAT_SQL,
    evaluate=lambda rows, limits, facts: bloat_finding("index_bloat", "index", rows, limits),
    limits=BloatLimits(red_waste_bytes=100 * 1024 * 1024),  # PgHero index_bloat_bytes: 100 MB
    remediation="Run each row's fix: REINDEX INDEX CONCURRENTLY (PG 12+) rebuilds it compactly without blocking writes.",
    description="Estimated wasted space in btree indexes (PgHero 100 MB; pg:diagnose factor > 10 and > 64 MB).",
)

INDEX_HIT_RATE_SQL = hit_rate_sql("idx_blks")

INDEX_HIT_RATE = Check(
    name="index_hit_rate", area="indexes", sql=INDEX_HIT_RATE_SQL,
    evaluate=lambda rows, limits, facts: hit_rate_finding("index_hit_rate", "index", rows, limits),
    limits=HitRateLimits(),
    remediation="The hot indexes do not fit in memory: drop unused indexes, or move to a plan with more RAM.",
    description="Share of index block reads served from shared buffers (pg:diagnose / PgHero 99 %).",
)

CHECKS: tuple[Check, ...] = (
    UNUSED_INDEXES, DUPLICATE_INDEXES, INVALID_INDEXES, NULL_INDEXES, MISSING_FK_INDEXES, INDEX_BLOAT, INDEX_HIT_RATE,
)
