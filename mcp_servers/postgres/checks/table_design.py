"""Table design checks (area `tables`): tables without a primary key, and free space built in by a low
fillfactor on tables that are never updated (the bloat estimate counts it as intended, so it shows here)."""

from __future__ import annotations

from typing import Any

from mcp_servers.common.results import Finding
from mcp_servers.postgres.checks.base import Check, DbFacts, Limits
from mcp_servers.postgres.checks.fixes import ident, qualified
from mcp_servers.postgres.checks.grading import listing
from mcp_servers.postgres.checks.session_rows import many
from mcp_servers.postgres.checks.user_relations import USER_SCHEMA, mib, relation_names

__all__ = ["CHECKS", "FILLFACTOR_FREE_SPACE", "TABLES_WITHOUT_PRIMARY_KEY"]

# A unique index on NOT NULL columns can become the primary key without a rewrite (ADD PRIMARY KEY USING INDEX).
NO_PRIMARY_KEY_SQL = f"""
SELECT n.nspname AS schema, c.relname AS table, greatest(c.reltuples, 0)::bigint AS row_estimate,
       pg_total_relation_size(c.oid) AS bytes,
       (SELECT ic.relname FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
        WHERE i.indrelid = c.oid AND i.indisunique AND i.indisvalid AND i.indpred IS NULL AND i.indexprs IS NULL
          AND NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid
                          AND a.attnum = ANY (i.indkey::int2[]) AND NOT a.attnotnull)
        ORDER BY i.indnatts, ic.relname LIMIT 1) AS unique_index
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND {USER_SCHEMA}
  AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype = 'p')
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                  AND d.deptype = 'e')  -- tables an extension owns
ORDER BY bytes DESC, schema, "table"
"""


def _pk_fix(row: dict[str, Any]) -> str:
    table = qualified(row["schema"], row["table"])
    if row["unique_index"]:
        return f"ALTER TABLE {table} ADD PRIMARY KEY USING INDEX {ident(row['unique_index'])};"
    return (f"ALTER TABLE {table} ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY;  -- rewrites the "
            "table under ACCESS EXCLUSIVE: in a maintenance window, or build a unique index CONCURRENTLY and use it")


def _no_primary_key(rows: list[dict[str, Any]], limits: Limits, facts: DbFacts) -> Finding:
    return listing(
        rows, clear="every table has a primary key", fix=_pk_fix,
        summary=lambda found: f"{many(len(found), 'table')} without a primary key ({relation_names(found)}): "
        "logical replication cannot replicate "
        "their UPDATEs and DELETEs, and duplicate rows cannot be told apart",
    )


TABLES_WITHOUT_PRIMARY_KEY = Check(
    name="tables_without_primary_key", area="tables", sql=NO_PRIMARY_KEY_SQL, evaluate=_no_primary_key,
    remediation="Run each row's fix: promote an existing unique index, or add an identity column.",
    description="Tables with no primary key (logical replication, Heroku data connectors and ORMs need one).",
)

FILLFACTOR_SQL = f"""
SELECT * FROM (
  SELECT n.nspname AS schema, c.relname AS table, ff.fillfactor,
         (c.relpages::bigint * current_setting('block_size')::int) AS table_bytes,
         (c.relpages::bigint * current_setting('block_size')::int * (100 - ff.fillfactor) / 100) AS built_in_free_bytes,
         coalesce(s.n_tup_ins, 0) AS inserts, coalesce(s.n_tup_upd, 0) AS updates
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  CROSS JOIN LATERAL (SELECT option_value::int AS fillfactor FROM pg_options_to_table(c.reloptions)
                      WHERE option_name = 'fillfactor') ff
  LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid
  WHERE c.relkind IN ('r', 'm') AND ff.fillfactor < 100 AND {USER_SCHEMA}
) t
WHERE built_in_free_bytes >= %(min_free_bytes)s AND updates <= %(max_update_share)s * greatest(inserts, 1)
ORDER BY built_in_free_bytes DESC, schema, "table"
"""


class FillfactorLimits(Limits):
    # A low fillfactor leaves room for HOT updates; on a table that is (almost) never updated the room is
    # never used. Our floors: 8 MB (as the bloat checks' yellow), updates under 10 % of inserts.
    min_free_bytes: int = 8 * 1024 * 1024
    max_update_share: float = 0.1


def _fillfactor(rows: list[dict[str, Any]], limits: FillfactorLimits, facts: DbFacts) -> Finding:
    free = sum(r["built_in_free_bytes"] for r in rows)
    return listing(
        rows, threshold=f">= {mib(limits.min_free_bytes)} kept free by fillfactor, updates < {limits.max_update_share:.0%} of inserts",
        clear="no append-only table keeps space free through a low fillfactor", value=free,
        fix=lambda r: f"ALTER TABLE {qualified(r['schema'], r['table'])} SET (fillfactor = 100); "
        f"VACUUM (FULL, ANALYZE) {qualified(r['schema'], r['table'])};  -- the rewrite takes ACCESS EXCLUSIVE",
        summary=lambda found: f"{many(len(found), 'table')} rarely updated but kept {mib(free)} free by a low fillfactor "
        f"(e.g. {found[0]['schema']}.{found[0]['table']} at fillfactor {found[0]['fillfactor']})",
    )


FILLFACTOR_FREE_SPACE = Check(
    name="fillfactor_free_space", area="tables", sql=FILLFACTOR_SQL, evaluate=_fillfactor, limits=FillfactorLimits(),
    remediation="Set fillfactor back to 100 and rewrite the table (each row's fix, or pg_repack to avoid the lock).",
    description="Space a low fillfactor keeps free on tables that are rarely updated (pg:bloat counts it; the estimate does not).",
)

CHECKS: tuple[Check, ...] = (TABLES_WITHOUT_PRIMARY_KEY, FILLFACTOR_FREE_SPACE)
