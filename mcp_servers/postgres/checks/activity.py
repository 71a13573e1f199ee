"""Activity checks: connections, long queries and transactions, idle transactions, blocking, exclusive locks.

Every query reads `pg_stat_activity`/`pg_locks` of client backends only, and leaves out our own
session (`pg_backend_pid()`) and the other sessions of this server (its `application_name`), so the
checker never reports itself. Sessions are those of the current database, as in PgHero, except for the
connection count, which is cluster-wide because `max_connections` is.

Time thresholds are `Limits` fields: tests and the demo, whose live problems are seconds old, pass
smaller ones through `Check.with_limits(...)` (pg_diagnose's `limits` argument).
"""

from __future__ import annotations

from typing import Any

from mcp_servers.common.results import Finding
from mcp_servers.postgres.checks.base import Check, DbFacts, Limits
from mcp_servers.postgres.checks.fixes import ident
from mcp_servers.postgres.checks.grading import AgeLimits, all_clear, level, listing
from mcp_servers.postgres.checks.locks import BLOCKING_QUERIES, EXCLUSIVE_LOCKS, cancel_fix, terminate_fix
from mcp_servers.postgres.checks.session_rows import CLIENT, HERE, NOT_US, SESSION, many, seconds_since, text_rows

__all__ = ["CHECKS", "CONNECTIONS_SQL", "IDLE_IN_TRANSACTION_SQL", "LONG_RUNNING_SQL", "LONG_TRANSACTIONS_SQL"]


# --- connection count ---------------------------------------------------------------------------

CONNECTIONS_SQL = f"""
SELECT coalesce(a.datname, '') AS database, coalesce(a.usename, '') AS username,
       coalesce(nullif(a.application_name, ''), '(none)') AS application,
       count(*) AS connections,
       count(*) FILTER (WHERE a.state = 'active') AS active,
       count(*) FILTER (WHERE a.state = 'idle') AS idle,
       count(*) FILTER (WHERE a.state LIKE 'idle in transaction%%') AS idle_in_transaction
FROM pg_stat_activity a
WHERE {CLIENT}
GROUP BY 1, 2, 3
ORDER BY connections DESC, 1, 2, 3
"""


class ConnectionLimits(Limits):
    # pg:diagnose "Connection Count": yellow at 75 %, red at 90 % of the plan's limit (open 2014 server
    # code). Heroku sets max_connections to the plan's limit, so we compare with max_connections.
    yellow_pct: float = 75.0
    red_pct: float = 90.0


def _connections(rows: list[dict[str, Any]], limits: ConnectionLimits, facts: DbFacts) -> Finding:
    total = sum(r["connections"] for r in rows)
    pct = round(100.0 * total / facts.max_connections, 1) if facts.max_connections else 0.0
    status = level(pct, limits.yellow_pct, limits.red_pct)
    top = rows[0] if rows else None
    busiest = f"; most from {top['username']}/{top['application']} ({top['connections']})" if top else ""
    return Finding(
        status=status, value=pct,
        summary=f"{total} of {facts.max_connections} connections in use ({pct}%){busiest}",
        threshold=f"yellow >= {limits.yellow_pct}%, red >= {limits.red_pct}% of max_connections",
        rows=rows,
    )


CONNECTION_COUNT = Check(
    name="connection_count", area="activity", sql=CONNECTIONS_SQL, evaluate=_connections,
    limits=ConnectionLimits(),
    remediation="Put a pooler in front (Heroku PgBouncer buildpack or connection pooling), lower each "
    "process's pool size, or move to a plan with a higher connection limit.",
    description="Client connections against max_connections, by database, user and application.",
)

# --- connection concentration: idle connections from one application --------------------------------


class PoolingLimits(Limits):
    # Our choices: connections to pool are worth it when they take a quarter of max_connections, three
    # quarters of them sit idle, and one application opened at least half: its per-process pools are
    # sized for peaks. PgBouncer (Heroku connection pooling) shares a few server connections among them.
    min_pct_of_max: float = 25.0
    min_idle_pct: float = 75.0
    min_app_pct: float = 50.0


def _pooling(rows: list[dict[str, Any]], limits: PoolingLimits, facts: DbFacts) -> Finding:
    total = sum(r["connections"] for r in rows)
    idle = sum(r["idle"] for r in rows)
    by_app: dict[str, int] = {}
    for r in rows:
        by_app[r["application"]] = by_app.get(r["application"], 0) + r["connections"]
    app, top = max(by_app.items(), key=lambda kv: kv[1], default=("(none)", 0))
    threshold = (f">= {limits.min_pct_of_max:g}% of max_connections, >= {limits.min_idle_pct:g}% idle, "
                 f">= {limits.min_app_pct:g}% from one application")
    pct = 100.0 * total / facts.max_connections if facts.max_connections else 0.0
    idle_pct = 100.0 * idle / total if total else 0.0
    app_pct = 100.0 * top / total if total else 0.0
    summary = f"{total} connections ({pct:.0f}% of max), {idle_pct:.0f}% idle, {app_pct:.0f}% from {app}"
    if pct < limits.min_pct_of_max or idle_pct < limits.min_idle_pct or app_pct < limits.min_app_pct:
        return all_clear(value=round(idle_pct, 1), threshold=threshold, summary=summary)
    return Finding(
        status="yellow", value=round(idle_pct, 1), threshold=threshold,
        rows=[r for r in rows if r["application"] == app],
        summary=summary + ": a pooler would serve them with a few server connections",
        remediation=(f"heroku pg:connection-pooling:attach DATABASE_URL --as DATABASE_CONNECTION_POOL, then point "
                     f"{app} at DATABASE_CONNECTION_POOL_URL (transaction pooling: no session state across transactions)"),
    )


CONNECTION_POOLING = Check(
    name="connection_pooling", area="activity", sql=CONNECTIONS_SQL, evaluate=_pooling, limits=PoolingLimits(),
    description="Most connections idle and from one application: a case for a connection pooler.",
)

# --- long-running queries -------------------------------------------------------------------------

LONG_RUNNING_SQL = f"""
SELECT {SESSION},
       a.wait_event_type, a.wait_event,
       {seconds_since('a.query_start')} AS seconds,
       pg_blocking_pids(a.pid) AS blocked_by,
       a.query
FROM pg_stat_activity a
WHERE {CLIENT} AND {HERE} AND {NOT_US}
  AND a.state IN ('active', 'fastpath function call')
  AND now() - a.query_start >= %(yellow_seconds)s::float8 * interval '1 second'
ORDER BY a.query_start
"""


class LongQueryLimits(AgeLimits):
    # PgHero long_running_query_sec = 60 and pg:diagnose "Long Queries" (> 1 minute) for yellow;
    # pg-extras long-running-queries lists queries over 5 minutes: that is our red.
    yellow_seconds: float = 60.0
    red_seconds: float = 300.0


def _long_query_fix(row: dict[str, Any]) -> str:
    """A query waiting on a lock is slow because of its blocker, not its plan: point there, not at indexes."""
    if row["blocked_by"]:
        return (f"waits on a lock held by pid {', '.join(map(str, row['blocked_by']))}: end that session's "
                "transaction (see blocking_queries), not this query")
    return cancel_fix(row["pid"])


def _long_query_remediation(waiting: int, working: int) -> str:
    """Advice for `working` queries (cancel, explain) and `waiting` ones (end their blocker instead)."""
    if not working:
        return "Every one of them waits on a lock: end the blocker (blocking_queries names the root), not these queries."
    remediation = ("Cancel with each row's fix if it must stop; then pg_explain the statement: a plan reading many rows "
                   "wants an index, a cheap plan that still runs long is computing (functions) or waiting (I/O). "
                   "Set a statement_timeout for the application's role.")
    if waiting:
        remediation += " Rows that wait on a lock need their blocker ended instead (blocking_queries)."
    return remediation


def _long_running(rows: list[dict[str, Any]], limits: LongQueryLimits, facts: DbFacts) -> Finding:
    waiting = sum(1 for r in rows if r["blocked_by"])
    return listing(
        rows, threshold=limits.threshold(), clear=f"no query has run for {limits.yellow_seconds:g} s or more",
        status=limits.grade(rows, "seconds"), remediation=_long_query_remediation(waiting, len(rows) - waiting),
        fix=_long_query_fix, text_columns=("query",),
        summary=lambda found: f"{many(len(found), 'query', 'queries')} running for {limits.yellow_seconds:g} s or more "
        f"(longest {max(r['seconds'] for r in found):g} s)" + (f"; {waiting} of them waiting on locks" if waiting else ""),
    )


LONG_RUNNING_QUERIES = Check(
    name="long_running_queries", area="activity", sql=LONG_RUNNING_SQL, evaluate=_long_running,
    limits=LongQueryLimits(),
    remediation="Cancel it with each row's fix; pg_explain it before adding an index; set a statement_timeout "
    "for the application's role.",
    description="Active queries running longer than the threshold (current database).",
)

# --- long transactions --------------------------------------------------------------------------

LONG_TRANSACTIONS_SQL = f"""
SELECT {SESSION},
       {seconds_since('a.xact_start')} AS transaction_seconds,
       age(a.backend_xmin) AS xmin_age,
       a.query AS last_query
FROM pg_stat_activity a
WHERE {CLIENT} AND {HERE} AND {NOT_US}
  AND a.xact_start IS NOT NULL
  AND now() - a.xact_start >= %(yellow_seconds)s::float8 * interval '1 second'
ORDER BY a.xact_start
"""


class LongTransactionLimits(AgeLimits):
    # pg:diagnose "Long Transactions" (threshold not public; its other time checks use 1 minute): yellow.
    # Red is our choice: an hour-old transaction holds vacuum's horizon long enough for busy tables to bloat.
    yellow_seconds: float = 60.0
    red_seconds: float = 3600.0


def _long_transactions(rows: list[dict[str, Any]], limits: LongTransactionLimits, facts: DbFacts) -> Finding:
    return listing(
        rows, threshold=limits.threshold(" open"), clear=f"no transaction has been open for {limits.yellow_seconds:g} s or more",
        status=limits.grade(rows, "transaction_seconds"),
        fix=lambda r: terminate_fix(r["pid"]), text_columns=("last_query",),
        summary=lambda found: f"{many(len(found), 'transaction')} open for {limits.yellow_seconds:g} s or more "
        f"(oldest {max(r['transaction_seconds'] for r in found):g} s); they hold back vacuum",
    )


LONG_TRANSACTIONS = Check(
    name="long_transactions", area="activity", sql=LONG_TRANSACTIONS_SQL, evaluate=_long_transactions,
    limits=LongTransactionLimits(),
    remediation="Commit or roll back sooner (keep transactions around one unit of work); end stuck ones with "
    "each row's fix.",
    description="Transactions open longer than the threshold, with the xmin age they pin.",
)

# --- idle in transaction ------------------------------------------------------------------------

IDLE_IN_TRANSACTION_SQL = f"""
SELECT {SESSION},
       {seconds_since('a.state_change')} AS idle_seconds,
       {seconds_since('a.xact_start')} AS transaction_seconds,
       a.query AS last_query
FROM pg_stat_activity a
WHERE {CLIENT} AND {HERE} AND {NOT_US}
  AND a.state IN ('idle in transaction', 'idle in transaction (aborted)')
ORDER BY a.state_change
"""


IDLE_REMEDIATION = (
    "End the listed sessions with each row's fix; find the code path that opens a transaction and then waits "
    "(often an exception or a slow API call); set idle_in_transaction_session_timeout for the application's role."
)


def _idle_timeout_fix(rows: list[dict[str, Any]]) -> str:
    roles = sorted({r["username"] for r in rows if r.get("username")})
    return " ".join(f"ALTER ROLE {ident(role)} SET idle_in_transaction_session_timeout = '60s';" for role in roles)


class IdleInTransactionLimits(Limits):
    # pg:diagnose "Idle in Transaction": red for any session idle in a transaction over 1 minute.
    # PgHero flags 100 or more such sessions, whatever their age: our yellow.
    red_seconds: float = 60.0
    yellow_count: int = 100


def _idle_in_transaction(rows: list[dict[str, Any]], limits: IdleInTransactionLimits, facts: DbFacts) -> Finding:
    threshold = f"red: any idle >= {limits.red_seconds:g} s; yellow: {limits.yellow_count} or more sessions"
    rows = [dict(r, fix=terminate_fix(r["pid"])) for r in rows]
    old = [r for r in rows if r["idle_seconds"] >= limits.red_seconds]
    aborted = sum(1 for r in old if r["state"] == "idle in transaction (aborted)")
    if old:
        return Finding(
            status="red", value=len(old), threshold=threshold,
            rows=text_rows(old, "last_query"),
            summary=f"{many(len(old), 'session')} idle in a transaction for {limits.red_seconds:g} s or more "
            f"(longest {max(r['idle_seconds'] for r in old):g} s); {len(rows)} idle in transaction in all"
            + (f"; {aborted} aborted: a statement failed and the application never rolled back" if aborted else ""),
            remediation=("An aborted transaction refuses every statement until ROLLBACK: fix the error handling that "
                         "skips it (roll back on every exception). " if aborted else "") + IDLE_REMEDIATION + " "
            + _idle_timeout_fix(old),
        )
    status = "yellow" if len(rows) >= limits.yellow_count else "green"
    return Finding(
        status=status, value=len(rows), threshold=threshold,
        rows=text_rows(rows, "last_query") if status == "yellow" else [],
        summary=f"{many(len(rows), 'session')} idle in a transaction, none for {limits.red_seconds:g} s",
    )


IDLE_IN_TRANSACTION = Check(
    name="idle_in_transaction", area="activity", sql=IDLE_IN_TRANSACTION_SQL, evaluate=_idle_in_transaction,
    limits=IdleInTransactionLimits(),
    remediation=IDLE_REMEDIATION,
    description="Sessions idle inside an open transaction: they hold locks and pin vacuum.",
)

CHECKS: tuple[Check, ...] = (
    CONNECTION_COUNT, CONNECTION_POOLING, LONG_RUNNING_QUERIES, LONG_TRANSACTIONS, IDLE_IN_TRANSACTION, BLOCKING_QUERIES,
    EXCLUSIVE_LOCKS,
)
