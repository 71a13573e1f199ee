"""The advisor's typed result: suggestions with their evidence, what was left out and why, and a text rendering."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, model_validator

DEFAULT_TOP = 20  # workload statements considered, by total time
MAX_TOP = 50

__all__ = ["MAX_SUGGESTIONS", "HelpedStatement", "IndexAdvice", "Rejected", "Suggestion", "render_advice"]

MAX_SUGGESTIONS = 10
MAX_LISTED = 15  # rejected candidates and skipped statements shown


class HelpedStatement(BaseModel):
    queryid: str | None = None
    query: str = Field(description="Normalised SQL, truncated.")
    calls: int | None = None
    mean_ms: float | None = None
    share_pct: float | None = Field(default=None, description="Share of the database's total statement time.")
    cost_before: float | None = Field(
        default=None, description="Planner's estimated total cost now (UPDATE/DELETE: of the read finding their rows).")
    cost_after: float | None = Field(default=None, description="With the index (verified only).")


class Suggestion(BaseModel):
    table: str
    columns: list[str]
    method: str = "btree"
    create_sql: str = Field(description="Run as is; CONCURRENTLY does not block writes.")
    confidence: Literal["verified", "heuristic"] = Field(
        description="verified: the planner used a hypothetical copy and its cost fell; heuristic: from statistics only.")
    reason: str
    statements: list[HelpedStatement]
    size_bytes: int | None = Field(default=None, description="Estimated size (HypoPG's when verified).")
    table_writes_per_hour: float | None = Field(
        default=None, description="Rows inserted/updated/deleted per hour since stats reset: each also writes this index.")
    write_note: str | None = Field(default=None, description="Set when workload UPDATEs write a column of this index.")


class Rejected(BaseModel):
    table: str
    columns: list[str]
    why: str


class IndexAdvice(BaseModel):
    mode: Literal["workload", "query"]
    verification: Literal["hypopg", "heuristic"]
    enable_verification: str | None = Field(default=None, description="The command that would let the planner verify.")
    suggestions: list[Suggestion]
    statements_analysed: int
    skipped_statements: list[str] = Field(default_factory=list)
    rejected: list[Rejected] = Field(default_factory=list)
    note: str | None = None

    @model_validator(mode="after")
    def _capped(self) -> IndexAdvice:
        self.suggestions = self.suggestions[:MAX_SUGGESTIONS]
        self.skipped_statements = self.skipped_statements[:MAX_LISTED]
        self.rejected = self.rejected[:MAX_LISTED]
        return self


def _size(n: int | None) -> str:
    if n is None:
        return "?"
    for unit in ("bytes", "kB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


def render_advice(advice: IndexAdvice) -> str:
    """Compact Markdown: the verdict, each suggestion with its evidence, then what was left out."""
    how = "verified with HypoPG what-if plans" if advice.verification == "hypopg" else "heuristic (planner not consulted)"
    lines = [f"**{len(advice.suggestions)} index suggestion(s)** from {advice.statements_analysed} statement(s), {how}."]
    if advice.enable_verification:
        lines.append(f"To verify with the planner: `{advice.enable_verification}`")
    for n, s in enumerate(advice.suggestions, start=1):
        lines += ["", f"{n}. `{s.create_sql};` ({s.confidence}; {s.reason}; size ~{_size(s.size_bytes)}"
                  + (f"; table writes {s.table_writes_per_hour:,.0f}/h)" if s.table_writes_per_hour is not None else ")")]
        if s.write_note:
            lines.append(f"   - note: {s.write_note}")
        for st in s.statements[:3]:
            cost = f"cost {st.cost_before:g}" if st.cost_before is not None else "cost ?"
            if st.cost_after is not None:
                cost += f" -> {st.cost_after:g}"
            usage = f"{st.calls} calls, mean {st.mean_ms:g} ms, {st.share_pct:g}% of time; " if st.calls is not None else ""
            lines.append(f"   - {usage}{cost}: `{st.query[:160]}`")
    if advice.rejected:
        lines += ["", "Not suggested: " + "; ".join(f"{r.table}({', '.join(r.columns)}): {r.why}" for r in advice.rejected[:8])]
    if advice.skipped_statements:
        lines += ["", "Skipped statements: " + "; ".join(advice.skipped_statements[:5])]
    if advice.note:
        lines += ["", advice.note]
    return "\n".join(lines)
