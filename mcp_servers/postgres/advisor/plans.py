"""Estimated plans of workload statements, in our read-only session: the planner's total cost and the indexes it used.

A statement with `$n` parameters (as pg_stat_statements stores them) is planned generically: PREPAREd
once, then `EXPLAIN EXECUTE` with NULLs under `plan_cache_mode = force_generic_plan`, so the values never
shape the plan (this works on every supported version; EXPLAIN (GENERIC_PLAN) needs 16+). Each step runs
under a savepoint, so one failing statement (a timeout, a type that cannot be inferred) skips only itself.
Prepared statements outlive ROLLBACK, so `planner` deallocates its own on the way out; each plan re-prepares,
because a cached generic plan would not notice a new hypothetical index.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mcp_servers.postgres.guard import LOOKALIKES_SQL, SqlRefused, check_sql, lookalike_params, refuse_lookalikes

if TYPE_CHECKING:
    import psycopg

__all__ = ["PlanCost", "PlanFailed", "Planner", "planner"]


class PlanFailed(Exception):
    """The statement could not be planned; the message says why (safe to show)."""


@dataclass(frozen=True)
class PlanCost:
    total_cost: float
    indexes: frozenset[str]  # index names the plan reads
    seq_scans: frozenset[str]  # relation names read by a sequential scan


def _read_plan(explained: list[dict[str, Any]]) -> PlanCost:
    root = explained[0]["Plan"]
    indexes, seq = set(), set()
    stack = [root]
    while stack:
        node = stack.pop()
        if node.get("Index Name"):
            indexes.add(node["Index Name"])
        if node.get("Node Type") == "Seq Scan" and node.get("Relation Name"):
            seq.add(node["Relation Name"])
        stack.extend(node.get("Plans", ()))
    return PlanCost(float(root.get("Total Cost", 0.0)), frozenset(indexes), frozenset(seq))


@dataclass
class Planner:
    conn: psycopg.AsyncConnection[dict[str, Any]]
    prepared: dict[int, tuple[str, int]] = field(default_factory=dict)  # statement number -> (name, params)
    texts: dict[int, str] = field(default_factory=dict)

    async def _step(self, sql: str, params: Any = None) -> list[dict[str, Any]]:
        import pglast
        import psycopg

        if params is None and len(pglast.split(sql)) != 1:  # text without binds may go over the simple protocol
            raise PlanFailed("the composed statement is not exactly one statement")

        await self.conn.execute("SAVEPOINT mcp_advisor_step")
        try:
            cur = await self.conn.execute(sql, params)
            rows = await cur.fetchall() if cur.description else []
        except psycopg.Error as exc:
            await self.conn.execute("ROLLBACK TO SAVEPOINT mcp_advisor_step")
            reason = exc.diag.message_primary or type(exc).__name__
            if exc.sqlstate == "57014":
                reason = "statement_timeout reached while planning"
            raise PlanFailed(reason[:200]) from None
        await self.conn.execute("RELEASE SAVEPOINT mcp_advisor_step")
        return rows

    async def add(self, number: int, sql: str, param_count: int) -> None:
        """Check the statement with the read-only guard and get it ready to plan.

        Raises:
            PlanFailed: the guard refused it, or PostgreSQL could not prepare it.
        """
        try:
            guard = check_sql(sql)
            if guard.kind != "select":
                raise PlanFailed("only SELECT statements are planned")
            refuse_lookalikes(await self._step(LOOKALIKES_SQL, lookalike_params(guard)))
        except SqlRefused as exc:
            raise PlanFailed(f"refused by the read-only guard: {str(exc)[:160]}") from None
        if param_count:
            name = f"mcp_advisor_{number}"
            # The text passed the guard as exactly one read; PREPARE creates session state we drop in `planner`.
            await self._step(f"PREPARE {name} AS {sql}")
            self.prepared[number] = (name, param_count)
        self.texts[number] = sql

    async def cost(self, number: int) -> PlanCost:
        """The statement's estimated plan with whatever (hypothetical) indexes exist now."""
        if number in self.prepared:
            name, count = self.prepared[number]
            # A prepared statement keeps its generic plan, and creating a hypothetical index does not
            # invalidate it: prepare afresh so the planner sees the indexes that exist now.
            await self._step(f"DEALLOCATE {name}")
            del self.prepared[number]
            await self._step(f"PREPARE {name} AS {self.texts[number]}")
            self.prepared[number] = (name, count)
            text = f"EXPLAIN (FORMAT JSON) EXECUTE {name}({', '.join(['NULL'] * count)})"
        else:
            text = f"EXPLAIN (FORMAT JSON) {self.texts[number]}"
        rows = await self._step(text)
        return _read_plan(next(iter(rows[0].values())))


@asynccontextmanager
async def planner(conn: psycopg.AsyncConnection[dict[str, Any]]) -> AsyncIterator[Planner]:
    """A Planner on `conn` (already in a read-only transaction) that deallocates what it prepared."""
    import psycopg

    await conn.execute("SELECT pg_catalog.set_config('plan_cache_mode', 'force_generic_plan', true)")
    # Nothing here runs a statement, only plans; JIT would compile the catalog check's recursive query (seconds).
    await conn.execute("SELECT pg_catalog.set_config('jit', 'off', true)")
    plans = Planner(conn)
    try:
        yield plans
    finally:
        try:
            for name, _ in plans.prepared.values():
                await conn.execute(f"DEALLOCATE {name}")
        except psycopg.Error:
            await conn.close()  # the backend, and its prepared statements, go with it
