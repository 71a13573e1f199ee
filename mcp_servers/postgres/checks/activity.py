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

from mcp_servers.common.redact import redact_text, truncate
from mcp_servers.common.results import Finding
from mcp_servers.postgres.checks.base import Check, DbFacts, Limits
from mcp_servers.postgres.settings import APPLICATION_NAME

__all__ = [
    "CHECKS", "CONNECTIONS_SQL", "LONG_RUNNING_SQL", "LONG_TRANSACTIONS_SQL", "IDLE_IN_TRANSACTION_SQL",
    "EXCLUSIVE_LOCKS_SQL", "blocking_sql", "many", "query_text",
]

# Our own sessions: this one, and the pool's others (same application_name). A constant, not input.
NOT_US = f"a.pid <> pg_backend_pid() AND a.application_name <> '{APPLICATION_NAME.replace(chr(39), chr(39) * 2)}'"
CLIENT = "a.backend_type = 'client backend'"
HERE = "a.datname = current_database()"


def many(count: int, noun: str, plural: str | None = None) -> str:
    """`1 session`, `3 sessions`."""
    return f"{count} {noun if count == 1 else plural or noun + 's'}"


def query_text(text: Any) -> str | None:
    """SQL text as it may leave the server: secrets masked, at most 300 characters."""
    return truncate(redact_text(str(text)), 300) if text is not None else None


def _rows(rows: list[dict[str, Any]], *text_columns: str) -> list[dict[str, Any]]:
    return [{k: (query_text(v) if k in text_columns else v) for k, v in r.items()} for r in rows]


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
    status = "red" if pct >= limits.red_pct else "yellow" if pct >= limits.yellow_pct else "green"
    top = rows[0] if rows else None
    busiest = f"; most from {top['username']}/{top['application']} ({top['connections']})" if top else ""
    return Finding(
        check="connection_count", status=status, value=pct,
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

# --- long-running queries -------------------------------------------------------------------------

LONG_RUNNING_SQL = f"""
SELECT a.pid, a.usename AS username, a.application_name AS application, a.state,
       a.wait_event_type, a.wait_event,
       round(extract(epoch FROM now() - a.query_start)::numeric, 1)::float8 AS seconds,
       a.query
FROM pg_stat_activity a
WHERE {CLIENT} AND {HERE} AND {NOT_US}
  AND a.state IN ('active', 'fastpath function call')
  AND now() - a.query_start >= %(yellow_seconds)s::float8 * interval '1 second'
ORDER BY a.query_start
"""


class LongQueryLimits(Limits):
    # PgHero long_running_query_sec = 60 and pg:diagnose "Long Queries" (> 1 minute) for yellow;
    # pg-extras long-running-queries lists queries over 5 minutes: that is our red.
    yellow_seconds: float = 60.0
    red_seconds: float = 300.0


def _graded(rows: list[dict[str, Any]], column: str, yellow: float, red: float) -> str:
    if any(r[column] is not None and r[column] >= red for r in rows):
        return "red"
    return "yellow" if any(r[column] is not None and r[column] >= yellow for r in rows) else "green"


def _long_running(rows: list[dict[str, Any]], limits: LongQueryLimits, facts: DbFacts) -> Finding:
    threshold = f"yellow >= {limits.yellow_seconds:g} s, red >= {limits.red_seconds:g} s"
    if not rows:
        return Finding(check="long_running_queries", status="green", value=0, threshold=threshold,
                       summary=f"no query has run for {limits.yellow_seconds:g} s or more")
    longest = max(r["seconds"] for r in rows)
    return Finding(
        check="long_running_queries", status=_graded(rows, "seconds", limits.yellow_seconds, limits.red_seconds),
        value=len(rows), threshold=threshold, rows=_rows(rows, "query"),
        summary=f"{many(len(rows), 'query', 'queries')} running for {limits.yellow_seconds:g} s or more (longest {longest:g} s)",
    )


LONG_RUNNING_QUERIES = Check(
    name="long_running_queries", area="activity", sql=LONG_RUNNING_SQL, evaluate=_long_running,
    limits=LongQueryLimits(),
    remediation="EXPLAIN the query and add the index it lacks; cancel it with pg_cancel_backend(pid) "
    "(heroku pg:kill PID); set a statement_timeout for the application's role.",
    description="Active queries running longer than the threshold (current database).",
)

# --- long transactions --------------------------------------------------------------------------

LONG_TRANSACTIONS_SQL = f"""
SELECT a.pid, a.usename AS username, a.application_name AS application, a.state,
       round(extract(epoch FROM now() - a.xact_start)::numeric, 1)::float8 AS transaction_seconds,
       age(a.backend_xmin) AS xmin_age,
       a.query AS last_query
FROM pg_stat_activity a
WHERE {CLIENT} AND {HERE} AND {NOT_US}
  AND a.xact_start IS NOT NULL
  AND now() - a.xact_start >= %(yellow_seconds)s::float8 * interval '1 second'
ORDER BY a.xact_start
"""


class LongTransactionLimits(Limits):
    # pg:diagnose "Long Transactions" (threshold not public; its other time checks use 1 minute): yellow.
    # Red is our choice: an hour-old transaction holds vacuum's horizon long enough for busy tables to bloat.
    yellow_seconds: float = 60.0
    red_seconds: float = 3600.0


def _long_transactions(rows: list[dict[str, Any]], limits: LongTransactionLimits, facts: DbFacts) -> Finding:
    threshold = f"yellow >= {limits.yellow_seconds:g} s, red >= {limits.red_seconds:g} s open"
    if not rows:
        return Finding(check="long_transactions", status="green", value=0, threshold=threshold,
                       summary=f"no transaction has been open for {limits.yellow_seconds:g} s or more")
    oldest = max(r["transaction_seconds"] for r in rows)
    return Finding(
        check="long_transactions",
        status=_graded(rows, "transaction_seconds", limits.yellow_seconds, limits.red_seconds),
        value=len(rows), threshold=threshold, rows=_rows(rows, "last_query"),
        summary=f"{many(len(rows), 'transaction')} open for {limits.yellow_seconds:g} s or more (oldest {oldest:g} s); "
        "they hold back vacuum",
    )


LONG_TRANSACTIONS = Check(
    name="long_transactions", area="activity", sql=LONG_TRANSACTIONS_SQL, evaluate=_long_transactions,
    limits=LongTransactionLimits(),
    remediation="Commit or roll back sooner (keep transactions around one unit of work); end stuck ones with "
    "pg_terminate_backend(pid) (heroku pg:kill PID --force).",
    description="Transactions open longer than the threshold, with the xmin age they pin.",
)

# --- idle in transaction ------------------------------------------------------------------------

IDLE_IN_TRANSACTION_SQL = f"""
SELECT a.pid, a.usename AS username, a.application_name AS application, a.state,
       round(extract(epoch FROM now() - a.state_change)::numeric, 1)::float8 AS idle_seconds,
       round(extract(epoch FROM now() - a.xact_start)::numeric, 1)::float8 AS transaction_seconds,
       a.query AS last_query
FROM pg_stat_activity a
WHERE {CLIENT} AND {HERE} AND {NOT_US}
  AND a.state IN ('idle in transaction', 'idle in transaction (aborted)')
ORDER BY a.state_change
"""


class IdleInTransactionLimits(Limits):
    # pg:diagnose "Idle in Transaction": red for any session idle in a transaction over 1 minute.
    # PgHero flags 100 or more such sessions, whatever their age: our yellow.
    red_seconds: float = 60.0
    yellow_count: int = 100


def _idle_in_transaction(rows: list[dict[str, Any]], limits: IdleInTransactionLimits, facts: DbFacts) -> Finding:
    threshold = f"red: any idle >= {limits.red_seconds:g} s; yellow: {limits.yellow_count} or more sessions"
    old = [r for r in rows if r["idle_seconds"] >= limits.red_seconds]
    if old:
        return Finding(
            check="idle_in_transaction", status="red", value=len(old), threshold=threshold,
            rows=_rows(old, "last_query"),
            summary=f"{many(len(old), 'session')} idle in a transaction for {limits.red_seconds:g} s or more "
            f"(longest {max(r['idle_seconds'] for r in old):g} s); {len(rows)} idle in transaction in all",
        )
    status = "yellow" if len(rows) >= limits.yellow_count else "green"
    return Finding(
        check="idle_in_transaction", status=status, value=len(rows), threshold=threshold,
        rows=_rows(rows, "last_query") if status == "yellow" else [],
        summary=f"{many(len(rows), 'session')} idle in a transaction, none for {limits.red_seconds:g} s",
    )


IDLE_IN_TRANSACTION = Check(
    name="idle_in_transaction", area="activity", sql=IDLE_IN_TRANSACTION_SQL, evaluate=_idle_in_transaction,
    limits=IdleInTransactionLimits(),
    remediation="Find the code path that opens a transaction and then waits (often an exception or a slow API "
    "call); set idle_in_transaction_session_timeout for the role (ALTER ROLE ... SET ...).",
    description="Sessions idle inside an open transaction: they hold locks and pin vacuum.",
)

# --- blocking queries ---------------------------------------------------------------------------


def blocking_sql(facts: DbFacts) -> str:
    """Blocked/blocking pairs. `pg_blocking_pids()` is the server's own answer: it covers waits on a
    transaction id (row locks), on a relation, on a tuple and on advisory locks, in queue order, so it
    finds what pg:blocking (transaction ids only) and PgHero (transaction id or relation) find."""
    waitstart = "l.waitstart" if facts.server_version_num >= 140000 else "NULL::timestamptz"
    return f"""
WITH waiting AS (
    SELECT a.pid, a.usename, a.application_name, a.query, a.query_start
    FROM pg_stat_activity a
    WHERE a.wait_event_type = 'Lock' AND {HERE} AND {NOT_US}
), pairs AS (
    SELECT w.*, unnest(pg_blocking_pids(w.pid)) AS blocking_pid FROM waiting w
), wanted AS (
    SELECT DISTINCT ON (l.pid) l.pid, l.locktype, l.mode, {waitstart} AS waitstart,
           CASE l.locktype
               WHEN 'relation' THEN l.relation::regclass::text
               WHEN 'tuple' THEN format('row (%%s,%%s) of %%s', l.page, l.tuple, l.relation::regclass)
               WHEN 'transactionid' THEN 'transaction ' || l.transactionid
               WHEN 'advisory' THEN format('advisory lock %%s/%%s', l.classid, l.objid)
               ELSE l.locktype
           END AS locked_object
    FROM pg_locks l WHERE NOT l.granted
    ORDER BY l.pid
)
SELECT p.pid AS blocked_pid, p.usename AS blocked_user, p.application_name AS blocked_application,
       round(extract(epoch FROM now() - coalesce(w.waitstart, p.query_start))::numeric, 1)::float8 AS waiting_seconds,
       w.locktype AS lock_kind, w.mode AS wanted_mode, w.locked_object,
       p.query AS blocked_query,
       b.pid AS blocking_pid, b.usename AS blocking_user, b.application_name AS blocking_application,
       b.state AS blocking_state,
       round(extract(epoch FROM now() - b.xact_start)::numeric, 1)::float8 AS blocking_transaction_seconds,
       b.query AS blocking_query
FROM pairs p
JOIN pg_stat_activity b ON b.pid = p.blocking_pid
LEFT JOIN wanted w ON w.pid = p.pid
ORDER BY waiting_seconds DESC, p.pid, b.pid
"""


class BlockingLimits(Limits):
    # pg:diagnose "Blocking Queries" is red for any pair. A snapshot also catches ordinary row-lock waits
    # of milliseconds, so waits shorter than deadlock_timeout's default (1 s, the point where
    # log_lock_waits logs a wait) are yellow; longer ones are red.
    red_seconds: float = 1.0


def _blocking(rows: list[dict[str, Any]], limits: BlockingLimits, facts: DbFacts) -> Finding:
    threshold = f"yellow: any blocked query; red: blocked >= {limits.red_seconds:g} s"
    if not rows:
        return Finding(check="blocking_queries", status="green", value=0, threshold=threshold,
                       summary="no query is waiting on another session's lock")
    blocked = {r["blocked_pid"] for r in rows}
    kinds = sorted({r["lock_kind"] or "unknown" for r in rows})
    return Finding(
        check="blocking_queries", status=_graded(rows, "waiting_seconds", 0, limits.red_seconds),
        value=len(blocked), threshold=threshold, rows=_rows(rows, "blocked_query", "blocking_query"),
        summary=f"{many(len(blocked), 'session')} blocked by {many(len({r['blocking_pid'] for r in rows}), 'other')} "
        f"(longest wait {max(r['waiting_seconds'] for r in rows):g} s; lock kinds: {', '.join(kinds)})",
    )


BLOCKING_QUERIES = Check(
    name="blocking_queries", area="activity", sql=blocking_sql, evaluate=_blocking, limits=BlockingLimits(),
    remediation="End the blocking session's transaction (commit, or pg_terminate_backend(blocking_pid) / "
    "heroku pg:kill); keep transactions that lock rows or tables short; set lock_timeout for migrations.",
    description="Queries waiting on locks held by other sessions (row, relation, tuple, advisory).",
)

# --- exclusive locks ----------------------------------------------------------------------------

EXCLUSIVE_LOCKS_SQL = f"""
SELECT l.pid, a.usename AS username, a.application_name AS application, a.state,
       l.mode, l.relation::regclass::text AS relation,
       CASE WHEN l.mode = 'AccessExclusiveLock' THEN 'reads and writes' ELSE 'writes' END AS blocks,
       round(extract(epoch FROM now() - coalesce(a.xact_start, a.query_start))::numeric, 1)::float8 AS held_seconds,
       (SELECT count(*) FROM pg_locks w
        WHERE w.locktype = 'relation' AND w.database = l.database AND w.relation = l.relation AND NOT w.granted) AS waiting,
       a.query
FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
WHERE l.locktype = 'relation' AND l.granted
  AND l.mode IN ('AccessExclusiveLock', 'ExclusiveLock', 'ShareRowExclusiveLock', 'ShareLock')
  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND {NOT_US}
  AND now() - coalesce(a.xact_start, a.query_start) >= %(min_seconds)s::float8 * interval '1 second'
ORDER BY waiting DESC, held_seconds DESC, l.pid
"""


class ExclusiveLockLimits(Limits):
    # Our choice: a migration's brief ACCESS EXCLUSIVE lock is normal; one held by a transaction open
    # for 10 s or more is worth a look (yellow), and one other sessions queue behind is red.
    min_seconds: float = 10.0


def _exclusive_locks(rows: list[dict[str, Any]], limits: ExclusiveLockLimits, facts: DbFacts) -> Finding:
    threshold = f"yellow: held in a transaction open >= {limits.min_seconds:g} s; red: others wait on it"
    if not rows:
        return Finding(check="exclusive_locks", status="green", value=0, threshold=threshold,
                       summary="no session holds a table lock that blocks writes or reads")
    waiting = sum(r["waiting"] for r in rows)
    names = ", ".join(sorted({f"{r['mode']} on {r['relation']}" for r in rows})[:3])
    return Finding(
        check="exclusive_locks", status="red" if waiting else "yellow", value=len(rows), threshold=threshold,
        rows=_rows(rows, "query"),
        summary=f"{many(len(rows), 'table lock')} that block writes or reads ({names}); {many(waiting, 'session')} waiting on them",
    )


EXCLUSIVE_LOCKS = Check(
    name="exclusive_locks", area="activity", sql=EXCLUSIVE_LOCKS_SQL, evaluate=_exclusive_locks,
    limits=ExclusiveLockLimits(),
    remediation="Finish or cancel the holder's transaction; run DDL with a short lock_timeout, build indexes "
    "CONCURRENTLY, and avoid LOCK TABLE in application code.",
    description="Table locks that block other sessions' writes or reads (ACCESS EXCLUSIVE, EXCLUSIVE, SHARE ...).",
)

CHECKS: tuple[Check, ...] = (
    CONNECTION_COUNT, LONG_RUNNING_QUERIES, LONG_TRANSACTIONS, IDLE_IN_TRANSACTION, BLOCKING_QUERIES,
    EXCLUSIVE_LOCKS,
)
