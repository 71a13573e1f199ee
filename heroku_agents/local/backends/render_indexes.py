"""The offline planner's answer for index advice (a `pg_suggest_indexes` result): each index with its evidence."""

from __future__ import annotations

from typing import Any

__all__ = ["index_advice_section", "is_index_advice"]

MAX_ROWS = 10


def is_index_advice(data: Any) -> bool:
    return isinstance(data, dict) and isinstance(data.get("suggestions"), list) and "verification" in data


def _cell(text: Any) -> str:
    return str(text if text is not None else "?").replace("|", "\\|").replace("\n", " ")


def _size(n: Any) -> str:
    if not isinstance(n, (int, float)):
        return "?"
    return f"{n / 1048576:.1f} MB" if n >= 1048576 else f"{n / 1024:.0f} kB"


def _evidence(statement: dict[str, Any]) -> str:
    parts = []
    if statement.get("calls") is not None:
        parts.append(f"{statement['calls']} calls, mean {statement.get('mean_ms')} ms, {statement.get('share_pct')}% of time")
    before, after = statement.get("cost_before"), statement.get("cost_after")
    if before is not None:
        parts.append(f"cost {before:g}" + (f" -> {after:g}" if after is not None else ""))
    query = str(statement.get("query") or "")
    return _cell("; ".join(parts) + f": `{query[:120]}`")


def index_advice_section(data: dict[str, Any]) -> list[str]:
    """Markdown: verdict, a table of suggestions (index, confidence, evidence, size, writes), then what was left out."""
    suggestions = [s for s in data["suggestions"] if isinstance(s, dict)]
    verified = data.get("verification") == "hypopg"
    how = "each verified by a HypoPG what-if plan" if verified else "heuristic: the planner was not consulted"
    lines = [f"**Verdict:** {len(suggestions)} index suggestion(s) from {data.get('statements_analysed')} statements ({how})."]
    if data.get("enable_verification"):
        lines.append(f"To have the planner verify them: `{data['enable_verification']}`")
    if suggestions:
        lines += ["", "| index | confidence | why | statements helped | size | table writes/h |", "|---|---|---|---|---|---|"]
        for s in suggestions[:MAX_ROWS]:
            helped = "<br>".join(_evidence(h) for h in (s.get("statements") or [])[:2])
            writes = s.get("table_writes_per_hour")
            why = str(s.get("reason") or "?") + (f"; note: {s['write_note']}" if s.get("write_note") else "")
            lines.append(
                f"| `{_cell(s.get('create_sql'))};` | {s.get('confidence')} | {_cell(why)} | {helped} | "
                f"{_size(s.get('size_bytes'))} | {f'{writes:,.0f}' if isinstance(writes, (int, float)) else '?'} |"
            )
    rejected = [r for r in data.get("rejected") or [] if isinstance(r, dict)]
    if rejected:
        lines += ["", "**Not suggested:** " + "; ".join(
            f"{r.get('table')}({', '.join(r.get('columns') or [])}): {r.get('why')}" for r in rejected[:MAX_ROWS])]
    if data.get("skipped_statements"):
        lines += ["", "Skipped statements: " + "; ".join(map(str, data["skipped_statements"][:5]))]
    if data.get("note"):
        lines += ["", str(data["note"])]
    return lines
