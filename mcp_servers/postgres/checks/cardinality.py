"""Low-cardinality btree indexes (area `indexes`): a single-column index over a handful of values, none
of them rare, never narrows a search much; the planner mostly scans the table instead, and every write
still maintains the index. Judged from `pg_stats` (n_distinct and most-common-value frequencies)."""

from __future__ import annotations

from typing import Any

from mcp_servers.common.results import Finding
from mcp_servers.postgres.checks.base import Check, DbFacts, Limits
from mcp_servers.postgres.checks.grading import listing
from mcp_servers.postgres.checks.user_relations import USER_SCHEMA, mib

__all__ = ["CHECKS", "LOW_CARDINALITY_INDEXES"]

# `foreign_keys` comes from the index checks' own fragment, so the consistency pass sees these drops too.
from mcp_servers.postgres.checks.index_keys import FOREIGN_KEYS_SERVED, drop_index_fix, only_index_for

LOW_CARDINALITY_SQL = f"""
SELECT n.nspname AS schema, tc.relname AS table, ic.relname AS index, a.attname AS column,
       s.n_distinct::int AS distinct_values,
       round((SELECT min(f) FROM unnest(s.most_common_freqs) f)::numeric, 3)::float8 AS rarest_value_share,
       greatest(tc.reltuples, 0)::bigint AS row_estimate, pg_relation_size(i.indexrelid) AS index_bytes,
       {FOREIGN_KEYS_SERVED} AS foreign_keys
FROM pg_index i
JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_am am ON am.oid = ic.relam AND am.amname = 'btree'
JOIN pg_class tc ON tc.oid = i.indrelid JOIN pg_namespace n ON n.oid = tc.relnamespace
JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
JOIN pg_stats s ON s.schemaname = n.nspname AND s.tablename = tc.relname AND s.attname = a.attname AND NOT s.inherited
WHERE i.indnatts = 1 AND i.indkey[0] <> 0 AND i.indpred IS NULL AND NOT i.indisunique AND i.indisvalid
  AND NOT EXISTS (SELECT 1 FROM pg_inherits h WHERE h.inhrelid = i.indexrelid)
  AND {USER_SCHEMA}
  AND tc.reltuples >= %(min_rows)s AND s.n_distinct > 0 AND s.n_distinct <= %(max_distinct)s
  AND (SELECT sum(f) FROM unnest(s.most_common_freqs) f) >= 0.99
  AND (SELECT min(f) FROM unnest(s.most_common_freqs) f) >= %(min_value_share)s
ORDER BY index_bytes DESC, schema, index
"""


class LowCardinalityLimits(Limits):
    # Our choices: at most 10 distinct values on a table of 10,000+ rows (PgHero's missing-index floor),
    # and even the rarest value covers >= 10 % of the rows: then no lookup is selective. A column with a
    # rare value (status = 'failed' in 1 % of rows) is left alone: a partial index serves that well.
    max_distinct: int = 10
    min_rows: int = 10_000
    min_value_share: float = 0.1


def _low_cardinality(rows: list[dict[str, Any]], limits: LowCardinalityLimits, facts: DbFacts) -> Finding:
    threshold = (f"<= {limits.max_distinct} distinct values, the rarest >= {limits.min_value_share:.0%} of rows, "
                 f"tables >= {limits.min_rows:,} rows")
    return listing(
        [r for r in rows if not only_index_for(r)],  # the only index behind a foreign key stays, whatever its selectivity
        threshold=threshold, clear="no single-column index over a handful of evenly spread values", fix=drop_index_fix,
        summary=lambda found: f"{len(found)} index(es) over a handful of evenly spread values "
        f"({mib(sum(r['index_bytes'] for r in found))}): no lookup through them is selective",
    )


LOW_CARDINALITY_INDEXES = Check(
    name="low_cardinality_indexes", area="indexes", sql=LOW_CARDINALITY_SQL, evaluate=_low_cardinality,
    limits=LowCardinalityLimits(),
    remediation="Drop it (each row's fix); if queries look up one value (e.g. a pending status), a partial index "
    "WHERE the column equals that value serves them at a fraction of the size.",
    description="Single-column btree indexes over few, evenly spread values (pg_stats n_distinct, frequencies).",
)

CHECKS: tuple[Check, ...] = (LOW_CARDINALITY_INDEXES,)
