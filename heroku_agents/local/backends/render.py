"""Writing the offline planner's final answer from the tool results (read back by `heroku_agents.wire`)."""

from __future__ import annotations

import re
from typing import Any

from heroku_agents.local.backends.render_indexes import index_advice_section, is_index_advice
from heroku_agents.wire import ToolOutcome

__all__ = ["compose_answer"]

_RANK = {"red": 0, "yellow": 1, "green": 2, "skipped": 3}
_ICON = {"red": "🔴 red", "yellow": "🟡 yellow", "green": "🟢 green", "skipped": "⚪ skipped"}
MAX_TEXT = 1500


_PLACEHOLDER = re.compile(r"(?<!`)<([A-Za-z_][A-Za-z0-9_ .-]*)>(?!`)")


def _md(text: Any) -> str:
    """Table-safe Markdown: `<table>`-style placeholders in code spans (not read as HTML), pipes escaped."""
    return _PLACEHOLDER.sub(r"`<\1>`", str(text or "")).replace("|", "\\|").replace("\n", " ")


def _evidence(finding: dict[str, Any]) -> str:
    parts = [str(finding.get("summary") or "")]
    if finding.get("value") is not None:
        value = f"value {finding['value']}"
        parts.append(value + (f" (threshold {finding['threshold']})" if finding.get("threshold") else ""))
    return _md("; ".join(p for p in parts if p))


def _findings_section(findings: list[dict[str, Any]]) -> list[str]:
    findings = sorted(findings, key=lambda f: _RANK.get(str(f.get("status")), 9))
    counts = {s: sum(1 for f in findings if f.get("status") == s) for s in _RANK}
    problems = [f for f in findings if f.get("status") in ("red", "yellow")]
    verdict = (
        f"**Verdict:** {counts['red']} red and {counts['yellow']} yellow findings "
        f"({counts['green']} green, {counts['skipped']} skipped)."
        if problems else f"**Verdict:** no problems found ({counts['green']} green, {counts['skipped']} skipped)."
    )
    lines = [verdict, ""]
    if problems:
        lines += ["| check | status | evidence | fix |", "|---|---|---|---|"]
        for f in problems:
            fix = _md(f.get("remediation"))
            lines.append(f"| {f.get('check')} | {_ICON.get(str(f.get('status')), f.get('status'))} | {_evidence(f)} | {fix} |")
        reds = [f for f in problems if f.get("status") == "red"]
        lines += ["", "**Fix first:**"]
        for number, f in enumerate(reds or problems[:3], start=1):
            fix = _md(f.get("remediation") or "investigate with the drill-down tools")
            lines.append(f"{number}. **{f.get('check')}** ({f.get('status')}): {_md(f.get('summary'))} Fix: {fix}")
    skipped = [f for f in findings if f.get("status") == "skipped"]
    if skipped:
        lines += ["", "Skipped: " + "; ".join(f"{f.get('check')} ({f.get('reason')})" for f in skipped)]
    return lines


def compose_answer(goal: str, results: list[tuple[str, ToolOutcome]], *, offered: list[str]) -> str:
    """Markdown built only from the tool results (the planner adds no knowledge of its own)."""
    note = "_Answer composed by the local offline planner (deterministic, not an LLM) from the tool results._"
    if not results:
        if offered:
            return f"None of the offered tools ({', '.join(offered)}) matches the request with arguments I can fill.\n\n{note}"
        return f"No tools were offered, and the offline planner can only answer from tool results.\n\n{note}"
    lines: list[str] = []
    for name, outcome in results:
        lines.append(f"### {name}")
        data = outcome.data
        if outcome.is_error:
            lines.append(f"The tool failed: {outcome.text[:MAX_TEXT]}")
        elif isinstance(data, dict) and isinstance(data.get("findings"), list):
            if data.get("database"):
                lines.append(f"Database `{data['database']}`.")
            lines += _findings_section([f for f in data["findings"] if isinstance(f, dict)])
        elif is_index_advice(data):
            lines += index_advice_section(data)
        elif isinstance(data, dict) and {"returncode", "stdout"} <= set(data):
            lines.append(f"Exit code {data['returncode']}.")
            if data.get("stdout"):
                lines += ["```", str(data["stdout"]).strip()[:MAX_TEXT], "```"]
            if data.get("stderr"):
                lines += ["stderr:", "```", str(data["stderr"]).strip()[:MAX_TEXT], "```"]
        else:
            text = outcome.text.strip()[:MAX_TEXT] or "(empty result)"
            lines += ["```", text, "```"] if "\n" in text else [text]  # keep the tool's own layout
        lines.append("")
    return "\n".join(lines).strip() + f"\n\n{note}"
