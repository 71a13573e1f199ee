"""Every health check pg_diagnose runs, by area, in report order."""

from __future__ import annotations

import importlib

from mcp_servers.postgres.checks.base import Check

__all__ = ["AREAS", "all_checks", "select_checks"]

# Area modules, each exporting CHECKS: tuple[Check, ...].
AREAS = ("activity", "queries", "indexes", "tables", "server")


def all_checks() -> tuple[Check, ...]:
    checks: list[Check] = []
    for area in AREAS:
        module = importlib.import_module(f"mcp_servers.postgres.checks.{area}")
        checks.extend(module.CHECKS)
    return tuple(checks)


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
