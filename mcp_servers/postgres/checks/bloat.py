"""Bloat estimates for tables and btree indexes, from planner statistics (no table is read).

Both estimators follow the idea of the classic pg:bloat query: from `pg_stats` (NULL share and
average width of each column) and the row count, compute how many pages the rows need when packed
at the relation's fillfactor, and compare with the pages it has. Bloat factor = actual / expected;
waste = (actual - expected) pages. Columns without statistics make an estimate unreliable, so such
relations are left out rather than reported with a made-up width. A relation smaller than the waste
floor cannot waste that much, so only larger ones reach the (costly) pg_stats view.
"""

from __future__ import annotations

from typing import Any

from mcp_servers.common.results import Finding
from mcp_servers.postgres.checks.base import Limits
from mcp_servers.postgres.checks.fixes import qualified
from mcp_servers.postgres.checks.grading import listing
from mcp_servers.postgres.checks.user_relations import USER_SCHEMA, mib

__all__ = ["INDEX_BLOAT_SQL", "TABLE_BLOAT_SQL", "BloatLimits", "bloat_finding", "bloat_fix"]

# Per relation, over its columns' pg_stats rows `s`: how many columns (and how many have statistics),
# the expected data width, and whether any column has NULLs.
_COLUMN_WIDTHS = """count(*) AS ncols, count(s.avg_width) AS ncols_with_stats,
         sum((1 - coalesce(s.null_frac, 0)) * coalesce(s.avg_width, 0)) AS data_width,
         bool_or(coalesce(s.null_frac, 0) > 0) AS has_nulls"""


def _relation_pages(rel: str, *, default_fillfactor: int) -> str:
    """SQL columns of pg_class `rel` the estimate packs rows into: pages, block size, rows, fillfactor."""
    fillfactor = f"(SELECT option_value::int FROM pg_options_to_table({rel}.reloptions) WHERE option_name = 'fillfactor')"
    return (f"{rel}.oid, {rel}.relpages::numeric AS relpages, current_setting('block_size')::numeric AS bs,\n"
            f"         greatest({rel}.reltuples, 0)::numeric AS reltuples,\n"
            f"         coalesce({fillfactor}, {default_fillfactor}) AS fillfactor")


# The estimate's columns, from `pages p` (actual and expected pages, block size).
_ESTIMATE = """(p.relpages * p.bs)::bigint AS actual_bytes, (p.expected_pages * p.bs)::bigint AS expected_bytes,
       round(p.relpages / p.expected_pages, 1)::float8 AS bloat_factor,
       (greatest(p.relpages - p.expected_pages, 0) * p.bs)::bigint AS waste_bytes"""

# Heap tuple: 23-byte header plus a NULL bitmap when some column has NULLs, MAXALIGNed (8), then the
# data MAXALIGNed, plus a 4-byte line pointer; each page loses its 24-byte header.
TABLE_BLOAT_SQL = f"""
WITH cand AS MATERIALIZED (
  SELECT c.oid, n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'm') AND c.relpages > 0 AND {USER_SCHEMA}
    AND c.relpages::numeric * current_setting('block_size')::numeric >= %(yellow_waste_bytes)s
), att AS (
  SELECT cand.oid, {_COLUMN_WIDTHS}
  FROM cand JOIN pg_attribute a ON a.attrelid = cand.oid AND a.attnum > 0 AND NOT a.attisdropped
  LEFT JOIN LATERAL (
    SELECT ps.null_frac, ps.avg_width FROM pg_stats ps
    WHERE ps.schemaname = cand.nspname AND ps.tablename = cand.relname AND ps.attname = a.attname AND NOT ps.inherited
  ) s ON true
  GROUP BY cand.oid
), est AS (
  SELECT {_relation_pages("c", default_fillfactor=100)},
         8 * ceil((23 + CASE WHEN att.has_nulls THEN ceil(att.ncols / 8.0) ELSE 0 END) / 8.0)
           + 8 * ceil(att.data_width::numeric / 8.0) + 4 AS tuple_bytes
  FROM att JOIN pg_class c ON c.oid = att.oid
  WHERE att.ncols_with_stats = att.ncols
), pages AS (
  SELECT *, greatest(ceil(reltuples / greatest(floor((bs - 24) * fillfactor / 100.0 / tuple_bytes), 1)), 1) AS expected_pages
  FROM est
)
SELECT 'table' AS type, n.nspname AS schema, c.relname AS table, NULL::text AS index,
       {_ESTIMATE}
FROM pages p JOIN pg_class c ON c.oid = p.oid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE greatest(p.relpages - p.expected_pages, 0) * p.bs >= %(yellow_waste_bytes)s
ORDER BY waste_bytes DESC, schema, "table"
"""

# Btree leaf tuple: 8-byte IndexTupleData (+4 bytes of NULL bitmap when a column has NULLs) plus the
# data, MAXALIGNed together, plus a 4-byte line pointer; each page loses 24 bytes of header and 16 of
# btree special space; leaves are filled to the fillfactor (90 by default); one metapage. Deduplication
# (PG 13+) only makes real indexes smaller than this estimate, so it never invents bloat.
INDEX_BLOAT_SQL = f"""
WITH cand AS MATERIALIZED (
  SELECT i.indexrelid, i.indrelid, i.indkey, n.nspname, tc.relname AS table_name, ic.relname AS index_name
  FROM pg_index i
  JOIN pg_class ic ON ic.oid = i.indexrelid
  JOIN pg_am am ON am.oid = ic.relam AND am.amname = 'btree'
  JOIN pg_class tc ON tc.oid = i.indrelid JOIN pg_namespace n ON n.oid = tc.relnamespace
  WHERE ic.relpages > 0 AND i.indisvalid AND {USER_SCHEMA}
    AND ic.relpages::numeric * current_setting('block_size')::numeric >= %(yellow_waste_bytes)s
), att AS (
  SELECT cand.indexrelid, {_COLUMN_WIDTHS}
  FROM cand
  JOIN pg_attribute ia ON ia.attrelid = cand.indexrelid AND ia.attnum > 0
  LEFT JOIN pg_attribute ta ON ta.attrelid = cand.indrelid AND ta.attnum = cand.indkey[ia.attnum - 1] AND ta.attnum > 0
  -- a plain column has its statistics under the table; an expression under the index itself
  LEFT JOIN LATERAL (
    SELECT ps.null_frac, ps.avg_width FROM pg_stats ps
    WHERE ps.schemaname = cand.nspname
      AND ps.tablename = CASE WHEN ta.attnum IS NULL THEN cand.index_name ELSE cand.table_name END
      AND ps.attname = coalesce(ta.attname, ia.attname) AND ps.inherited = false
  ) s ON true
  GROUP BY cand.indexrelid
), est AS (
  SELECT {_relation_pages("ic", default_fillfactor=90)},
         8 * ceil((8 + CASE WHEN att.has_nulls THEN 4 ELSE 0 END + att.data_width::numeric) / 8.0) + 4 AS tuple_bytes
  FROM att JOIN pg_class ic ON ic.oid = att.indexrelid
  WHERE att.ncols_with_stats = att.ncols
), pages AS (
  SELECT *, 1 + greatest(ceil(reltuples / greatest(floor((bs - 40) * fillfactor / 100.0 / tuple_bytes), 1)), 1) AS expected_pages
  FROM est
)
SELECT 'index' AS type, n.nspname AS schema, tc.relname AS table, ic.relname AS index,
       {_ESTIMATE}
FROM pages p JOIN pg_class ic ON ic.oid = p.oid JOIN pg_index i ON i.indexrelid = p.oid
JOIN pg_class tc ON tc.oid = i.indrelid JOIN pg_namespace n ON n.oid = tc.relnamespace
WHERE greatest(p.relpages - p.expected_pages, 0) * p.bs >= %(yellow_waste_bytes)s
ORDER BY waste_bytes DESC, schema, index
"""


class BloatLimits(Limits):
    # pg:diagnose Bloat is red at factor > 10 with > 64 MB wasted; pg-extras' README says to
    # investigate a factor of 10 and up.
    min_factor: float = 10.0
    red_factor_waste_bytes: int = 64 * 1024 * 1024
    # Wasted bytes that are red whatever the factor (PgHero index_bloat_bytes = 100 MB); 0 = none.
    red_waste_bytes: int = 0
    # Yellow: factor >= min_factor with at least this much waste (our choice: 1,024 pages; below
    # that a rewrite gains nothing measurable). Also the SQL's floor for listing a relation.
    yellow_waste_bytes: int = 8 * 1024 * 1024


def _grade(row: dict[str, Any], limits: BloatLimits) -> str | None:
    waste, factor = row["waste_bytes"], row["bloat_factor"] or 0
    if limits.red_waste_bytes and waste >= limits.red_waste_bytes:
        return "red"
    if factor >= limits.min_factor and waste > limits.red_factor_waste_bytes:
        return "red"
    if factor >= limits.min_factor and waste >= limits.yellow_waste_bytes:
        return "yellow"
    return None


def bloat_fix(row: dict[str, Any]) -> str:
    """The rewrite that gives the space back, for one row of either bloat query."""
    if row.get("index"):
        return f"REINDEX INDEX CONCURRENTLY {qualified(row['schema'], row['index'])};"
    table = qualified(row["schema"], row["table"])
    return f"VACUUM (FULL, ANALYZE) {table};  -- ACCESS EXCLUSIVE for the whole rewrite; pg_repack avoids it"


def bloat_finding(what: str, rows: list[dict[str, Any]], limits: BloatLimits) -> Finding:
    threshold = (
        f"red: factor >= {limits.min_factor:g} and > {mib(limits.red_factor_waste_bytes)} wasted"
        + (f", or >= {mib(limits.red_waste_bytes)} wasted" if limits.red_waste_bytes else "")
        + f"; yellow: factor >= {limits.min_factor:g} and >= {mib(limits.yellow_waste_bytes)}"
    )
    flagged = [dict(r, status=g, fix=bloat_fix(r)) for r in rows if (g := _grade(r, limits))]
    waste = sum(r["waste_bytes"] for r in flagged)
    return listing(
        flagged, threshold=threshold, clear=f"no {what} bloat above the thresholds", value=waste,
        status="red" if any(r["status"] == "red" for r in flagged) else "yellow",
        summary=lambda found: f"{len(found)} bloated {what} relation(s), about {mib(waste)} wasted (estimate)",
    )
