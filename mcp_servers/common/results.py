"""The result envelope every check and diagnosis shares."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field, model_validator

if TYPE_CHECKING:
    from mcp.types import CallToolResult

__all__ = ["MAX_ROWS", "Finding", "Status", "render_findings", "tool_result", "worst"]

Status = Literal["red", "yellow", "green", "skipped"]
MAX_ROWS = 10
_RANK = {"red": 3, "yellow": 2, "green": 1, "skipped": 0}


def worst(statuses: list[Status]) -> Status:
    """The most severe status of several (`skipped` only when all were skipped)."""
    return max(statuses, key=_RANK.__getitem__, default="skipped")


class Finding(BaseModel):
    """One check's outcome. `skipped` always carries the reason and, where there is one, the fix."""

    check: str = ""  # the check's name: the checks runner stamps it on every finding it returns
    status: Status
    summary: str
    value: float | int | str | None = None
    threshold: str | None = None
    rows: list[dict[str, Any]] = Field(default_factory=list)
    rows_omitted: int = 0
    remediation: str | None = None
    reason: str | None = Field(default=None, description="Why the check was skipped, or why its data is unreliable.")

    @model_validator(mode="after")
    def _skipped_says_why(self) -> Finding:
        if self.status == "skipped" and not self.reason:
            raise ValueError("a skipped finding must say why (reason)")
        if len(self.rows) > MAX_ROWS:
            self.rows_omitted += len(self.rows) - MAX_ROWS
            self.rows = self.rows[:MAX_ROWS]
        return self


def tool_result(model: BaseModel, text: str) -> CallToolResult:
    """A tool result with `model` as structured content and `text` as the compact rendering the model reads.

    Annotate the tool's return as `Annotated[CallToolResult, YourModel]` so MCP still publishes the output schema.
    """
    from mcp.types import CallToolResult, TextContent

    return CallToolResult(
        content=[TextContent(type="text", text=text)],
        structured_content=model.model_dump(mode="json", by_alias=True),
    )


_ICON = {"red": "RED", "yellow": "YELLOW", "green": "ok", "skipped": "skipped"}


def render_findings(findings: list[Finding], *, show_green: bool = False) -> str:
    """Compact text: one line per finding, problems first, with the remediation beneath."""
    order = sorted(findings, key=lambda f: -_RANK[f.status])
    lines: list[str] = []
    for f in order:
        if f.status == "green" and not show_green:
            continue
        line = f"[{_ICON[f.status]}] {f.check}: {f.summary}"
        if f.status == "skipped" and f.reason:
            line += f" ({f.reason})"
        lines.append(line)
        if f.status in ("red", "yellow") and f.remediation:
            lines.append(f"    fix: {f.remediation}")
    greens = sum(1 for f in findings if f.status == "green")
    if greens and not show_green:
        lines.append(f"{greens} checks passed.")
    return "\n".join(lines)
