"""Running health checks from the tests: findings in order or by check name, and one check's raw rows."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Any

from mcp_servers.common.results import Finding
from mcp_servers.postgres.checks.base import Check, DbFacts, gather_facts, run_checks
from mcp_servers.postgres.db import Database
from mcp_servers.postgres.settings import PostgresSettings

__all__ = ["connected", "fetch_rows", "findings_by_name", "run"]


@asynccontextmanager
async def connected(url: str) -> AsyncIterator[Database]:
    """The server's own `Database` on `url`, closed afterwards."""
    db = Database(PostgresSettings(database_url=url))
    try:
        yield db
    finally:
        await db.close()


async def run(url: str, *checks: Check) -> list[Finding]:
    """The findings of `checks` on `url`, in order."""
    async with connected(url) as db:
        return await run_checks(db, checks)


async def findings_by_name(
    url: str, checks: Iterable[Check], limits: dict[str, dict[str, float]] | None = None,
) -> dict[str, Finding]:
    """Each check's finding by its name, with the `limits` overrides given for some of them."""
    limited = [c.with_limits(**(limits or {}).get(c.name, {})) for c in checks]
    return {f.check: f for f in await run(url, *limited)}


async def fetch_rows(url: str, check: Check) -> tuple[DbFacts, list[dict[str, Any]]]:
    """The facts of `url` and the rows `check`'s query returns there, for judging under other facts."""
    async with connected(url) as db:
        facts = await gather_facts(db)
        return facts, [dict(r) for r in await db.fetch(check.query(facts), check.params())]
