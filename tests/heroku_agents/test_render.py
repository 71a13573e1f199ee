"""Rendering: one-line result summaries, the live view's lines, and the two-mode comparison table."""

from __future__ import annotations

import io
import json

from rich.console import Console

from heroku_agents.driver.events import (
    FinalAnswer,
    ModelStep,
    RunFigures,
    RunFinished,
    RunStarted,
    ToolCallInfo,
    ToolResult,
)
from heroku_agents.driver.render import JsonRenderer, RichRenderer, comparison_table, summarize_result


def test_summary_counts_findings_by_status_in_severity_order() -> None:
    structured = {"summary": "Database shop: 2 problems", "findings": [
        {"status": "green"}, {"status": "red"}, {"status": "skipped"}, {"status": "yellow"}, {"status": "red"}]}
    assert summarize_result("", structured) == "Database shop: 2 problems (5 findings: 2 red, 1 yellow, 1 green, 1 skipped)"
    assert summarize_result("", {"findings": [{"status": "green"}]}) == "1 findings: 1 green"


def test_summary_falls_back_to_summary_field_compact_json_or_first_text_line() -> None:
    assert summarize_result("", {"summary": "3 sessions waiting on locks"}) == "3 sessions waiting on locks"
    assert summarize_result("", {"total": 5}) == '{"total": 5}'
    assert summarize_result("\n\nfirst line\nsecond", None) == "first line"
    assert summarize_result("", None) == "(empty result)"
    assert len(summarize_result("x" * 1000, None)) == 160


def test_live_view_prints_step_call_result_answer_and_figures() -> None:
    console = Console(file=io.StringIO(), width=120, color_system=None)
    view = RichRenderer(console)
    view.on(ModelStep(1, 0.5, "Checking.", (ToolCallInfo("t1", "mcp-postgres/pg_activity", {"limit": 5}),), "tool_calls", 100, 20))
    view.on(ToolResult(1, 1.25, "mcp-postgres/pg_activity", "t1", True, "permission denied for pg_stat_activity", duration=0.75))
    view.on(FinalAnswer("**All good**"))
    view.on(RunFinished(RunFigures(mode="chat", elapsed=2.0, model_steps=2, tool_calls=1, tool_errors=1, total_tokens=300)))
    text = console.file.getvalue()
    assert "[  0.50s] step 1 · tool_calls · 100+20 tokens" in text
    assert '  → mcp-postgres/pg_activity {"limit": 5}' in text
    assert "[  1.25s]   ✗ mcp-postgres/pg_activity (0.75s): permission denied for pg_stat_activity" in text
    assert "All good" in text and "**" not in text  # rendered as Markdown
    assert "tool calls (errors)" in text and "1 (1)" in text


def test_comparison_table_has_one_column_per_mode() -> None:
    console = Console(file=io.StringIO(), width=140, color_system=None)
    console.print(comparison_table([RunFigures(mode="agents", elapsed=3.0, model_steps=2),
                                    RunFigures(mode="chat", elapsed=1.5, setup=1.2, model_steps=2)]))
    text = console.file.getvalue()
    assert "agents vs chat completions, same task" in text
    assert "agents mode" in text and "chat mode" in text
    total = next(line for line in text.splitlines() if "total time" in line)
    assert "3.00s" in total and "1.50s" in total
    setup = next(line for line in text.splitlines() if "client-side setup" in line)
    assert "0 (Heroku runs tools)" in setup and "1.20s" in setup


def test_json_renderer_writes_one_object_per_line_with_rounded_times() -> None:
    out = io.StringIO()
    JsonRenderer(out).on(ToolResult(2, 1.23456, "a/b", "t", False, "ok", duration=0.1111))
    assert json.loads(out.getvalue()) == {"type": "tool_result", "step": 2, "elapsed": 1.235, "name": "a/b",
                                          "tool_call_id": "t", "is_error": False, "summary": "ok", "duration": 0.111}


def test_a_terminal_shows_what_the_run_waits_for_and_for_how_long() -> None:
    now = [100.0]
    console = Console(file=io.StringIO(), width=120, force_terminal=True, color_system=None)
    view = RichRenderer(console, clock=lambda: now[0])
    view.on(RunStarted("agents", "http://x", "m", "db-health", True, ()))
    now[0] = 112.4
    assert view.waiting_line() == "… waiting for the first model step (12s)"
    view.on(ModelStep(1, 0.5, "", (ToolCallInfo("t1", "mcp-postgres/pg_diagnose", {}),), "tool_calls", 1, 1))
    now[0] = 130.0
    assert view.waiting_line() == "… waiting for mcp-postgres/pg_diagnose (18s)"
    view.on(RunFinished(RunFigures(mode="agents", elapsed=2.0)))
    assert view.waiting_line() is None  # the live line is gone once the run ends


def test_a_non_terminal_gets_no_live_line() -> None:
    console = Console(file=io.StringIO(), width=120, color_system=None)
    view = RichRenderer(console)
    view.on(RunStarted("agents", "http://x", "m", "db-health", True, ()))
    assert view.waiting_line() is None
    view.close()
