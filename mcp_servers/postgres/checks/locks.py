"""Lock checks: blocked/blocking pairs and table locks that block other sessions (area `activity`)."""

from __future__ import annotations

from typing import Any

from mcp_servers.common.results import Finding
from mcp_servers.postgres.checks.base import Check, DbFacts, Limits
from mcp_servers.postgres.checks.grading import graded, listing
from mcp_servers.postgres.checks.session_rows import HERE, NOT_US, many, seconds_since

__all__ = [
    "BLOCKING_QUERIES", "EXCLUSIVE_LOCKS", "EXCLUSIVE_LOCKS_SQL", "blocking_sql", "cancel_fix", "lock_roots",
    "terminate_fix",
]


def cancel_fix(pid: int) -> str:
    return f"SELECT pg_cancel_backend({int(pid)});  -- heroku pg:kill {int(pid)}"


def terminate_fix(pid: int) -> str:
    return f"SELECT pg_terminate_backend({int(pid)});  -- heroku pg:kill {int(pid)} --force"


def _advisory_unlock(classid: int, objid: int, objsubid: int) -> str:
    """The call that releases one advisory lock, from its pg_locks key (bigint keys are split in two)."""
    if objsubid == 1:
        key = (classid << 32) | objid
        return f"pg_advisory_unlock({key - (1 << 64) if key >= 1 << 63 else key})"
    return f"pg_advisory_unlock({classid - (1 << 32) if classid >= 1 << 31 else classid}, " \
           f"{objid - (1 << 32) if objid >= 1 << 31 else objid})"


def root_fix(row: dict[str, Any]) -> str:
    """How to release what the root of a lock queue holds: it depends on whether it is in a transaction."""
    pid = row["blocking_pid"]
    if row["blocking_transaction_seconds"] is None and row.get("blocking_advisory"):
        unlocks = "; ".join(f"SELECT {_advisory_unlock(*key)}" for key in row["blocking_advisory"])
        return (f"pid {pid} holds session-level advisory locks outside any transaction (COMMIT releases nothing): "
                f"its own session must run {unlocks}; else {terminate_fix(pid)}")
    if row["blocking_state"] in ("idle in transaction", "idle in transaction (aborted)"):
        return f"pid {pid} is idle in its transaction: its application must COMMIT or ROLLBACK; else {terminate_fix(pid)}"
    return (f"pid {pid} is {row['blocking_state']}: {terminate_fix(pid)} (cancelling its statement would leave its "
            "transaction's locks held until it rolls back)")


def lock_roots(rows: list[dict[str, Any]]) -> list[int]:
    """Blocking pids that are not waiting themselves: the roots of the lock queue trees (ending them frees the rest)."""
    blocked = {r["blocked_pid"] for r in rows}
    return sorted({r["blocking_pid"] for r in rows} - blocked)

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
       {seconds_since('coalesce(w.waitstart, p.query_start)')} AS waiting_seconds,
       w.locktype AS lock_kind, w.mode AS wanted_mode, w.locked_object,
       p.query AS blocked_query,
       b.pid AS blocking_pid, b.usename AS blocking_user, b.application_name AS blocking_application,
       b.state AS blocking_state,
       {seconds_since('b.xact_start')} AS blocking_transaction_seconds,
       (SELECT json_agg(json_build_array(h.classid::bigint, h.objid::bigint, h.objsubid::int))
        FROM pg_locks h WHERE h.pid = b.pid AND h.locktype = 'advisory' AND h.granted) AS blocking_advisory,
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
    blocked = {r["blocked_pid"] for r in rows}
    kinds = sorted({r["lock_kind"] or "unknown" for r in rows})
    roots = lock_roots(rows)
    # A row whose blocker is a root carries the fix for that root; the others are freed once it ends.
    fixed = [dict(r, root=r["blocking_pid"] in roots,
                  fix=root_fix(r) if r["blocking_pid"] in roots else f"waits behind pid {r['blocking_pid']}, itself blocked: "
                  "end the root instead") for r in rows]
    fixed.sort(key=lambda r: not r["root"])
    root_rows = {r["blocking_pid"]: r for r in fixed if r["root"]}
    described = ", ".join(f"pid {pid} ({root_rows[pid]['blocking_application'] or 'no application'}, "
                          f"{root_rows[pid]['blocking_state']})" for pid in roots)
    return listing(
        fixed, threshold=f"yellow: any blocked query; red: blocked >= {limits.red_seconds:g} s",
        clear="no query is waiting on another session's lock", status=graded(rows, "waiting_seconds", 0, limits.red_seconds),
        value=len(blocked), text_columns=("blocked_query", "blocking_query"),
        summary=lambda found: f"{many(len(blocked), 'session')} blocked by {many(len({r['blocking_pid'] for r in found}), 'other')} "
        f"(longest wait {max(r['waiting_seconds'] for r in found):g} s; lock kinds: {', '.join(kinds)}); "
        f"root of the queue: {described or 'a cycle (deadlock detection will break it)'}",
    )


BLOCKING_QUERIES = Check(
    name="blocking_queries", area="activity", sql=blocking_sql, evaluate=_blocking, limits=BlockingLimits(),
    remediation="Release what the root of the queue holds (the fix on its rows: end its transaction, or unlock its "
    "advisory lock); keep transactions that lock rows or tables short; set lock_timeout for migrations.",
    description="Queries waiting on locks held by other sessions (row, relation, tuple, advisory).",
)

# --- exclusive locks ----------------------------------------------------------------------------

EXCLUSIVE_LOCKS_SQL = f"""
SELECT l.pid, a.usename AS username, a.application_name AS application, a.state,
       l.mode, l.relation::regclass::text AS relation,
       CASE WHEN l.mode = 'AccessExclusiveLock' THEN 'reads and writes' ELSE 'writes' END AS blocks,
       {seconds_since('coalesce(a.xact_start, a.query_start)')} AS held_seconds,
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
    waiting = sum(r["waiting"] for r in rows)
    names = ", ".join(sorted({f"{r['mode']} on {r['relation']}" for r in rows})[:3])
    return listing(
        rows, threshold=f"yellow: held in a transaction open >= {limits.min_seconds:g} s; red: others wait on it",
        clear="no session holds a table lock that blocks writes or reads", status="red" if waiting else "yellow",
        fix=lambda r: terminate_fix(r["pid"]),  # a cancel would leave the lock held until rollback
        text_columns=("query",),
        summary=lambda found: f"{many(len(found), 'table lock')} that block writes or reads ({names}); "
        f"{many(waiting, 'session')} waiting on them",
    )


EXCLUSIVE_LOCKS = Check(
    name="exclusive_locks", area="activity", sql=EXCLUSIVE_LOCKS_SQL, evaluate=_exclusive_locks,
    limits=ExclusiveLockLimits(),
    remediation="Finish or cancel the holder's transaction; run DDL with a short lock_timeout, build indexes "
    "CONCURRENTLY, and avoid LOCK TABLE in application code.",
    description="Table locks that block other sessions' writes or reads (ACCESS EXCLUSIVE, EXCLUSIVE, SHARE ...).",
)
