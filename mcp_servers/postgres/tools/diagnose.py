"""`pg_diagnose`: every health check in one report, problems first."""

from __future__ import annotations

import time
from typing import Annotated

from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult
from pydantic import BaseModel, Field, ValidationError

from mcp_servers.common.annotations import read_only_tool
from mcp_servers.common.results import Finding, render_findings, tool_result
from mcp_servers.postgres.checks.base import gather_facts, run_check
from mcp_servers.postgres.checks.consistency import reconcile
from mcp_servers.postgres.checks.registry import select_checks
from mcp_servers.postgres.db import Database
from mcp_servers.postgres.settings import PostgresSettings

__all__ = ["DiagnoseReport", "diagnose", "register"]


class DiagnoseReport(BaseModel):
    database: str
    server_version: int = Field(description="server_version_num, e.g. 180001")
    stats_age_hours: float | None = Field(description="Hours since this database's statistics were reset.")
    counts: dict[str, int] = Field(description="Findings per status.")
    findings: list[Finding]
    elapsed_ms: float


async def diagnose(
    db: Database,
    settings: PostgresSettings,
    checks: list[str] | None = None,
    limits: dict[str, dict[str, float | int | str]] | None = None,
    ctx: Context | None = None,
) -> DiagnoseReport:
    started = time.perf_counter()
    try:
        selected = list(select_checks(checks))
        known = {c.name for c in select_checks(None)}
        for source, given in (("PG_CHECK_LIMITS", settings.check_limits), ("limits", limits or {})):
            for name, overrides in given.items():
                if name not in known:
                    raise ValueError(f"{source} names {name!r}, which is not a check; known: {', '.join(sorted(known))}")
                index = next((i for i, c in enumerate(selected) if c.name == name), None)
                if index is not None:
                    try:
                        selected[index] = selected[index].with_limits(**overrides)
                    except ValidationError as exc:
                        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
                        raise ValueError(f"{source} limits for {name!r} are invalid: {problems}") from None
    except (ValueError, ValidationError) as exc:
        raise ToolError(str(exc).splitlines()[0] if isinstance(exc, ValidationError) else str(exc)) from None
    facts = await gather_facts(db)
    findings: list[Finding] = []
    for done, check in enumerate(selected, start=1):
        findings.append(await run_check(db, check, facts))
        if ctx is not None:
            await ctx.report_progress(done, total=len(selected), message=check.name)
    findings = reconcile(findings)
    counts = {s: sum(1 for f in findings if f.status == s) for s in ("red", "yellow", "green", "skipped")}
    return DiagnoseReport(
        database=facts.database,
        server_version=facts.server_version_num,
        stats_age_hours=round(facts.stats_age_hours, 2) if facts.stats_age_hours is not None else None,
        counts=counts,
        findings=findings,
        elapsed_ms=round((time.perf_counter() - started) * 1000, 1),
    )


def render(report: DiagnoseReport) -> str:
    c = report.counts
    head = (
        f"Database {report.database} (PostgreSQL {report.server_version // 10000}): "
        f"{c['red']} red, {c['yellow']} yellow, {c['green']} green, {c['skipped']} skipped."
    )
    lines = [head]
    problems = [f for f in report.findings if f.status != "green"]
    for status in ("red", "yellow", "skipped"):
        for f in (f for f in problems if f.status == status):
            lines.append(render_findings([f]))
            fixes = list(dict.fromkeys(r["fix"] for r in f.rows if r.get("fix"))) if status != "skipped" else []
            lines += [f"      - {fix}" for fix in fixes[:ROW_FIXES_SHOWN]]
            if len(fixes) > ROW_FIXES_SHOWN:
                lines.append(f"      - ... {len(fixes) - ROW_FIXES_SHOWN} more in rows[].fix")
    greens = len(report.findings) - len(problems)
    if greens:
        lines.append(f"{greens} checks passed.")
    return "\n".join(lines)


# Per finding, the text shows the first few rows' exact fixes; the structured rows carry all of them.
ROW_FIXES_SHOWN = 5


def register(server: MCPServer, db: Database, settings: PostgresSettings) -> None:
    @read_only_tool(server, "Diagnose database health", idempotent=True)
    async def pg_diagnose(
        ctx: Context,
        checks: Annotated[
            list[str] | None,
            Field(description="Check names or areas (activity, queries, indexes, tables, maintenance, server); omit for all."),
        ] = None,
        limits: Annotated[
            dict[str, dict[str, float | int | str]] | None,
            Field(description="Per-check threshold overrides, e.g. {\"long_running_queries\": {\"yellow_seconds\": 30}}."),
        ] = None,
    ) -> Annotated[CallToolResult, DiagnoseReport]:
        """Run the database health checks (connections and pooling, long and blocking queries with the lock
        queue's root, idle and prepared transactions, slow queries, temp-file spill, unused/duplicate/invalid/
        low-cardinality indexes, bloat, fillfactor, missing primary keys, cache hit, vacuum and autovacuum,
        sequences, wraparound, constraints, replication, settings, ssl). Start here when asked what is wrong with a database.
        Returns one finding per check: red/yellow/green/skipped, value, threshold, rows and remediation."""
        report = await diagnose(db, settings, checks, limits, ctx)
        return tool_result(report, render(report))
