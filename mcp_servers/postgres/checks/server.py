"""Server-level checks: sequences, unlogged tables, schemas, constraints; with `wraparound` (XID ids left)
and `server_config` (replication, settings, SSL) they make the `server` area, in this report order."""

from __future__ import annotations

from typing import Any

from mcp_servers.common.results import Finding
from mcp_servers.postgres.checks.base import Check, DbFacts, Limits
from mcp_servers.postgres.checks.fixes import ident, literal, qualified
from mcp_servers.postgres.checks.grading import all_clear, level, listing
from mcp_servers.postgres.checks.server_config import CHECKS as CONFIG_CHECKS
from mcp_servers.postgres.checks.session_rows import many
from mcp_servers.postgres.checks.user_relations import relation_names
from mcp_servers.postgres.checks.wraparound import CHECKS as WRAPAROUND_CHECKS

__all__ = ["CHECKS"]

_USER_SCHEMA = "n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND n.nspname NOT LIKE 'pg\\_%%'"
_INT_MAX = "CASE a.atttypid WHEN 'int2'::regtype THEN 32767 WHEN 'int4'::regtype THEN 2147483647 WHEN 'int8'::regtype THEN 9223372036854775807 END"
_INT_MIN = "CASE a.atttypid WHEN 'int2'::regtype THEN -32768 WHEN 'int4'::regtype THEN -2147483648 WHEN 'int8'::regtype THEN -9223372036854775808 END"


# --- sequences near their max (one query over pg_sequences, no per-sequence reads) -----------------

SEQUENCES_SQL = f"""
WITH seqs AS (
    SELECT c.oid, s.schemaname, s.sequencename, s.data_type::text AS data_type, s.last_value, s.increment_by,
           s.cycle, s.min_value, s.max_value
    FROM pg_sequences s
    JOIN pg_namespace n ON n.nspname = s.schemaname
    JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = s.sequencename
    WHERE s.last_value IS NOT NULL
), cols AS (  -- columns fed by each sequence: owned (serial, identity) or through a nextval() default
    SELECT q.oid AS seq, d.refobjid AS rel, d.refobjsubid AS attnum
    FROM seqs q JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = q.oid
    WHERE d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i') AND d.refobjsubid > 0
    UNION
    SELECT q.oid, ad.adrelid, ad.adnum
    FROM seqs q JOIN pg_depend d ON d.refclassid = 'pg_class'::regclass AND d.refobjid = q.oid
    JOIN pg_attrdef ad ON d.classid = 'pg_attrdef'::regclass AND ad.oid = d.objid
), bounds AS (
    SELECT cols.seq, min({_INT_MAX}) AS col_max, max({_INT_MIN}) AS col_min,
           string_agg(format('%%s.%%I %%s', cols.rel::regclass, a.attname, format_type(a.atttypid, a.atttypmod)), ', ') AS columns,
           json_agg(json_build_object('schema', rn.nspname, 'table', rc.relname, 'column', a.attname,
                                      'type', format_type(a.atttypid, a.atttypmod))) AS feeds
    FROM cols JOIN pg_attribute a ON a.attrelid = cols.rel AND a.attnum = cols.attnum
    JOIN pg_class rc ON rc.oid = cols.rel JOIN pg_namespace rn ON rn.oid = rc.relnamespace
    GROUP BY cols.seq
), ranged AS (
    SELECT q.schemaname, q.sequencename, q.data_type, q.last_value, q.increment_by, q.cycle, b.columns, b.feeds,
           greatest(q.min_value, coalesce(b.col_min, q.min_value))::numeric AS lo,
           least(q.max_value, coalesce(b.col_max, q.max_value))::numeric AS hi
    FROM seqs q LEFT JOIN bounds b ON b.seq = q.oid
)
SELECT * FROM (
    SELECT schemaname AS schema, sequencename AS sequence, data_type, columns, feeds, last_value,
           (CASE WHEN increment_by > 0 THEN hi ELSE lo END)::bigint AS limit_value,
           round(100 * CASE WHEN increment_by > 0 THEN (last_value - lo) / nullif(hi - lo, 0)
                            ELSE (hi - last_value) / nullif(hi - lo, 0) END, 2)::float8 AS used_pct,
           (CASE WHEN increment_by > 0 THEN (hi - last_value) ELSE (last_value - lo) END / abs(increment_by))::bigint
               AS values_left,
           cycle
    FROM ranged
) x
WHERE used_pct >= %(yellow_pct)s::float8
ORDER BY used_pct DESC
"""


class SequenceLimits(Limits):
    # PgHero and Postgres MCP Pro flag sequences over 90 % used: our red. Yellow at 75 % gives time to
    # migrate the column to bigint before it is urgent.
    yellow_pct: float = 75.0
    red_pct: float = 90.0


def sequence_fix(row: dict[str, Any]) -> str:
    """What widens this sequence's range: the sequence itself when it is narrower than bigint (instant),
    and each narrower column it feeds, by the online path, since ALTER COLUMN ... TYPE bigint rewrites
    the whole table under an ACCESS EXCLUSIVE lock."""
    steps = []
    if row["data_type"] != "bigint":
        steps.append(f"ALTER SEQUENCE {qualified(row['schema'], row['sequence'])} AS bigint;")
    for col in row.get("feeds") or []:
        if col["type"] == "bigint":
            continue
        table, old, new = qualified(col["schema"], col["table"]), ident(col["column"]), ident(col["column"] + "_bigint")
        steps.append(
            f"{table}.{old} is {col['type']}: ALTER COLUMN ... TYPE bigint would rewrite the table under ACCESS "
            f"EXCLUSIVE, so instead ALTER TABLE {table} ADD COLUMN {new} bigint; keep it in sync with a trigger; "
            f"backfill in batches (UPDATE {table} SET {new} = {old} WHERE ... LIMIT-sized key ranges); build its "
            f"unique index CONCURRENTLY; then in one short transaction swap the columns (and the primary key USING INDEX, "
            f"the default nextval({literal(row['schema'] + '.' + row['sequence'])}))."
        )
    return " ".join(steps) or "already bigint end to end: the range is nearly spent; plan a new key scheme"


def _sequences(rows: list[dict[str, Any]], limits: SequenceLimits, facts: DbFacts) -> Finding:
    top = rows[0] if rows else {"used_pct": 0.0}  # the most used first (ORDER BY used_pct DESC)
    return listing(
        rows, threshold=f"yellow >= {limits.yellow_pct:g}%, red >= {limits.red_pct:g}% of the range (column type aware)",
        clear=f"no sequence has used {limits.yellow_pct:g}% of its range", fix=sequence_fix,
        status=level(top["used_pct"], limits.yellow_pct, limits.red_pct), value=top["used_pct"],
        summary=lambda found: f"{many(len(found), 'sequence')} past {limits.yellow_pct:g}%; {top['schema']}.{top['sequence']} "
        f"is at {top['used_pct']:g}% ({top['values_left']} values left before {top['limit_value']})",
    )


SEQUENCES_NEAR_MAX = Check(
    name="sequences_near_max", area="server", sql=SEQUENCES_SQL, evaluate=_sequences, limits=SequenceLimits(),
    remediation="Widen what is narrower than bigint before it runs out (inserts fail once it does): each row's fix "
    "says whether the sequence, the column or both, and the online path for a column.",
    description="Sequences close to the max of their own type or of the narrower column they feed.",
)

# --- unlogged tables ------------------------------------------------------------------------------

UNLOGGED_SQL = f"""
SELECT n.nspname AS schema, c.relname AS name, c.relkind::text AS kind, pg_total_relation_size(c.oid) AS bytes
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relpersistence = 'u' AND c.relkind IN ('r', 'p', 'S') AND {_USER_SCHEMA}
ORDER BY bytes DESC, 1, 2
"""


def _unlogged(rows: list[dict[str, Any]], limits: Limits, facts: DbFacts) -> Finding:
    return listing(
        rows, clear=all_clear("no unlogged tables"),
        fix=lambda r: f"ALTER {'SEQUENCE' if r['kind'] == 'S' else 'TABLE'} {qualified(r['schema'], r['name'])} SET LOGGED;  "
        "-- rewrites it and writes it all to WAL",
        summary=lambda found: f"{many(len(found), 'unlogged table')} ({relation_names(found, 'name')}): "
        "emptied after a crash or failover, absent on followers",
    )


UNLOGGED_TABLES = Check(
    name="unlogged_tables", area="server", sql=UNLOGGED_SQL, evaluate=_unlogged,
    remediation="If the data matters, run each row's fix (SET LOGGED); keep UNLOGGED only for caches you can rebuild.",
    description="Unlogged tables: not crash-safe, not replicated to followers.",
)

# --- schema count ---------------------------------------------------------------------------------

SCHEMAS_SQL = f"""
SELECT n.nspname AS schema, count(c.oid) AS relations, count(*) OVER () AS schemas
FROM pg_namespace n LEFT JOIN pg_class c ON c.relnamespace = n.oid
WHERE {_USER_SCHEMA}
GROUP BY n.nspname
ORDER BY relations DESC, schema
LIMIT 10
"""


class SchemaCountLimits(Limits):
    # pg:diagnose has a "Schema Count" check whose threshold is not public. Our choice: 50 schemas usually
    # means schema-per-tenant, which slows pg_dump-based backups (heroku pg:backups) and catalog queries.
    yellow_count: int = 50
    red_count: int = 1000


def _schemas(rows: list[dict[str, Any]], limits: SchemaCountLimits, facts: DbFacts) -> Finding:
    count = rows[0]["schemas"] if rows else 0
    return Finding(
        status=level(count, limits.yellow_count, limits.red_count), value=count,
        threshold=f"yellow >= {limits.yellow_count}, red >= {limits.red_count} schemas",
        rows=[{"schema": r["schema"], "relations": r["relations"]} for r in rows] if count >= limits.yellow_count else [],
        summary=f"{count} user schemas",
    )


SCHEMA_COUNT = Check(
    name="schema_count", area="server", sql=SCHEMAS_SQL, evaluate=_schemas, limits=SchemaCountLimits(),
    remediation="Consolidate tenants into shared tables keyed by tenant id, or split them across databases.",
    description="Number of user schemas (many schemas slow backups and catalog reads).",
)

# --- invalid (NOT VALID) constraints --------------------------------------------------------------

INVALID_CONSTRAINTS_SQL = """
SELECT n.nspname AS schema, cl.relname AS table, co.conname AS constraint, co.contype::text AS type,
       pg_get_constraintdef(co.oid) AS definition
FROM pg_constraint co
JOIN pg_class cl ON cl.oid = co.conrelid
JOIN pg_namespace n ON n.oid = cl.relnamespace
WHERE NOT co.convalidated
ORDER BY 1, 2, 3
"""


def _invalid_constraints(rows: list[dict[str, Any]], limits: Limits, facts: DbFacts) -> Finding:
    return listing(
        rows, clear=all_clear("every constraint is validated"),
        fix=lambda r: f"ALTER TABLE {qualified(r['schema'], r['table'])} VALIDATE CONSTRAINT {ident(r['constraint'])};",
        summary=lambda found: f"{many(len(found), 'constraint')} NOT VALID (e.g. {found[0]['constraint']} on "
        f"{found[0]['schema']}.{found[0]['table']}): existing rows were never checked",
        remediation="Fix rows that break it, then run each row's fix (VALIDATE CONSTRAINT takes only a SHARE UPDATE "
        "EXCLUSIVE lock: reads and writes continue).",
    )


INVALID_CONSTRAINTS = Check(
    name="invalid_constraints", area="server", sql=INVALID_CONSTRAINTS_SQL, evaluate=_invalid_constraints,
    remediation="Fix the rows that break it, then run each row's fix (VALIDATE CONSTRAINT).",
    description="Constraints added NOT VALID and never validated.",
)

CHECKS: tuple[Check, ...] = (
    SEQUENCES_NEAR_MAX, UNLOGGED_TABLES, *WRAPAROUND_CHECKS, SCHEMA_COUNT, INVALID_CONSTRAINTS, *CONFIG_CHECKS,
)
