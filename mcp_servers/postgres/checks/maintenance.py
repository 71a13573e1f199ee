"""Maintenance checks: what keeps vacuum from doing its job.

Forgotten prepared transactions (their xmin holds back vacuum on every database, and they survive
restarts), autovacuum workers that run for long or against wraparound (read from `pg_stat_activity`'s
`autovacuum worker` backends and `pg_stat_progress_vacuum`, which the session checks leave out), and
tables whose dead rows pile up whatever their per-table autovacuum settings say.
"""

from __future__ import annotations

from typing import Any

from mcp_servers.common.results import Finding
from mcp_servers.postgres.checks.base import Check, DbFacts, Limits
from mcp_servers.postgres.checks.fixes import ident, literal, qualified
from mcp_servers.postgres.checks.grading import AgeLimits, all_clear, listing
from mcp_servers.postgres.checks.session_rows import many, seconds_since, text_rows
from mcp_servers.postgres.checks.user_relations import USER_SCHEMA

__all__ = ["AUTOVACUUM_TABLE_SETTINGS", "AUTOVACUUM_WORKERS", "CHECKS", "PREPARED_TRANSACTIONS"]

# --- prepared transactions ------------------------------------------------------------------------

PREPARED_SQL = f"""
SELECT p.gid, p.database, p.owner, p.prepared,
       {seconds_since('p.prepared')} AS seconds,
       age(p.transaction) AS xmin_age
FROM pg_prepared_xacts p
ORDER BY p.prepared
"""


class PreparedLimits(AgeLimits):
    # A two-phase commit's coordinator finishes within seconds; a minute means it is gone (our yellow).
    # Red, our choice as for long_transactions: an hour of held-back vacuum bloats busy tables.
    yellow_seconds: float = 60.0
    red_seconds: float = 3600.0


def _prepared(rows: list[dict[str, Any]], limits: PreparedLimits, facts: DbFacts) -> Finding:
    threshold = f"yellow: prepared >= {limits.yellow_seconds:g} s ago, red: >= {limits.red_seconds:g} s"
    old = [r for r in rows if r["seconds"] >= limits.yellow_seconds]
    return listing(
        old, threshold=threshold, status=limits.grade(old, "seconds"),
        clear=all_clear(f"no prepared transaction older than {limits.yellow_seconds:g} s", threshold, value=len(rows)),
        fix=lambda r: f"ROLLBACK PREPARED {literal(r['gid'])};  -- connected to database {ident(r['database'])} as "
        f"{ident(r['owner'])}; COMMIT PREPARED instead if its coordinator committed",
        summary=lambda found: f"{many(len(found), 'forgotten prepared transaction')} (oldest {max(r['seconds'] for r in found):g} s, "
        f"xmin {max(r['xmin_age'] for r in found):,} transactions old): it holds locks and vacuum's horizon on "
        "every database, and survives restarts",
    )


PREPARED_TRANSACTIONS = Check(
    name="prepared_transactions", area="maintenance", sql=PREPARED_SQL, evaluate=_prepared, limits=PreparedLimits(),
    remediation="Ask the transaction manager that prepared it; if it is gone, run each row's fix (ROLLBACK PREPARED).",
    description="Prepared (two-phase) transactions left behind: locks and a vacuum horizon that outlive sessions.",
)

# --- autovacuum workers ---------------------------------------------------------------------------

AUTOVACUUM_SQL = f"""
SELECT a.pid, a.datname AS database,
       {seconds_since('coalesce(a.xact_start, a.query_start, a.backend_start)')}
         AS seconds,  -- a worker between tables has no transaction or query yet
       position('to prevent wraparound' in a.query) > 0 AS anti_wraparound,
       CASE WHEN a.datname = current_database() THEN p.relid::regclass::text END AS relation,
       (SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = p.relid
        AND a.datname = current_database()) AS schema,
       (SELECT c.relname FROM pg_class c WHERE c.oid = p.relid AND a.datname = current_database()) AS table,
       p.phase, p.heap_blks_total, p.heap_blks_scanned, p.index_vacuum_count,
       current_setting('autovacuum_max_workers')::int AS max_workers,
       a.query
FROM pg_stat_activity a LEFT JOIN pg_stat_progress_vacuum p ON p.pid = a.pid
WHERE a.backend_type = 'autovacuum worker'
ORDER BY seconds DESC
"""


class AutovacuumLimits(Limits):
    # Our choice: an autovacuum of an hour or more on one table is throttled too hard (cost_delay) or
    # the table is too big for its settings; all workers busy means other tables wait their turn.
    yellow_seconds: float = 3600.0


def _autovacuum_fix(row: dict[str, Any]) -> str:
    where = qualified(row["schema"], row["table"]) if row.get("table") else f"the table it works on in {ident(row['database'])}"
    if row["anti_wraparound"]:
        return (f"let it finish (cancelled, it starts again); to finish sooner run VACUUM (FREEZE, VERBOSE) {where}; "
                "in its place (manual vacuums are not throttled)")
    return (f"ALTER TABLE {where} SET (autovacuum_vacuum_cost_delay = 2);  -- less throttling next time; "
            f"or VACUUM (VERBOSE) {where}; in a quiet hour")


def _autovacuum(rows: list[dict[str, Any]], limits: AutovacuumLimits, facts: DbFacts) -> Finding:
    threshold = f"yellow: a worker running >= {limits.yellow_seconds:g} s, or every worker busy"
    long = [dict(r, fix=_autovacuum_fix(r)) for r in rows if (r["seconds"] or 0) >= limits.yellow_seconds]
    saturated = bool(rows) and len(rows) >= rows[0]["max_workers"]
    wraparound = sum(1 for r in rows if r["anti_wraparound"])
    if not long and not saturated:
        return all_clear(value=len(rows), threshold=threshold,
                       summary=f"{many(len(rows), 'autovacuum worker')} running, none for {limits.yellow_seconds:g} s")
    flagged = long or [dict(r, fix=_autovacuum_fix(r)) for r in rows]
    return Finding(
        status="yellow", value=len(flagged), threshold=threshold,
        rows=text_rows(flagged, "query"),
        summary=(f"{many(len(long), 'autovacuum worker')} running for {limits.yellow_seconds:g} s or more" if long
                 else f"all {rows[0]['max_workers']} autovacuum workers busy")
        + (f"; {wraparound} of them to prevent wraparound" if wraparound else ""),
    )


AUTOVACUUM_WORKERS = Check(
    name="autovacuum_workers", area="maintenance", sql=AUTOVACUUM_SQL, evaluate=_autovacuum, limits=AutovacuumLimits(),
    remediation="Follow each row's fix; never cancel an anti-wraparound vacuum. If workers are always busy, raise "
    "autovacuum_max_workers or lower the per-table cost delay.",
    description="Autovacuum workers: long-running, anti-wraparound, all busy (pg_stat_progress_vacuum).",
)

# --- dead rows whatever the per-table settings, and suspicious autovacuum reloptions -------------------

AUTOVACUUM_TABLES_SQL = f"""
SELECT * FROM (
  SELECT n.nspname AS schema, c.relname AS table, s.n_live_tup AS live_rows, s.n_dead_tup AS dead_rows,
         round(100.0 * s.n_dead_tup / nullif(s.n_live_tup + s.n_dead_tup, 0), 1)::float8 AS dead_pct,
         coalesce(greatest(s.last_vacuum, s.last_autovacuum)::text, 'never') AS last_vacuum,
         (SELECT array_agg(o.option_name || '=' || o.option_value ORDER BY o.option_name)
          FROM pg_options_to_table(c.reloptions) o
          WHERE (o.option_name = 'autovacuum_enabled' AND o.option_value IN ('false', 'off', 'no', '0'))
             OR (o.option_name = 'autovacuum_vacuum_scale_factor' AND o.option_value::float8 >= %(max_scale_factor)s)
             OR (o.option_name = 'autovacuum_vacuum_threshold' AND o.option_value::float8 >= %(max_threshold)s)
         ) AS suspicious_options
  FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE {USER_SCHEMA}
) t
WHERE dead_rows >= %(min_dead_rows)s AND (dead_pct >= %(dead_pct)s OR suspicious_options IS NOT NULL)
ORDER BY dead_rows DESC, schema, "table"
"""


class AutovacuumTableLimits(Limits):
    # pg-extras vacuum_stats shows dead rows against the trigger only; a fifth of the table dead is the
    # server default's own trigger (scale factor 0.2), so past it something is wrong whatever the
    # reloptions say. Scale factors >= 0.5 and thresholds >= 1M rows postpone autovacuum for good.
    dead_pct: float = 20.0
    min_dead_rows: int = 1000
    max_scale_factor: float = 0.5
    max_threshold: int = 1_000_000


def _vacuum_reset_fix(row: dict[str, Any]) -> str:
    table = qualified(row["schema"], row["table"])
    options = [o.split("=", 1)[0] for o in row["suspicious_options"] or []]
    return f"VACUUM (ANALYZE) {table};" + (f" ALTER TABLE {table} RESET ({', '.join(options)});" if options else "")


def _autovacuum_tables(rows: list[dict[str, Any]], limits: AutovacuumTableLimits, facts: DbFacts) -> Finding:
    never = sum(1 for r in rows if r["last_vacuum"] == "never")
    return listing(
        rows, clear="no table piles up dead rows behind its autovacuum settings", fix=_vacuum_reset_fix,
        threshold=f">= {limits.dead_pct:g}% dead rows (>= {limits.min_dead_rows}), or reloptions that turn autovacuum off "
        f"or postpone it (scale factor >= {limits.max_scale_factor:g}, threshold >= {limits.max_threshold:,})",
        summary=lambda found: f"{many(len(found), 'table')} with dead rows piling up or autovacuum postponed by reloptions"
        + (f"; {never} never vacuumed" if never else ""),
    )


AUTOVACUUM_TABLE_SETTINGS = Check(
    name="autovacuum_table_settings", area="maintenance", sql=AUTOVACUUM_TABLES_SQL, evaluate=_autovacuum_tables,
    limits=AutovacuumTableLimits(),
    remediation="Run each row's fix: vacuum now, and reset the per-table options that keep autovacuum away.",
    description="Dead-row share and never-vacuumed tables whatever per-table thresholds say; suspicious reloptions.",
)

CHECKS: tuple[Check, ...] = (PREPARED_TRANSACTIONS, AUTOVACUUM_WORKERS, AUTOVACUUM_TABLE_SETTINGS)
