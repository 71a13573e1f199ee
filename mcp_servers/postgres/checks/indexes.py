"""Index checks: unused, duplicate, invalid, mostly-NULL, missing foreign-key indexes, bloat, hit rate.

Each SQL constant here is also what `pg_index_stats` runs for the matching kind (one place per query).
"""

from __future__ import annotations

from typing import Any

from mcp_servers.common.results import Finding
from mcp_servers.postgres.checks.base import Check, DbFacts, Limits, Requires
from mcp_servers.postgres.checks.bloat import INDEX_BLOAT_SQL, BloatLimits, bloat_finding
from mcp_servers.postgres.checks.fixes import column_list, ident, qualified
from mcp_servers.postgres.checks.grading import listing
from mcp_servers.postgres.checks.hit_rate import HitRateLimits, hit_rate_finding, hit_rate_sql
from mcp_servers.postgres.checks.index_keys import ATTACHED, ENFORCES, FOREIGN_KEYS_SERVED, drop_index_fix
from mcp_servers.postgres.checks.unused_indexes import UNUSED_INDEXES, UNUSED_INDEXES_SQL, judge_unused
from mcp_servers.postgres.checks.user_relations import USER_SCHEMA, mib

__all__ = [
    "CHECKS", "DUPLICATE_INDEXES", "DUPLICATE_INDEXES_SQL", "INDEX_BLOAT", "INDEX_HIT_RATE", "INDEX_HIT_RATE_SQL",
    "INVALID_INDEXES", "INVALID_INDEXES_SQL", "MISSING_FK_INDEXES", "MISSING_FK_INDEXES_SQL", "NULL_INDEXES",
    "NULL_INDEXES_SQL", "UNUSED_INDEXES", "UNUSED_INDEXES_SQL", "judge_unused",
]

_INDEX_LIST = f"""
SELECT i.indexrelid, i.indrelid, n.nspname AS schema, tc.relname AS table, ic.relname AS index, ic.relam,
       i.indisunique AS is_unique, {ENFORCES} AS enforces, i.indnatts = i.indnkeyatts AS no_include,
       (string_to_array(i.indkey::text, ' ')::int2[])[1:i.indnkeyatts] AS keys,
       (string_to_array(i.indclass::text, ' ')::oid[])[1:i.indnkeyatts] AS opclasses,
       coalesce(pg_get_expr(i.indexprs, i.indrelid), '') AS exprs,
       coalesce(pg_get_expr(i.indpred, i.indrelid), '') AS pred,
       pg_stat_get_numscans(i.indexrelid) AS scans, {ATTACHED} AS attached, {FOREIGN_KEYS_SERVED} AS foreign_keys
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
    return listing(
        list(seen.values()), clear="no duplicate indexes", fix=drop_index_fix,
        summary=lambda found: f"{len(found)} index(es) duplicated by another ({mib(sum(r['index_bytes'] for r in found))})",
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


def _rebuild_fix(row: dict[str, Any]) -> str:
    if not row["is_unique"]:
        return f"REINDEX INDEX CONCURRENTLY {qualified(row['schema'], row['index'])};"
    create = row["definition"].replace(" INDEX ", " INDEX CONCURRENTLY ", 1)
    return f"{drop_index_fix(row)} -- then remove the duplicate rows and run: {create};"


def _invalid(rows: list[dict[str, Any]], limits: Limits, facts: DbFacts) -> Finding:
    return listing(
        rows, clear="no invalid indexes", fix=_rebuild_fix,
        summary=lambda found: f"{len(found)} invalid index(es): never used by queries, still maintained on every write",
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


def _partial_index_fix(row: dict[str, Any]) -> str:
    column = column_list([row["column"]])
    return (f"CREATE {'UNIQUE ' if row['is_unique'] else ''}INDEX CONCURRENTLY {ident(row['index'] + '_not_null')} "
            f"ON {qualified(row['schema'], row['table'])} USING {row['method']} ({column}) "
            f"WHERE {column} IS NOT NULL; {drop_index_fix(row)}")


def _nulls(rows: list[dict[str, Any]], limits: NullIndexLimits, facts: DbFacts) -> Finding:
    return listing(
        rows, threshold=f">= {limits.min_null_frac:.0%} NULL, index >= {limits.min_index_bytes // 1024} KB",
        clear="no mostly-NULL indexes", fix=_partial_index_fix,
        summary=lambda found: f"{len(found)} index(es) mostly of NULLs; a partial index would save about "
        f"{mib(sum(r['expected_saving_bytes'] for r in found))}",
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
    return listing(
        rows, threshold=f"any foreign key on a table of >= {limits.min_table_rows} rows",
        clear="every foreign key has an index",
        fix=lambda r: f"CREATE INDEX CONCURRENTLY ON {qualified(r['schema'], r['table'])} ({column_list(r['column_names'])});",
        summary=lambda found: f"{len(found)} foreign key(s) without an index on the referencing columns",
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
    evaluate=lambda rows, limits, facts: bloat_finding("index", rows, limits),
    limits=BloatLimits(red_waste_bytes=100 * 1024 * 1024),  # PgHero index_bloat_bytes: 100 MB
    remediation="Run each row's fix: REINDEX INDEX CONCURRENTLY (PG 12+) rebuilds it compactly without blocking writes.",
    description="Estimated wasted space in btree indexes (PgHero 100 MB; pg:diagnose factor > 10 and > 64 MB).",
)

INDEX_HIT_RATE_SQL = hit_rate_sql("idx_blks")

INDEX_HIT_RATE = Check(
    name="index_hit_rate", area="indexes", sql=INDEX_HIT_RATE_SQL,
    evaluate=lambda rows, limits, facts: hit_rate_finding("index", rows, limits),
    limits=HitRateLimits(),
    remediation="The hot indexes do not fit in memory: drop unused indexes, or move to a plan with more RAM.",
    description="Share of index block reads served from shared buffers (pg:diagnose / PgHero 99 %).",
)

CHECKS: tuple[Check, ...] = (
    UNUSED_INDEXES, DUPLICATE_INDEXES, INVALID_INDEXES, NULL_INDEXES, MISSING_FK_INDEXES, INDEX_BLOAT, INDEX_HIT_RATE,
)
