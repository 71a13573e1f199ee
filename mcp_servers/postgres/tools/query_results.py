"""What `pg_query` and `pg_explain` return: the typed results and the compact text the model reads."""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, Field

from mcp_servers.postgres.tools._plan_summary import PlanSummary

__all__ = ["ExplainResult", "QueryColumn", "QueryResult", "render_explain", "render_query"]

MAX_PAD = 40  # a column is padded to its widest cell up to this; longer cells run over instead
MAX_PADDED_CHARS = 64_000  # above this many characters of padded table, cells are not padded

_SUPERUSER_NOTE = (
    "True when this server is connected as a database superuser: only the guard stands between a query and the "
    "server's files; the operator should connect with a read-only role (scripts/create_readonly_role.py)."
)
_SUPERUSER_LINE = "warning: connected as a superuser; the operator should use a read-only role (scripts/create_readonly_role.py)"


class QueryColumn(BaseModel):
    name: str
    type: str


class QueryResult(BaseModel):
    """Rows of one read; `truncated` says whether and why rows were left out."""

    statement: Literal["select", "show", "explain"]
    columns: list[QueryColumn]
    rows: list[dict[str, Any]]
    row_count: int = Field(description="Rows returned here (not the total the query would produce when truncated).")
    truncated: bool
    truncated_reason: str | None = None
    elapsed_ms: float
    superuser: bool = Field(False, description=_SUPERUSER_NOTE)


class ExplainResult(BaseModel):
    """The plan (EXPLAIN FORMAT JSON) with a compact summary beside it."""

    summary: PlanSummary
    plan: list[dict[str, Any]] | None = Field(description="The full JSON plan; None when larger than the size cap.")
    plan_truncated: bool
    analyzed: bool
    generic_plan: bool = Field(description="True when $n parameters were planned with GENERIC_PLAN.")
    superuser: bool = Field(False, description=_SUPERUSER_NOTE)


def _cell(value: Any) -> str:
    if value is None:
        return "NULL"
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")


def render_query(result: QueryResult) -> str:
    """A head line (rows, time, why truncated), then the rows as a `|`-separated table aligned by column."""
    head = f"{result.row_count} row{'s' if result.row_count != 1 else ''} ({result.statement}, {result.elapsed_ms:g} ms)"
    if result.truncated:
        head += f"; truncated: {result.truncated_reason}"
    lines = [head] + ([_SUPERUSER_LINE] if result.superuser else [])
    names = [c.name for c in result.columns]
    if not result.rows:
        lines.append("columns: " + ", ".join(f"{c.name} ({c.type})" for c in result.columns))
        return "\n".join(lines)
    table = [names] + [[_cell(row.get(n)) for n in names] for row in result.rows]
    widths = [min(MAX_PAD, max(len(r[i]) for r in table)) for i in range(len(names))]
    if len(table) * sum(widths) > MAX_PADDED_CHARS:  # many wide rows: padding would outgrow the rows themselves
        widths = [1] * len(names)
    for number, cells in enumerate(table):
        lines.append(" | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip())
        if number == 0:
            lines.append("-+-".join("-" * w for w in widths))
    return "\n".join(lines)


def render_explain(result: ExplainResult) -> str:
    """The plan summary: totals, the top nodes as an indented tree, large sequential scans and hints."""
    s = result.summary
    kind = "actual" if result.analyzed else "generic" if result.generic_plan else "estimated"
    head = f"{kind} plan: total cost {s.total_cost:g}, {s.plan_rows:g} rows expected"
    times = [f"{label} {ms:g} ms" for label, ms in (("planning", s.planning_ms), ("execution", s.execution_ms)) if ms is not None]
    lines = [head + (f" ({', '.join(times)})" if times else "")] + ([_SUPERUSER_LINE] if result.superuser else [])
    for node in s.top_nodes:
        where = f" on {node.relation}" if node.relation else ""
        where += f" using {node.index}" if node.index else ""
        actual = f", actual rows {node.actual_rows:g} x {node.loops} loops, {node.actual_total_ms:g} ms" \
            if node.actual_rows is not None and node.actual_total_ms is not None else ""
        lines.append(f"{'  ' * node.depth}-> {node.node_type}{where} (cost {node.total_cost:g}, rows {node.plan_rows:g}{actual})")
    if s.nodes_total > len(s.top_nodes):
        lines.append(f"({s.nodes_total - len(s.top_nodes)} deeper or later nodes not shown)")
    said = " ".join(s.hints)
    for scan in s.seq_scans_on_large_tables:
        if scan.hint in said:  # the hints below name it with its filter
            continue
        lines.append(f"large seq scan: {scan.table} (~{scan.table_rows} rows)" + (f" filter {scan.filter}" if scan.filter else "")
                     + f": {scan.hint}")
    lines += [f"hint: {hint}" for hint in s.hints]
    if result.plan_truncated:
        lines.append("the full JSON plan was too large to return; the summary above covers it")
    return "\n".join(lines)
