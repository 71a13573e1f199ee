"""Every health check pg_diagnose runs, by area, in report order."""

from __future__ import annotations

from mcp_servers.postgres.checks import (
    activity,
    cardinality,
    indexes,
    maintenance,
    queries,
    server,
    table_design,
    tables,
)
from mcp_servers.postgres.checks.base import Check

__all__ = ["AREAS", "all_checks", "select_checks"]

# Report order: each area's checks, imported statically.
_BY_AREA: dict[str, tuple[Check, ...]] = {
    "activity": activity.CHECKS,
    "queries": queries.CHECKS,
    "indexes": indexes.CHECKS + cardinality.CHECKS,
    "tables": tables.CHECKS + table_design.CHECKS,
    "maintenance": maintenance.CHECKS,
    "server": server.CHECKS,
}
AREAS = tuple(_BY_AREA)


def all_checks() -> tuple[Check, ...]:
    return tuple(c for checks in _BY_AREA.values() for c in checks)


def select_checks(selectors: list[str] | None) -> tuple[Check, ...]:
    """Checks named by check name or area; None or ["all"] means every check.

    Raises:
        ValueError: a selector names no check or area (the message lists the valid ones).
    """
    checks = all_checks()
    if not selectors or selectors == ["all"]:
        return checks
    names = {c.name for c in checks}
    unknown = [s for s in selectors if s not in names and s not in AREAS]
    if unknown:
        raise ValueError(
            f"unknown check or area {', '.join(map(repr, unknown))}; areas: {', '.join(AREAS)}; "
            f"checks: {', '.join(sorted(names))}"
        )
    return tuple(c for c in checks if c.name in selectors or c.area in selectors)
