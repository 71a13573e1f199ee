"""Compact text renderings of the overview and release results: what the model reads first."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mcp_servers.common.results import render_findings

if TYPE_CHECKING:
    from mcp_servers.app_diagnostics.tools.overview import AppOverview
    from mcp_servers.app_diagnostics.tools.releases import RecentReleases

__all__ = ["render_overview", "render_releases"]


def render_overview(o: AppOverview) -> str:
    a = o.app
    head = f"{a.name} ({a.generation or '?'}, {a.stack or '?'}, {a.region or '?'}): {o.status.upper()}"
    if a.maintenance:
        head += " - maintenance ON"
    procs = []
    for p in o.formation:
        text = f"{p.type} {p.up}/{p.desired} up"
        if p.crashed_dynos:
            text += f" (crashed: {', '.join(p.crashed_dynos[:5])})"
        if p.starting:
            text += f" ({p.starting} starting)"
        procs.append(text)
    lines = [head, "dynos: " + ("; ".join(procs) or "no formation") + (f"; {o.one_off_dynos} one-off" if o.one_off_dynos else "")]
    lines.append("releases: " + "; ".join(
        f"v{r.version} {r.status}{' (current)' if r.current else ''} \"{r.description or ''}\"" for r in o.releases[:3]))
    if o.addons:
        lines.append("add-ons: " + "; ".join(f"{d.plan or d.name} {d.state}" for d in o.addons))
    lines.append("features: " + ", ".join(
        f"{f.name} {'on' if f.enabled else 'off' if f.enabled is False else 'n/a'}" for f in o.features))
    lines.append(render_findings(o.findings))
    return "\n".join(lines)


def render_releases(r: RecentReleases) -> str:
    lines = [f"{r.app} releases (newest first): {r.status.upper()}"]
    for d in r.releases:
        text = f"v{d.version} {d.status}{' (current)' if d.current else ''} {d.kind}: {d.description or ''}"
        change = d.config_changes
        if change and (change.added or change.removed or change.changed):
            parts = [f"+{n}" for n in change.added] + [f"-{n}" for n in change.removed] + [f"~{n}" for n in change.changed]
            text += f" | config {' '.join(parts)}"
        if d.build:
            text += f" | build {d.build.status}"
        lines.append(text)
    for b in r.failed_builds:
        lines.append(f"failed build {b.version or b.id} at {b.created_at}: nothing released")
    if r.rollback_candidate is not None:
        lines.append(f"rollback candidate: v{r.rollback_candidate}")
    lines += r.notes
    lines.append(render_findings(r.findings))
    return "\n".join(lines)
