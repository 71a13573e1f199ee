"""The result envelope every check and diagnosis shares."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

__all__ = ["Finding", "Status", "cap_rows", "MAX_ROWS", "worst"]

Status = Literal["red", "yellow", "green", "skipped"]
MAX_ROWS = 10
_RANK = {"red": 3, "yellow": 2, "green": 1, "skipped": 0}


def cap_rows(rows: list[dict[str, Any]], limit: int = MAX_ROWS) -> tuple[list[dict[str, Any]], int]:
    """Return at most `limit` rows and how many were left out."""
    return rows[:limit], max(0, len(rows) - limit)


def worst(statuses: list[Status]) -> Status:
    """The most severe status of several (`skipped` only when all were skipped)."""
    return max(statuses, key=_RANK.__getitem__, default="skipped")


class Finding(BaseModel):
    """One check's outcome. `skipped` always carries the reason and, where there is one, the fix."""

    check: str
    status: Status
    summary: str
    value: float | int | str | None = None
    threshold: str | None = None
    rows: list[dict[str, Any]] = Field(default_factory=list)
    rows_omitted: int = 0
    remediation: str | None = None
    reason: str | None = Field(default=None, description="Why the check was skipped, or why its data is unreliable.")

    @model_validator(mode="after")
    def _skipped_says_why(self) -> "Finding":
        if self.status == "skipped" and not self.reason:
            raise ValueError("a skipped finding must say why (reason)")
        if len(self.rows) > MAX_ROWS:
            self.rows_omitted += len(self.rows) - MAX_ROWS
            self.rows = self.rows[:MAX_ROWS]
        return self
