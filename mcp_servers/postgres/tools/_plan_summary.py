"""A compact reading of an `EXPLAIN (FORMAT JSON)` plan: top nodes, costs, big sequential scans, index hints."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, Field

__all__ = ["LARGE_TABLE_ROWS", "PlanNode", "PlanSummary", "SeqScan", "seq_scan_relations", "summarize"]

# A sequential scan of fewer rows is usually cheaper than an index lookup; pghero's missing-index
# suggestions likewise start at tables of about 10k rows.
LARGE_TABLE_ROWS = 10_000
MAX_TOP_NODES = 12
MAX_TOP_DEPTH = 3
_COLUMN_IN_FILTER = re.compile(r"\(?\b([a-z_][a-z0-9_]*)\)?(?:::[a-z ]+)?\s*(?:=|<>|<=|>=|<|>|~~\*?|!~~|IS\b)", re.I)
_NOT_COLUMNS = {"and", "or", "not", "null", "true", "false", "any", "all"}


class PlanNode(BaseModel):
    depth: int
    node_type: str
    relation: str | None = None
    index: str | None = None
    total_cost: float
    plan_rows: float = Field(description="Rows the planner expects this node to return.")
    actual_rows: float | None = Field(default=None, description="Rows per loop, with analyze=true.")
    actual_total_ms: float | None = None
    loops: int | None = None


class SeqScan(BaseModel):
    table: str
    table_rows: int = Field(description="Row estimate of the whole table (pg_class.reltuples).")
    filter: str | None = None
    hint: str


class PlanSummary(BaseModel):
    total_cost: float
    plan_rows: float
    planning_ms: float | None = None
    execution_ms: float | None = None
    top_nodes: list[PlanNode]
    nodes_total: int
    seq_scans_on_large_tables: list[SeqScan]
    hints: list[str]


def _walk(plan: dict[str, Any], depth: int = 0):
    yield depth, plan
    for child in plan.get("Plans", ()):
        yield from _walk(child, depth + 1)


def seq_scan_relations(explained: list[dict[str, Any]]) -> list[str]:
    """Relation names of every Seq Scan in the plan (for the table-size lookup)."""
    return sorted({n["Relation Name"] for _, n in _walk(explained[0]["Plan"]) if n.get("Node Type") == "Seq Scan" and n.get("Relation Name")})


def _filter_columns(text: str) -> list[str]:
    cols = [c for c in _COLUMN_IN_FILTER.findall(text) if c.lower() not in _NOT_COLUMNS]
    return list(dict.fromkeys(cols))[:3]


def summarize(explained: list[dict[str, Any]], table_rows: dict[str, int]) -> PlanSummary:
    """Summarise the first (only) plan of an EXPLAIN (FORMAT JSON) result; `table_rows` maps relation -> reltuples."""
    top = explained[0]
    root = top["Plan"]
    nodes = list(_walk(root))
    top_nodes = [
        PlanNode(
            depth=depth, node_type=n.get("Node Type", "?"), relation=n.get("Relation Name"), index=n.get("Index Name"),
            total_cost=n.get("Total Cost", 0.0), plan_rows=n.get("Plan Rows", 0),
            actual_rows=n.get("Actual Rows"), actual_total_ms=n.get("Actual Total Time"), loops=n.get("Actual Loops"),
        )
        for depth, n in nodes
        if depth <= MAX_TOP_DEPTH
    ][:MAX_TOP_NODES]
    scans: list[SeqScan] = []
    hints: list[str] = []
    for _, n in nodes:
        rel = n.get("Relation Name")
        if n.get("Node Type") == "Seq Scan" and rel and table_rows.get(rel, 0) >= LARGE_TABLE_ROWS:
            filt = n.get("Filter")
            cols = _filter_columns(filt) if filt else []
            if cols:
                hint = f"an index on {rel}({', '.join(cols)}) may avoid reading all ~{table_rows[rel]} rows"
            else:
                hint = f"reads all ~{table_rows[rel]} rows of {rel}; fine for whole-table aggregates, costly per request"
            scans.append(SeqScan(table=rel, table_rows=table_rows[rel], filter=filt, hint=hint))
            if cols:
                hints.append(f"Seq Scan on {rel} filtered by {filt}: {hint}")
        if n.get("Sort Space Type") == "Disk":
            hints.append(f"Sort spilled to disk ({n.get('Sort Space Used')} kB): raise work_mem or sort fewer rows")
        removed, kept = n.get("Rows Removed by Filter"), n.get("Actual Rows")
        if removed and kept is not None and removed > 10 * max(kept, 1) and n.get("Node Type") != "Seq Scan":
            hints.append(f"{n.get('Node Type')} on {rel or '?'} discards {removed} rows to keep {kept}: a more selective index may help")
    return PlanSummary(
        total_cost=root.get("Total Cost", 0.0),
        plan_rows=root.get("Plan Rows", 0),
        planning_ms=top.get("Planning Time"),
        execution_ms=top.get("Execution Time"),
        top_nodes=top_nodes,
        nodes_total=len(nodes),
        seq_scans_on_large_tables=scans,
        hints=hints,
    )
