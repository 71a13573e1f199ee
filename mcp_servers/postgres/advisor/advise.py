"""`suggest_indexes`: workload (pg_stat_statements) or one statement -> candidate indexes -> verified or heuristic advice.

Everything after reading pg_stat_statements runs in one read-only transaction of the server's pool,
with its statement_timeout and lock_timeout; the verification loop as a whole also stops after one
statement_timeout's worth of time, and says so. UPDATE and DELETE are planned as the read that finds
their rows (`writes`); a suggestion on a column the workload's UPDATEs set carries a note on that cost.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from mcp.server.mcpserver.exceptions import ToolError

from mcp_servers.postgres.advisor.candidates import (
    AdvisorLimits,
    Candidate,
    Rejection,
    estimated_index_bytes,
    find_candidates,
)
from mcp_servers.postgres.advisor.catalog import TableFacts, load_tables
from mcp_servers.postgres.advisor.hypo import IndexSpec, enable_command, hypopg_schema, hypothetical_session
from mcp_servers.postgres.advisor.models import DEFAULT_TOP, MAX_TOP, HelpedStatement, IndexAdvice, Rejected, Suggestion
from mcp_servers.postgres.advisor.plans import PlanCost, PlanFailed, Planner, planner
from mcp_servers.postgres.advisor.usage import ParsedStatement, UnsupportedStatement, parse_statement
from mcp_servers.postgres.checks.base import gather_facts
from mcp_servers.postgres.checks.queries import own_note, statements_sql
from mcp_servers.postgres.checks.session_rows import query_text
from mcp_servers.postgres.db import Database
from mcp_servers.postgres.guard import check_sql
from mcp_servers.postgres.settings import PostgresSettings
from mcp_servers.postgres.sql_errors import tool_errors

__all__ = ["suggest_indexes"]

WORKLOAD_ROWS = 200  # pg_stat_statements rows read, before other statements and catalog-only ones drop out
_ANALYSED = re.compile(r"\s*(\(\s*)*(select|with|update|delete)\b", re.I)


@dataclass
class _Statement:
    sql: str
    parsed: ParsedStatement | None = None
    queryid: str | None = None
    calls: int | None = None
    mean_ms: float | None = None
    total_ms: float | None = None
    share_pct: float | None = None

    def helped(self, before: PlanCost | None, after: PlanCost | None = None) -> HelpedStatement:
        return HelpedStatement(
            queryid=self.queryid, query=query_text(self.sql) or "", calls=self.calls, mean_ms=self.mean_ms,
            share_pct=self.share_pct, cost_before=before.total_cost if before else None,
            cost_after=after.total_cost if after else None,
        )


async def _workload(db: Database, top: int) -> tuple[list[_Statement], int, str | None]:
    """The workload's SELECTs, UPDATEs and DELETEs, how many other statements it had, and the note on our own left out."""
    facts = await gather_facts(db)
    if not facts.extension_schema("pg_stat_statements"):
        raise ToolError(
            "workload mode reads pg_stat_statements, which this database lacks: run CREATE EXTENSION pg_stat_statements; "
            "(self-hosted servers also need shared_preload_libraries), or pass sql= to advise on one statement"
        )
    rows = await db.fetch(statements_sql(facts, "total_time"), {"limit": WORKLOAD_ROWS})
    picked, others = [], 0
    for r in rows:
        if r.get("queryid") is None or not r.get("toplevel"):
            continue
        if not _ANALYSED.match(r["query"] or ""):
            others += 1
            continue
        picked.append(_Statement(
            sql=r["query"], queryid=r["queryid"], calls=r["calls"], mean_ms=r["mean_ms"], total_ms=r["total_ms"],
            share_pct=r["share_pct"],
        ))
    return picked, others, own_note(rows[0]["own_statements"], rows[0]["own_ms"])


def _weight(st: _Statement) -> float:
    return st.total_ms if st.total_ms else 1.0


async def _verify(
    planner_: Planner, hypo_schema: str, statements: list[_Statement], candidates: list[Candidate],
    baseline: dict[int, PlanCost], limits: AdvisorLimits, deadline: float, rejected: list[Rejection],
) -> tuple[list[Suggestion], int]:
    """What-if plans for each candidate; then a greedy pick: the candidate with the largest time-weighted cost cut
    first, each later one only where it cuts a statement's cost materially beyond those already picked."""
    import psycopg

    trials: list[tuple[float, Candidate, int | None, dict[int, PlanCost]]] = []
    unverified = 0
    async with hypothetical_session(planner_.conn, hypo_schema) as hypo:
        for cand in candidates:
            if time.monotonic() > deadline:
                unverified += 1
                continue
            spec = IndexSpec(cand.table.schema, cand.table.name, cand.columns)
            await planner_.conn.execute("SAVEPOINT mcp_advisor_hypo")
            try:
                index = await hypo.create(spec)
                await planner_.conn.execute("RELEASE SAVEPOINT mcp_advisor_hypo")
            except psycopg.Error:
                await planner_.conn.execute("ROLLBACK TO SAVEPOINT mcp_advisor_hypo")
                rejected.append(Rejection(cand.table.label, cand.columns, "HypoPG could not create it"))
                continue
            after: dict[int, PlanCost] = {}
            for number in sorted(cand.statements & baseline.keys()):
                try:
                    after[number] = await planner_.cost(number)
                except PlanFailed:
                    continue
            await hypo.drop(index)
            gains = {n: a for n, a in after.items()
                     if index.name in a.indexes and a.total_cost <= baseline[n].total_cost * (1 - limits.min_cost_cut)}
            if not gains:
                used = any(index.name in a.indexes for a in after.values())
                why = (f"the planner used it but cut the cost by less than {limits.min_cost_cut:.0%}" if used
                       else "the planner did not use it")
                rejected.append(Rejection(cand.table.label, cand.columns, why))
                continue
            benefit = sum((1 - a.total_cost / max(baseline[n].total_cost, 1e-9)) * _weight(statements[n]) for n, a in gains.items())
            trials.append((benefit, cand, index.size_bytes, gains))
    trials.sort(key=lambda t: -t[0])
    best: dict[int, float] = {n: b.total_cost for n, b in baseline.items()}
    picked: list[Suggestion] = []
    for _, cand, size, gains in trials:
        helps = {n: a for n, a in gains.items() if a.total_cost <= best[n] * (1 - limits.min_cost_cut)}
        if not helps:
            rejected.append(Rejection(cand.table.label, cand.columns, "a better suggestion already serves its statements"))
            continue
        for n, a in helps.items():
            best[n] = a.total_cost
        picked.append(_suggestion(cand, "verified", size, [statements[n].helped(baseline[n], a) for n, a in helps.items()]))
    return picked, unverified


def _heuristic(
    statements: list[_Statement], candidates: list[Candidate], baseline: dict[int, PlanCost], rejected: list[Rejection],
) -> list[Suggestion]:
    """Candidates the statistics support, for statements whose current plan reads the table sequentially."""
    kept: list[Candidate] = []
    for cand in candidates:
        if cand.needs_planner:
            rejected.append(Rejection(cand.table.label, cand.columns, "GROUP BY: only a what-if plan can tell (needs HypoPG)"))
            continue
        helps = {n for n in cand.statements if n not in baseline or cand.table.name in baseline[n].seq_scans}
        if not helps:
            rejected.append(Rejection(cand.table.label, cand.columns, "the current plan already reads the table by index"))
            continue
        cand.statements = helps
        kept.append(cand)
    for cand in list(kept):  # (a) is served by (a, b): keep the longer one, with both sets of statements
        wider = next((o for o in kept if o is not cand and o.table.oid == cand.table.oid
                      and len(o.columns) > len(cand.columns) and o.columns[: len(cand.columns)] == cand.columns), None)
        if wider is not None:
            wider.statements |= cand.statements
            kept.remove(cand)
    kept.sort(key=lambda c: -sum(_weight(statements[n]) for n in c.statements))
    return [
        _suggestion(c, "heuristic", estimated_index_bytes(c.table, c.columns),
                    [statements[n].helped(baseline.get(n)) for n in sorted(c.statements, key=lambda n: -_weight(statements[n]))])
        for c in kept
    ]


def _suggestion(cand: Candidate, confidence: str, size: int | None, helped: list[HelpedStatement]) -> Suggestion:
    spec = IndexSpec(cand.table.schema, cand.table.name, cand.columns)
    return Suggestion(
        table=cand.table.label, columns=list(cand.columns), create_sql=spec.create_sql(concurrently=True),
        confidence=confidence, reason=cand.reason, statements=helped[:5], size_bytes=size,
        table_writes_per_hour=cand.table.writes_per_hour,
    )


def _note_updated_columns(
    suggestions: list[Suggestion], statements: list[_Statement], tables: dict[tuple[str | None, str], TableFacts],
) -> None:
    """Notes where a suggested index covers columns the workload's UPDATEs set: reported, not dropped."""
    updates: dict[str, list[tuple[tuple[str, ...], int]]] = {}  # table label -> (columns set, calls) per UPDATE
    for st in statements:
        write = st.parsed.write if st.parsed else None
        if write and write.updated and write.table in tables:
            updates.setdefault(tables[write.table].label, []).append((write.updated, st.calls or 1))
    for s in suggestions:
        hits = [(cols, calls) for cols, calls in updates.get(s.table, ()) if set(cols) & set(s.columns)]
        if hits:
            columns = dict.fromkeys(c for cols, _ in hits for c in cols if c in s.columns)
            calls = sum(n for _, n in hits)
            s.write_note = (f"the workload's UPDATEs set {', '.join(columns)} ({calls:,} {'calls' if calls > 1 else 'call'}): "
                            "with this index those updates cannot be HOT, so each also writes every index of the table")


async def suggest_indexes(
    db: Database, settings: PostgresSettings, sql: str | None = None, top: int = DEFAULT_TOP,
    limits: AdvisorLimits | None = None, queries: list[str] | None = None,
) -> IndexAdvice:
    """Index suggestions for the workload's top statements by total time, for one statement (`sql`), or for
    several statements taken as a workload without statistics (`queries`).

    Raises:
        ToolError: a statement is refused or not a SELECT, UPDATE or DELETE, or workload mode lacks pg_stat_statements.
    """
    limits = limits or AdvisorLimits()
    top = max(1, min(int(top), MAX_TOP))
    notes: list[str] = []
    given = [sql] if sql is not None else queries
    if given is not None:
        statements = []
        for text in given[:MAX_TOP]:
            try:
                parsed = parse_statement(text)
            except UnsupportedStatement as exc:
                raise ToolError(f"refused: {exc}") from None
            with tool_errors(settings):
                check_sql(parsed.read_sql or text)  # a write is never run: the guard checks the read planned for it
            statements.append(_Statement(sql=text, parsed=parsed))
        others = 0
    else:
        statements, others, own = await _workload(db, top)
        notes += [f"{own} (not the workload)"] if own else []
    skipped: list[str] = []
    for st in statements if given is None else ():
        try:
            st.parsed = parse_statement(st.sql)
        except UnsupportedStatement as exc:  # e.g. text cut at track_activity_query_size
            skipped.append(f"{st.queryid}: {str(exc)[:120]}")
    if others:
        notes.append(f"{others} statements of the workload other than SELECT, UPDATE and DELETE were not analysed")
    rejected: list[Rejection] = []
    with tool_errors(settings, "index advice failed"):
        async with db.read_only_transaction() as conn:
            names = {t for st in statements if st.parsed for t in st.parsed.table_names()}
            tables = await load_tables(conn, names)
            statements = [st for st in statements if st.parsed and st.parsed.table_names() & tables.keys()][:top]
            candidates, rejected = find_candidates([st.parsed for st in statements], tables, limits)
            schema = await hypopg_schema(conn)
            enable = None if schema else await enable_command(conn)
            baseline: dict[int, PlanCost] = {}
            async with planner(conn) as plans:
                for number, st in enumerate(statements):
                    try:
                        await plans.add(number, st.parsed.read_sql or st.sql, st.parsed.param_count)
                        baseline[number] = await plans.cost(number)
                    except PlanFailed as exc:
                        skipped.append(f"{st.queryid or 'statement'}: {exc}")
                if schema:
                    deadline = time.monotonic() + settings.statement_timeout_ms / 1000
                    suggestions, unverified = await _verify(plans, schema, statements, candidates, baseline, limits, deadline, rejected)
                    if unverified:
                        notes.append(f"verification stopped at the time budget ({settings.statement_timeout_ms} ms); "
                                     f"{unverified} candidates were not tried")
                else:
                    suggestions = _heuristic(statements, candidates, baseline, rejected)
    _note_updated_columns(suggestions, statements, tables)
    return IndexAdvice(
        mode="query" if given is not None else "workload", verification="hypopg" if schema else "heuristic",
        enable_verification=enable, suggestions=suggestions, statements_analysed=len(statements),
        skipped_statements=skipped, rejected=[Rejected(table=r.table, columns=list(r.columns), why=r.why) for r in rejected],
        note="; ".join(notes) or None,
    )
