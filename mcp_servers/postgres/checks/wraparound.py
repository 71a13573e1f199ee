"""Transaction ID wraparound (area `server`): ids left per database and per table (with its TOAST table),
and tables past their own autovacuum_freeze_max_age."""

from __future__ import annotations

from typing import Any

from mcp_servers.common.results import Finding
from mcp_servers.postgres.checks.base import Check, Limits
from mcp_servers.postgres.checks.fixes import ident, qualified
from mcp_servers.postgres.checks.grading import all_clear, level, listing
from mcp_servers.postgres.checks.session_rows import many

__all__ = ["CHECKS", "DATABASE_WRAPAROUND", "TABLE_WRAPAROUND", "XID_MAX"]

XID_MAX = 2147483647  # transaction ids (and multixact ids) wrap around after 2^31 - 1


class WraparoundLimits(Limits):
    # Transactions left before wraparound. PgHero's dashboard warns under 1.5 billion left (yellow).
    # PostgreSQL starts logging warnings at 40 million left (docs, "Preventing Transaction ID Wraparound
    # Failures"), and PgHero's transaction_id_danger and Postgres MCP Pro call 10 million critical;
    # we turn red at the server's own warning point, earlier than both.
    yellow_remaining: int = 1_500_000_000
    red_remaining: int = 40_000_000


DATABASE_XID_SQL = f"""
SELECT datname AS database, age(datfrozenxid) AS xid_age, mxid_age(datminmxid) AS multixact_age,
       {XID_MAX} - greatest(age(datfrozenxid), mxid_age(datminmxid)) AS remaining
FROM pg_database
ORDER BY remaining, datname
"""

TABLE_XID_SQL = f"""
SELECT * FROM (
    SELECT n.nspname AS schema, c.relname AS table,
           greatest(age(c.relfrozenxid), age(t.relfrozenxid)) AS xid_age,
           greatest(mxid_age(c.relminmxid), mxid_age(t.relminmxid)) AS multixact_age,
           {XID_MAX} - greatest(age(c.relfrozenxid), age(t.relfrozenxid),
                                mxid_age(c.relminmxid), mxid_age(t.relminmxid)) AS remaining,
           -- the age at which autovacuum must freeze this table: its own reloption, else the server's
           coalesce((SELECT option_value::bigint FROM pg_options_to_table(c.reloptions)
                     WHERE option_name = 'autovacuum_freeze_max_age'),
                    current_setting('autovacuum_freeze_max_age')::bigint) AS freeze_max_age
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    LEFT JOIN pg_class t ON t.oid = c.reltoastrelid
    WHERE c.relkind IN ('r', 'm')
) x
ORDER BY xid_age > freeze_max_age DESC, remaining
LIMIT 50
"""


def _freeze_fix(row: dict[str, Any]) -> str:
    if "table" in row:
        return f"VACUUM (FREEZE, VERBOSE) {qualified(row['schema'], row['table'])};"
    return f"in database {ident(row['database'])}: VACUUM (FREEZE) the tables that table_xid_wraparound lists there"


def _wraparound(what: str, rows: list[dict[str, Any]], limits: WraparoundLimits) -> Finding:
    threshold = f"yellow < {limits.yellow_remaining:,} left, red < {limits.red_remaining:,} left"
    low = [r for r in rows if r["remaining"] < limits.yellow_remaining]
    least = min((r["remaining"] for r in rows), default=XID_MAX)
    status = level(least, limits.yellow_remaining, limits.red_remaining, below=True)
    # A table past its own autovacuum_freeze_max_age is owed an anti-wraparound vacuum that has not
    # finished: autovacuum is behind, blocked, or the reloption was set lower than it can keep up with.
    overdue = [dict(r, fix=_freeze_fix(r)) for r in rows
               if r.get("freeze_max_age") is not None and r["xid_age"] > r["freeze_max_age"] and r not in low]
    if overdue and status == "green":
        first = overdue[0]
        return Finding(
            status="yellow", value=least, threshold=threshold + "; yellow: past its autovacuum_freeze_max_age",
            rows=overdue,
            summary=f"{many(len(overdue), what)} past its autovacuum_freeze_max_age (e.g. {first['schema']}.{first['table']}: "
            f"age {first['xid_age']:,} > {first['freeze_max_age']:,}); fewest ids left: {least:,}",
        )
    return listing(
        low, threshold=threshold, status=status, value=least, fix=_freeze_fix,
        clear=all_clear(f"every {what} has over {limits.yellow_remaining:,} transaction ids left (fewest: {least:,})",
                        threshold, value=least),
        summary=lambda found: f"{many(len(found), what)} nearing transaction id wraparound (fewest left: {least:,})",
    )


def _wraparound_check(what: str, sql: str, *, remediation: str, detail: str = "") -> Check:
    """Ids left before wraparound per `what` (database or table): the two checks differ in query and advice."""
    return Check(
        name=f"{what}_xid_wraparound", area="server", sql=sql, limits=WraparoundLimits(),
        evaluate=lambda rows, limits, facts: _wraparound(what, rows, limits), remediation=remediation,
        description=f"Transaction and multixact ids left before wraparound, per {what}{detail}.",
    )


DATABASE_WRAPAROUND = _wraparound_check(
    "database", DATABASE_XID_SQL,
    remediation="Run VACUUM (FREEZE) on the oldest tables of that database (see table_xid_wraparound); end "
    "long transactions and drop inactive replication slots, which stop freezing.",
)
TABLE_WRAPAROUND = _wraparound_check(
    "table", TABLE_XID_SQL, detail=" (with its TOAST table)",
    remediation="Run each row's fix (VACUUM FREEZE) in a quiet period; check that autovacuum keeps "
    "up (pg_table_stats kind=vacuum).",
)

CHECKS: tuple[Check, ...] = (DATABASE_WRAPAROUND, TABLE_WRAPAROUND)
