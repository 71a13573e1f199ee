"""How a check's rows become a status: green when the query found nothing, else yellow or red by rule."""

from __future__ import annotations

from typing import Any

from mcp_servers.common.results import Finding

__all__ = ["all_clear", "graded"]


def all_clear(summary: str, threshold: str | None = None, *, value: float | int | str | None = 0, **extra: Any) -> Finding:
    """The green finding of a check whose query returned no rows (the runner stamps the check's name)."""
    return Finding(status="green", summary=summary, value=value, threshold=threshold, **extra)


def graded(rows: list[dict[str, Any]], column: str, yellow: float, red: float) -> str:
    """`red` when any row's `column` reaches `red`, `yellow` when any reaches `yellow`, else `green`."""
    if any(r[column] is not None and r[column] >= red for r in rows):
        return "red"
    return "yellow" if any(r[column] is not None and r[column] >= yellow for r in rows) else "green"
