"""Terminal rendering of a run (rich) and its NDJSON form (`--json`)."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable
from typing import IO, Any, Protocol

from rich.console import Console
from rich.live import Live
from rich.markdown import Markdown
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from heroku_agents.driver.events import (
    DriverEvent,
    FinalAnswer,
    ModelStep,
    RunFigures,
    RunFinished,
    RunStarted,
    ToolResult,
    event_dict,
)

__all__ = ["JsonRenderer", "Renderer", "RichRenderer", "comparison_table", "summarize_result"]

SUMMARY_LIMIT = 160
ARGS_LIMIT = 200


class Renderer(Protocol):
    def on(self, event: DriverEvent) -> None: ...

    def close(self) -> None: ...


def summarize_result(text: str, structured: Any) -> str:
    """One line about a tool result: finding counts by status when it has findings, else its first line."""
    if isinstance(structured, dict):
        findings = structured.get("findings")
        if isinstance(findings, list) and findings and all(isinstance(f, dict) for f in findings):
            counts = Counter(str(f.get("status", "?")) for f in findings)
            order = ["red", "yellow", "green", "skipped"]
            parts = [f"{counts[s]} {s}" for s in order if counts[s]]
            parts += [f"{n} {s}" for s, n in counts.items() if s not in order]
            head = f"{len(findings)} findings: {', '.join(parts)}"
            return f"{structured['summary']} ({head})" if isinstance(structured.get("summary"), str) else head
        if isinstance(structured.get("summary"), str):
            return _clip(structured["summary"])
        return _clip(json.dumps(structured, ensure_ascii=False, separators=(", ", ": ")))
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    return _clip(line) or "(empty result)"


def _clip(text: str, limit: int = SUMMARY_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _args(arguments: Any) -> str:
    text = json.dumps(arguments, ensure_ascii=False, separators=(", ", ": ")) if not isinstance(arguments, str) else arguments
    return _clip(text, ARGS_LIMIT)


class _WaitingLine:
    """The live line under the transcript; rich re-renders it on each refresh, so its seconds keep counting."""

    def __init__(self, view: RichRenderer) -> None:
        self.view = view

    def __rich__(self) -> Text:
        return Text(self.view.waiting_line() or "", style="dim")


class RichRenderer:
    """Live rendering: each step, tool call with arguments, result summary, elapsed time, answer, usage.

    On a terminal a last line says what the run is waiting for and since when, so a slow model step or tool
    call is visibly alive (it disappears when the run ends).
    """

    def __init__(self, console: Console | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.console = console or Console(highlight=False)
        self._clock = clock
        self._live: Live | None = None
        self._waiting_for = ""
        self._since = 0.0

    def waiting_line(self) -> str | None:
        """What the live line shows now, or None when there is none (not a terminal, or the run is over)."""
        if self._live is None:
            return None
        return f"… waiting for {self._waiting_for} ({self._clock() - self._since:.0f}s)"

    def _wait(self, what: str) -> None:
        self._waiting_for, self._since = what, self._clock()
        if self._live is None and self.console.is_terminal:
            self._live = Live(_WaitingLine(self), console=self.console, transient=True, refresh_per_second=2)
            self._live.start()

    def close(self) -> None:
        """Remove the live line (the run ended, or failed)."""
        if self._live is not None:
            self._live.stop()
            self._live = None

    def on(self, event: DriverEvent) -> None:
        self._print(event)
        if isinstance(event, RunStarted):
            self._wait("the first model step")
        elif isinstance(event, ModelStep):
            self._wait(", ".join(call.name for call in event.tool_calls) if event.tool_calls else "the answer")
        elif isinstance(event, ToolResult):
            self._wait("the next model step")
        elif isinstance(event, (FinalAnswer, RunFinished)):
            self.close()

    def _print(self, event: DriverEvent) -> None:
        c = self.console
        if isinstance(event, RunStarted):
            where = "local endpoint" if event.local else "Heroku"
            api = "/v1/agents/heroku" if event.mode == "agents" else "/v1/chat/completions + MCP over STDIO"
            c.rule(f"[bold]{event.config}[/] · {event.mode} mode · {where} · model {event.model}")
            c.print(f"[dim]{event.url} ({api}); tools: {', '.join(event.tools) or 'none'}[/]")
            if event.note:
                c.print(f"[yellow]{event.note}[/]")
        elif isinstance(event, ModelStep):
            tokens = f"{event.prompt_tokens}+{event.completion_tokens} tokens"
            c.print(Text.assemble((f"[{event.elapsed:6.2f}s] ", "dim"), (f"step {event.step}", "bold cyan"),
                                  (f" · {event.finish_reason or '-'} · {tokens}", "dim")))
            if event.content and event.tool_calls:
                c.print(Text(f"  {_clip(event.content, 300)}", style="italic"))
            for call in event.tool_calls:
                c.print(Text.assemble(("  → ", "cyan"), (call.name, "bold"), (f" {_args(call.arguments)}", "dim")))
        elif isinstance(event, ToolResult):
            took = f" ({event.duration:.2f}s)" if event.duration is not None else ""
            style, mark = ("red", "✗") if event.is_error else ("green", "←")
            c.print(Text.assemble((f"[{event.elapsed:6.2f}s] ", "dim"), (f"  {mark} ", style), (event.name, "bold"),
                                  (took, "dim"), (f": {event.summary}", style if event.is_error else "")))
        elif isinstance(event, FinalAnswer):
            c.print(Panel(Markdown(event.content or "_(no answer)_"), title="answer", border_style="green"))
        elif isinstance(event, RunFinished):
            c.print(comparison_table([event.figures]))


class JsonRenderer:
    """`--json`: one JSON object per line, flushed as each event happens."""

    def __init__(self, out: IO[str]) -> None:
        self.out = out

    def on(self, event: DriverEvent) -> None:
        self.out.write(json.dumps(event_dict(event), ensure_ascii=False, default=str) + "\n")
        self.out.flush()

    def close(self) -> None:
        """Nothing to take down: every line is already written."""


def comparison_table(runs: list[RunFigures]) -> Table:
    """Latency and tokens per mode, side by side when both ran on the same task."""
    table = Table(title="figures" if len(runs) == 1 else "agents vs chat completions, same task", title_justify="left")
    table.add_column("")
    for run in runs:
        table.add_column(f"{run.mode} mode", justify="right")
    rows: list[tuple[str, Any]] = [
        ("total time", lambda r: f"{r.elapsed:.2f}s"),
        ("first model step", lambda r: "-" if r.first_step is None else f"{r.first_step:.2f}s"),
        ("client-side setup (MCP spawn + list)", lambda r: f"{r.setup:.2f}s" if r.mode == "chat" else "0 (Heroku runs tools)"),
        ("time in model steps", lambda r: f"{r.model_time:.2f}s" + ("" if r.mode == "chat" else " (event gaps)")),
        ("time in tool calls", lambda r: f"{r.tool_time:.2f}s" + ("" if r.mode == "chat" else " (event gaps)")),
        ("model steps", lambda r: str(r.model_steps)),
        ("tool calls (errors)", lambda r: f"{r.tool_calls} ({r.tool_errors})"),
        ("prompt tokens", lambda r: str(r.prompt_tokens)),
        ("completion tokens", lambda r: str(r.completion_tokens)),
        ("total tokens", lambda r: str(r.total_tokens)),
        ("HTTP requests", lambda r: "1" if r.mode == "agents" else str(r.model_steps)),
    ]
    for label, cell in rows:
        table.add_row(label, *[cell(r) for r in runs])
    return table
