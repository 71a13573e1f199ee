"""`pg_activity` (sessions, blocking, locks, connections) and `pg_top_queries` (pg_stat_statements)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from mcp.server import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult
from pydantic import BaseModel, Field

from mcp_servers.common.annotations import read_only_tool
from mcp_servers.common.redact import redact_text
from mcp_servers.common.results import tool_result
from mcp_servers.postgres.checks import activity as act
from mcp_servers.postgres.checks import locks as lk
from mcp_servers.postgres.checks import session_rows as ss
from mcp_servers.postgres.checks.base import gather_facts
from mcp_servers.postgres.checks.queries import SLOW_QUERIES, OrderBy, own_note, statements, statements_sql
from mcp_servers.postgres.db import Database
from mcp_servers.postgres.settings import PostgresSettings

__all__ = ["ActivityReport", "TopQueries", "activity", "register", "top_queries"]

Kind = Literal["running", "long_running", "blocking", "locks", "exclusive_locks", "idle_in_transaction", "connections"]

RUNNING_SQL = f"""
SELECT a.pid, a.usename AS username, a.application_name AS application, a.state,
       round(extract(epoch FROM now() - a.query_start)::numeric, 1)::float8 AS seconds,
       round(extract(epoch FROM now() - a.xact_start)::numeric, 1)::float8 AS transaction_seconds,
       a.wait_event_type, a.wait_event, a.query
FROM pg_stat_activity a
WHERE {ss.CLIENT} AND {ss.HERE} AND {ss.NOT_US} AND a.state <> 'idle'
ORDER BY a.query_start NULLS LAST
"""

ALL_LOCKS_SQL = f"""
SELECT l.pid, a.usename AS username, a.application_name AS application, l.locktype, l.mode, l.granted,
       CASE WHEN l.relation IS NOT NULL THEN l.relation::regclass::text END AS relation,
       l.transactionid::text AS transactionid,
       round(extract(epoch FROM now() - coalesce(a.xact_start, a.query_start))::numeric, 1)::float8 AS held_seconds,
       a.query
FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
WHERE {ss.HERE} AND {ss.NOT_US}
ORDER BY l.granted, l.pid, l.locktype, relation
"""


class Session(BaseModel):
    pid: int
    username: str | None = None
    application: str | None = None
    state: str | None = None
    seconds: float | None = Field(None, description="Age of the current query (idle_in_transaction: time idle).")
    transaction_seconds: float | None = None
    wait: str | None = Field(None, description="wait_event_type:wait_event")
    query: str | None = None


class BlockingPair(BaseModel):
    blocked_pid: int
    blocking_pid: int
    lock_kind: str | None = Field(None, description="transactionid (row), relation, tuple, advisory ...")
    locked_object: str | None = None
    wanted_mode: str | None = None
    waiting_seconds: float | None = None
    blocked_query: str | None = None
    blocking_state: str | None = None
    blocking_transaction_seconds: float | None = None
    blocking_query: str | None = None


class Lock(BaseModel):
    pid: int
    application: str | None = None
    locktype: str
    mode: str
    granted: bool
    relation: str | None = None
    transactionid: str | None = None
    held_seconds: float | None = Field(None, description="Age of the holder's transaction.")
    waiting: int | None = Field(None, description="Sessions queued behind this lock (exclusive_locks).")
    query: str | None = None


class ConnectionGroup(BaseModel):
    database: str
    username: str
    application: str
    connections: int
    active: int
    idle: int
    idle_in_transaction: int


class ActivityReport(BaseModel):
    kind: str
    summary: str
    count: int
    truncated: bool = False
    max_connections: int | None = None
    sessions: list[Session] = []
    pairs: list[BlockingPair] = []
    locks: list[Lock] = []
    connections: list[ConnectionGroup] = []


def _wait(r: dict[str, Any]) -> str | None:
    return ":".join(x for x in (r.get("wait_event_type"), r.get("wait_event")) if x) or None


def _session(r: dict[str, Any], seconds: str = "seconds", query: str = "query") -> Session:
    return Session(pid=r["pid"], username=r["username"], application=r["application"], state=r["state"],
                   seconds=r[seconds], transaction_seconds=r.get("transaction_seconds"), wait=_wait(r),
                   query=ss.query_text(r[query]))


async def activity(db: Database, kind: Kind, min_seconds: float | None = None, limit: int = 50) -> ActivityReport:
    facts = await gather_facts(db)
    if kind == "connections":
        rows = await db.fetch(act.CONNECTIONS_SQL, act.CONNECTION_COUNT.params())
        total = sum(r["connections"] for r in rows)
        return ActivityReport(
            kind=kind, count=total, max_connections=facts.max_connections, truncated=len(rows) > limit,
            connections=[ConnectionGroup(**r) for r in rows[:limit]],
            summary=f"{total} of {facts.max_connections} connections in use, in {len(rows)} database/user/application groups",
        )
    if kind == "blocking":
        rows = await db.fetch(lk.blocking_sql(facts), lk.BLOCKING_QUERIES.params())
        pairs = [BlockingPair(**{k: (ss.query_text(v) if k.endswith("_query") else v) for k, v in r.items()
                                 if k in BlockingPair.model_fields}) for r in rows]
        blocked = len({p.blocked_pid for p in pairs})
        return ActivityReport(kind=kind, count=len(pairs), pairs=pairs[:limit], truncated=len(pairs) > limit,
                              summary=f"{ss.many(blocked, 'session')} waiting on locks, {ss.many(len(pairs), 'blocked/blocking pair')}")
    if kind in ("locks", "exclusive_locks"):
        if kind == "locks":
            rows = await db.fetch(ALL_LOCKS_SQL, {})
        else:
            rows = await db.fetch(lk.EXCLUSIVE_LOCKS_SQL, {"min_seconds": min_seconds or 0.0})
        locks = [Lock(**{**r, "locktype": r.get("locktype", "relation"), "granted": r.get("granted", True),
                         "query": ss.query_text(r["query"])}) for r in rows]
        waiting = sum(1 for x in locks if not x.granted)
        if kind == "locks":
            summary = f"{ss.many(len(locks), 'lock')} held or awaited by other sessions ({waiting} not granted)"
        else:
            queued = sum(x.waiting or 0 for x in locks)
            verb = "blocks" if len(locks) == 1 else "block"
            summary = f"{ss.many(len(locks), 'table lock')} that {verb} writes or reads; {ss.many(queued, 'session')} queued behind them"
        return ActivityReport(kind=kind, count=len(locks), locks=locks[:limit], truncated=len(locks) > limit,
                              summary=summary)
    if kind == "long_running":
        floor = act.LONG_RUNNING_QUERIES.limits.yellow_seconds if min_seconds is None else min_seconds
        sessions = [_session(r) for r in await db.fetch(act.LONG_RUNNING_SQL, {"yellow_seconds": floor})]
        summary = f"{ss.many(len(sessions), 'query', 'queries')} running for {floor:g} s or more"
    elif kind == "idle_in_transaction":
        floor = min_seconds or 0.0
        rows = [r for r in await db.fetch(act.IDLE_IN_TRANSACTION_SQL, {}) if r["idle_seconds"] >= floor]
        sessions = [_session(r, "idle_seconds", "last_query") for r in rows]
        summary = f"{ss.many(len(sessions), 'session')} idle in a transaction" + (f" for {floor:g} s or more" if floor else "")
    else:
        floor = min_seconds or 0.0
        rows = [r for r in await db.fetch(RUNNING_SQL, {}) if (r["seconds"] or 0) >= floor]
        sessions = [_session(r) for r in rows]
        summary = f"{ss.many(len(sessions), 'session')} in a query or a transaction"
    return ActivityReport(kind=kind, count=len(sessions), sessions=sessions[:limit],
                          truncated=len(sessions) > limit, summary=summary)


def _s(seconds: float | None) -> str:
    return "?" if seconds is None else f"{seconds:g}"


def render_activity(r: ActivityReport) -> str:
    lines = [r.summary + (" (truncated)" if r.truncated else "")]
    lines += [f"{c.connections:>4}  {c.database} / {c.username} / {c.application}  (active {c.active}, idle {c.idle}, "
              f"idle in tx {c.idle_in_transaction})" for c in r.connections]
    lines += [f"pid {p.blocked_pid} waits {_s(p.waiting_seconds)} s for {p.wanted_mode} on {p.locked_object} "
              f"({p.lock_kind}) held by pid {p.blocking_pid} [{p.blocking_state}]: {p.blocked_query}" for p in r.pairs]
    lines += [f"pid {x.pid} {'holds' if x.granted else 'WAITS for'} {x.mode} on {x.relation or x.transactionid or x.locktype}"
              f"{f' ({x.waiting} waiting)' if x.waiting else ''}: {x.query}" for x in r.locks]
    lines += [f"pid {s.pid} {s.state} {_s(s.seconds)} s {s.application or ''}{f' wait={s.wait}' if s.wait else ''}: {s.query}"
              for s in r.sessions]
    return "\n".join(lines)


class QueryStat(BaseModel):
    queryid: str
    username: str | None
    query: str | None
    calls: int
    total_ms: float
    mean_ms: float
    rows: int
    share_pct: float | None = Field(description="Share of the application's top-level execution time.")
    io_ms: float = Field(description="Time reading/writing shared blocks (needs track_io_timing).")
    shared_blks_read: int
    cache_hit_pct: float | None


class TopQueries(BaseModel):
    status: Literal["ok", "skipped"]
    reason: str | None = None
    remediation: str | None = None
    order_by: str
    stats_reset: datetime | None = None
    stats_note: str | None = Field(None, description="Why the statistics may be incomplete (young, evicted).")
    statements_tracked: int | None = Field(None, description="The application's statements (ours left out).")
    total_exec_ms: float | None = None
    own_statements: int | None = Field(None, description="Statements mcp-postgres sent itself, left out of all figures.")
    own_exec_ms: float | None = None
    queries: list[QueryStat] = []


def _skipped(order_by: str, reason: str, remediation: str) -> TopQueries:
    return TopQueries(status="skipped", order_by=order_by, reason=reason, remediation=remediation)


async def top_queries(db: Database, order_by: OrderBy = "total_time", limit: int = 10) -> TopQueries:
    import psycopg

    from mcp_servers.postgres.checks.queries import stats_note

    facts = await gather_facts(db)
    missing = SLOW_QUERIES.unmet(facts)
    if missing is not None:
        return _skipped(order_by, f"skipped: {missing.summary}", missing.remediation or "")
    try:
        rows = await db.fetch(statements_sql(facts, order_by), {"limit": limit})
    except psycopg.errors.ObjectNotInPrerequisiteState:
        return _skipped(order_by, "skipped: pg_stat_statements is installed but not loaded by the server",
                        "Add pg_stat_statements to shared_preload_libraries and restart the server "
                        "(Heroku Postgres preloads it).")
    except (psycopg.errors.UndefinedColumn, psycopg.errors.UndefinedTable):
        return _skipped(order_by, "skipped: the installed pg_stat_statements is older than the server",
                        "ALTER EXTENSION pg_stat_statements UPDATE;")
    except psycopg.errors.InsufficientPrivilege:
        return _skipped(order_by, "skipped: permission denied", "GRANT pg_read_all_stats TO the role the server uses.")
    except psycopg.Error as exc:
        raise ToolError(f"reading pg_stat_statements failed: {redact_text(str(exc).splitlines()[0])}") from None
    head = rows[0]
    return TopQueries(
        status="ok", order_by=order_by, stats_reset=head["stats_reset"], stats_note=stats_note(rows, facts),
        statements_tracked=head["statements"], total_exec_ms=round(head["all_ms"], 1),
        own_statements=head["own_statements"], own_exec_ms=head["own_ms"],
        queries=[QueryStat(**{k: v for k, v in r.items() if k in QueryStat.model_fields}) for r in statements(rows)],
    )


def render_top(t: TopQueries) -> str:
    if t.status == "skipped":
        return f"{t.reason}. Fix: {t.remediation}"
    notes = "".join(f"; {n}" for n in (t.stats_note, own_note(t.own_statements, t.own_exec_ms)) if n)
    lines = [f"Top {len(t.queries)} of {t.statements_tracked} statements by {t.order_by} (total {t.total_exec_ms:g} ms{notes}):"]
    lines += [f"{i}. {q.share_pct or 0:g}% | {q.total_ms:g} ms total | {ss.many(q.calls, 'call')} | {q.mean_ms:g} ms mean | "
              f"io {q.io_ms:g} ms | {q.query}" for i, q in enumerate(t.queries, 1)]
    return "\n".join(lines)


def register(server: MCPServer, db: Database, settings: PostgresSettings) -> None:
    @read_only_tool(server, "Live sessions, locks and connections")
    async def pg_activity(
        kind: Annotated[Kind, Field(description="running | long_running | blocking (waiter/holder pairs) | locks | "
                                    "exclusive_locks | idle_in_transaction | connections (by user/application)")],
        min_seconds: Annotated[float | None, Field(ge=0, description="Only at least this old (long_running default 60).")] = None,
        limit: Annotated[int, Field(ge=1, le=500)] = 50,
    ) -> Annotated[CallToolResult, ActivityReport]:
        """What the database is doing now (pg_stat_activity, pg_locks; current database, our sessions left out): who blocks whom, stuck or idle transactions, who uses the connections."""
        report = await activity(db, kind, min_seconds, limit)
        return tool_result(report, render_activity(report))

    @read_only_tool(server, "Top queries (pg_stat_statements)")
    async def pg_top_queries(
        order_by: Annotated[OrderBy, Field(description="total_time | mean_time | calls | io")] = "total_time",
        limit: Annotated[int, Field(ge=1, le=50)] = 10,
    ) -> Annotated[CallToolResult, TopQueries]:
        """The statements that cost this database the most (pg_stat_statements, any schema): share of total time, calls, mean, IO, cache hit, statistics age. Without the extension: says how to enable it."""
        result = await top_queries(db, order_by, limit)
        return tool_result(result, render_top(result))
