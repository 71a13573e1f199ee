"""Candidate indexes from column uses: equality first (most selective first), then one range column;
equality plus the sort columns for ORDER BY ... LIMIT; join keys; GROUP BY columns (planner-verified only).

What is left out, and why, is kept as a `Rejection` so the result can show the evidence: tiny tables,
columns where one value matches a large share of rows, and column lists an existing index already serves.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from mcp_servers.postgres.advisor.catalog import TableFacts
from mcp_servers.postgres.advisor.usage import ParsedStatement, Scope
from mcp_servers.postgres.tools._plan_summary import LARGE_TABLE_ROWS

__all__ = ["AdvisorLimits", "Candidate", "Rejection", "estimated_index_bytes", "find_candidates"]


@dataclass(frozen=True)
class AdvisorLimits:
    # pg_explain's "large table" line: below it a sequential scan is about as cheap as an index lookup.
    min_table_rows: float = LARGE_TABLE_ROWS
    # Above ~10% of rows per value the planner prefers a sequential scan with the default random_page_cost
    # (4.0): an index on such a column (a 50/50 boolean, a status with three values) would go unused.
    max_eq_fraction: float = 0.1
    # A range column needs many distinct values for a range to be narrow.
    min_range_distinct: float = 100.0
    # Verified: keep a candidate only when it cuts a statement's estimated cost by at least this share.
    min_cost_cut: float = 0.2


@dataclass
class Candidate:
    table: TableFacts
    columns: tuple[str, ...]
    n_eq: int  # leading equality columns (their order inside the index does not matter to a lookup)
    reason: str
    statements: set[int] = field(default_factory=set)
    needs_planner: bool = False  # GROUP BY: only the planner can tell whether it helps

    @property
    def key(self) -> tuple[int, tuple[str, ...]]:
        return self.table.oid, self.columns


@dataclass(frozen=True)
class Rejection:
    table: str
    columns: tuple[str, ...]
    why: str


@dataclass
class _TableUse:
    table: TableFacts
    uses: dict[str, list[str]] = field(default_factory=lambda: {k: [] for k in ("eq", "range", "join", "order", "group")})
    order_limited: bool = False


def _resolve(scope: Scope, tables: dict[tuple[str | None, str], TableFacts]) -> dict[int, _TableUse]:
    aliases = {alias: tables[ref] for alias, ref in scope.tables.items() if ref in tables}
    out: dict[int, _TableUse] = {}
    for use in scope.uses:
        if use.qualifier is not None:
            table = aliases.get(use.qualifier)
        else:
            owners = {t.oid: t for t in aliases.values() if use.column in t.columns}
            table = next(iter(owners.values())) if len(owners) == 1 else None
        if table is None or use.column not in table.columns:
            continue  # an outer query's column, a CTE's, or an output alias
        entry = out.setdefault(table.oid, _TableUse(table))
        if use.column not in entry.uses[use.kind]:
            entry.uses[use.kind].append(use.column)
        entry.order_limited = entry.order_limited or (use.kind == "order" and scope.order_limited)
    if len({oid for oid, u in out.items() if u.uses["order"]}) > 1:
        for u in out.values():  # sort keys from several tables: no single index yields that order
            u.uses["order"], u.order_limited = [], False
    return out


def _served_by(table: TableFacts, columns: tuple[str, ...], n_eq: int) -> str | None:
    for index in table.indexes:
        if not index.usable or index.method != "btree" or len(index.columns) < len(columns):
            continue
        if set(index.columns[:n_eq]) == set(columns[:n_eq]) and index.columns[n_eq:len(columns)] == columns[n_eq:]:
            return f"served by existing index {index.name} ({', '.join(index.columns)})"
    return None


def _propose(use: _TableUse, limits: AdvisorLimits, reject: list[Rejection]) -> list[Candidate]:
    t = use.table
    touched = tuple(dict.fromkeys(c for cols in use.uses.values() for c in cols))
    if t.rows < limits.min_table_rows:
        reject.append(Rejection(t.label, touched, f"tiny table (~{int(t.rows)} rows): a sequential scan is as fast"))
        return []

    def selective(column: str) -> bool:
        frac = t.columns[column].eq_fraction(t.rows)
        if frac is not None and frac > limits.max_eq_fraction:
            reject.append(Rejection(t.label, (column,), f"one value matches ~{frac:.0%} of rows: too few rows excluded"))
            return False
        return True

    def fraction(column: str) -> float:
        frac = t.columns[column].eq_fraction(t.rows)
        return 0.005 if frac is None else frac  # no statistics: PostgreSQL's own default equality selectivity

    eq = sorted((c for c in use.uses["eq"] if selective(c)), key=fraction)
    ranges = [c for c in use.uses["range"] if c not in eq and (t.columns[c].distinct(t.rows) or math.inf) >= limits.min_range_distinct]
    ranges.sort(key=lambda c: -(t.columns[c].distinct(t.rows) or math.inf))
    found: list[Candidate] = []
    if eq or ranges:
        cols = tuple(eq + ranges[:1])
        what = " and ".join(p for p in (
            f"equality on {', '.join(eq)}" if eq else "", f"range on {ranges[0]}" if ranges else "") if p)
        found.append(Candidate(t, cols, len(eq), what))
    if use.order_limited and use.uses["order"]:
        order = [c for c in use.uses["order"] if c not in eq]
        if order:
            found.append(Candidate(t, tuple(eq + order), len(eq), f"ORDER BY {', '.join(order)} ... LIMIT"
                                   + (f" after equality on {', '.join(eq)}" if eq else "")))
    for column in use.uses["join"]:
        if column not in eq and selective(column):
            found.append(Candidate(t, (column,), 1, f"join key {column}"))
    if use.uses["group"]:
        found.append(Candidate(t, tuple(use.uses["group"]), 0, f"GROUP BY {', '.join(use.uses['group'])}", needs_planner=True))
    kept = []
    for candidate in found:
        served = _served_by(t, candidate.columns, candidate.n_eq)
        if served:
            reject.append(Rejection(t.label, candidate.columns, served))
        else:
            kept.append(candidate)
    return kept


def find_candidates(
    statements: list[ParsedStatement | None], tables: dict[tuple[str | None, str], TableFacts], limits: AdvisorLimits
) -> tuple[list[Candidate], list[Rejection]]:
    """Candidates (one per table and column list, with the statements each may help) and the rejections."""
    merged: dict[tuple[int, tuple[str, ...]], Candidate] = {}
    rejections: list[Rejection] = []
    for number, parsed in enumerate(statements):
        if parsed is None:
            continue
        for scope in parsed.scopes:
            for use in _resolve(scope, tables).values():
                for candidate in _propose(use, limits, rejections):
                    kept = merged.setdefault(candidate.key, candidate)
                    kept.statements.add(number)
    unique = list(dict.fromkeys(rejections))
    return list(merged.values()), unique


def estimated_index_bytes(table: TableFacts, columns: tuple[str, ...]) -> int:
    """A btree's leaf size from average column widths: 8-byte tuple header, 4-byte line pointer, 90% fill."""
    width = sum(table.columns[c].avg_width for c in columns) + 12
    width = (width + 7) // 8 * 8  # MAXALIGN
    pages = math.ceil(max(table.rows, 1) * width / (8192 * 0.9))
    return int(pages + 1) * 8192
