"""How a check's rows become a finding: green when the query found nothing, else yellow or red by rule."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mcp_servers.common.results import Finding, Status
from mcp_servers.postgres.checks.base import Limits
from mcp_servers.postgres.checks.session_rows import text_rows

__all__ = ["AgeLimits", "all_clear", "graded", "level", "listing"]

Row = dict[str, Any]


def all_clear(summary: str, threshold: str | None = None, *, value: float | int | str | None = 0, **extra: Any) -> Finding:
    """The green finding of a check whose query returned no rows (the runner stamps the check's name)."""
    return Finding(status="green", summary=summary, value=value, threshold=threshold, **extra)


def level(value: float, yellow: float, red: float, *, below: bool = False) -> Status:
    """`red` at or over `red`, `yellow` at or over `yellow`, else `green`; with `below`, under them instead."""
    if below:
        return "red" if value < red else "yellow" if value < yellow else "green"
    return "red" if value >= red else "yellow" if value >= yellow else "green"


def graded(rows: list[Row], column: str, yellow: float, red: float) -> Status:
    """`red` when any row's `column` reaches `red`, `yellow` when any reaches `yellow`, else `green`."""
    if any(r[column] is not None and r[column] >= red for r in rows):
        return "red"
    return "yellow" if any(r[column] is not None and r[column] >= yellow for r in rows) else "green"


class AgeLimits(Limits):
    """Yellow and red ages in seconds; each subclass gives its defaults and where they come from."""

    yellow_seconds: float
    red_seconds: float

    def threshold(self, suffix: str = "") -> str:
        return f"yellow >= {self.yellow_seconds:g} s, red >= {self.red_seconds:g} s{suffix}"

    def grade(self, rows: list[Row], column: str) -> Status:
        """`graded` on the ages in `column`."""
        return graded(rows, column, self.yellow_seconds, self.red_seconds)


def listing(
    rows: list[Row], *, clear: str | Finding, summary: Callable[[list[Row]], str], threshold: str | None = "any",
    fix: Callable[[Row], str] | None = None, status: Status = "yellow", value: float | int | None = None,
    text_columns: tuple[str, ...] = (), **extra: Any,
) -> Finding:
    """The finding of a check whose every row is a problem.

    No rows: `clear` (a summary for `all_clear` under the same threshold, or a whole finding). Else
    `status`, `summary(rows)`, `value` (default: the row count), each row with its `fix` and its
    `text_columns` made safe to show (`text_rows`).
    """
    if not rows:
        return all_clear(clear, threshold) if isinstance(clear, str) else clear
    if fix is not None:
        rows = [dict(r, fix=fix(r)) for r in rows]
    return Finding(
        status=status, summary=summary(rows), value=len(rows) if value is None else value, threshold=threshold,
        rows=text_rows(rows, *text_columns) if text_columns else rows, **extra,
    )
