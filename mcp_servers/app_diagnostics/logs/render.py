"""Compact text renderings of log analyses and error codes, for the model to read."""

from __future__ import annotations

from mcp_servers.app_diagnostics.logs.models import ErrorCodeInfo, Latency, LogAnalysis

__all__ = ["render_analysis", "render_code"]

_MARK = {"red": "RED", "yellow": "YELLOW", "green": "ok", "skipped": "skipped"}
_ADDON_KEYS = ("active-connections", "max-connections", "waiting-connections", "load-avg-1m", "iops-percentage-used",
               "memory-percentage-used", "wal-percentage-used", "index-cache-hit-rate", "table-cache-hit-rate",
               "hit-rate", "evicted-keys")


def _lat(name: str, lat: Latency) -> str:
    if not lat.count:
        return f"{name}: no samples"
    return f"{name} ms: p50 {lat.p50}, p95 {lat.p95}, p99 {lat.p99}, max {lat.max} (n={lat.count})"


def render_analysis(a: LogAnalysis) -> str:  # noqa: C901 (a flat list of optional report sections)
    p = a.parse
    out = [
        f"Logs from {a.source}: {p.lines} lines, {a.window_start or '?'} .. {a.window_end or '?'} UTC; "
        f"{p.not_understood} not understood; kinds {p.by_kind}",
        f"Requests {a.requests}, error rate {a.error_rate:.1%}. {_lat('service', a.service)}. {_lat('connect', a.connect)}.",
    ]
    out += [f"Note: {note}" for note in a.notes]
    if a.findings:
        out.append("Findings:")
        out += [f"- [{_MARK[f.status]}] {f.summary}" + (f" -> {f.remediation}" if f.remediation else "")
                for f in a.findings if f.status != "green"][:12]
    if a.codes:
        out.append("Codes: " + ", ".join(f"{c.code} {c.title} x{c.count}" for c in a.codes[:10]))
    if a.statuses:
        out.append("Statuses: " + ", ".join(f"{s.status} x{s.count}" for s in a.statuses))
    if a.slowest_paths:
        out.append("Slowest paths (p95): " + "; ".join(f"{x.path} {x.p95_ms} ms (n={x.requests})" for x in a.slowest_paths))
    if a.failing_paths:
        out.append("Most failing paths: " + "; ".join(
            f"{x.path} {x.errors}/{x.requests} {dict(list(x.codes.items())[:3])}" for x in a.failing_paths))
    for d in a.dynos:
        bits = []
        if d.memory_max_mb is not None:
            quota = f"/{d.memory_quota_mb:g}" if d.memory_quota_mb else ""
            pct = f" ({d.memory_max_pct:g}%)" if d.memory_max_pct is not None else ""
            bits.append(f"mem max {d.memory_max_mb:g}{quota} MB{pct}")
        if d.crashes:
            bits.append(f"crashed x{d.crashes}")
        if d.runtime_errors:
            bits.append(f"errors {d.runtime_errors}")
        if d.exits:
            bits.append(f"exits {d.exits}")
        if d.last_state:
            bits.append(f"last state {d.last_state}")
        if bits:
            out.append(f"Dyno {d.dyno}: " + ", ".join(bits))
    for ad in a.addons:
        latest = ", ".join(f"{k} {ad.latest[k]:g}" for k in _ADDON_KEYS if k in ad.latest)
        out.append(f"{ad.service} {ad.source or ''} (latest of {ad.samples} samples): {latest}")
    if a.postgres_logs is not None:
        out.append(f"Postgres logs ({a.postgres_logs.lines} lines): " + "; ".join(
            f"{e.kind} x{e.count}" + (f" e.g. {e.statements[0]}" if e.statements else "")
            for e in a.postgres_logs.events[:6]))
    for b in a.bursts:
        rel = b.after_release
        after = (f", {b.minutes_after_release:g} min after {rel.kind} v{rel.version}" if rel and rel.version is not None
                 else f", {b.minutes_after_release:g} min after a {rel.kind}" if rel else "")
        out.append(f"Error burst {b.start}..{b.end}: {b.errors} errors {b.codes}{after}")
    if a.timeline:
        worst = sorted(a.timeline, key=lambda m: -m.errors)[:3]
        if worst and worst[0].errors:
            out.append("Worst minutes: " + "; ".join(f"{m.minute} {m.errors} errors/{m.requests} req" for m in worst))
    if p.not_understood_samples:
        out.append("Not understood, e.g.: " + " | ".join(p.not_understood_samples[:2]))
    return "\n".join(out)


def render_code(info: ErrorCodeInfo) -> str:
    status = f", HTTP {info.http_status}" if info.http_status else ""
    lines = [
        f"{info.code} {info.title} ({info.kind}, at={info.level}{status}){' - retired' if info.retired else ''}",
        f"Meaning: {info.meaning}",
        "Likely causes: " + "; ".join(info.likely_causes),
        f"First action: {info.first_action}",
    ]
    if info.next_checks:
        lines.append("Next checks: " + "; ".join(info.next_checks))
    if info.note:
        lines.append(f"Note: {info.note}")
    return "\n".join(lines)
