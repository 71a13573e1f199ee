"""Turn a `LogAnalysis` into red/yellow/green findings, worst first."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from mcp_servers.app_diagnostics.logs.codes import CODES
from mcp_servers.app_diagnostics.logs.metric_findings import Series, addon_findings, dyno_findings
from mcp_servers.app_diagnostics.logs.models import LogAnalysis
from mcp_servers.app_diagnostics.logs.pg_service import service_findings
from mcp_servers.common.results import Finding

__all__ = ["findings_for"]

# Codes that mean users got no answer at all: red whenever they appear.
ALWAYS_RED = frozenset({"H10", "H14", "H20", "H99", "R10", "R15", "R17", "R99"})
ERROR_RATE_RED = 0.05  # 5 % of requests failing is an outage for most apps
ERROR_RATE_YELLOW = 0.01
CODE_SHARE_RED = 0.01  # an error-level code on 1 % of requests
# The router gives up at 30 s (H12); a p95 past 20 s means timeouts are close, past 5 s users notice.
P95_RED_MS = 20_000
P95_YELLOW_MS = 5_000
MEMORY_RED_PCT = 100.0  # over quota: swapping (R14) or killed (R15)
MEMORY_YELLOW_PCT = 85.0
_RANK = {"red": 0, "yellow": 1, "green": 2, "skipped": 3}


def _code_status(code: str, level: str, share: float | None) -> str:
    """An error code's status: always-red codes and router errors past CODE_SHARE_RED of requests are red."""
    if code in ALWAYS_RED or (level == "error" and code.startswith("H") and share is not None and share >= CODE_SHARE_RED):
        return "red"
    if level == "error" or (share is not None and share >= ERROR_RATE_RED):
        return "yellow"
    return "green"


def findings_for(a: LogAnalysis, *, dyno_series: Mapping[str, tuple[Series, Sequence[float]]] = {},
                 addon_series: Mapping[tuple[str, str | None], Series] = {}) -> list[Finding]:
    """Findings from the aggregates; `dyno_series` (samples and memory-sample minutes per dyno) and
    `addon_series` (samples per add-on database) feed the sustained-metric findings."""
    out: list[Finding] = []
    if a.requests:
        status = "red" if a.error_rate >= ERROR_RATE_RED else "yellow" if a.error_rate >= ERROR_RATE_YELLOW else "green"
        out.append(Finding(check="router_error_rate", status=status,
                           summary=f"{a.error_rate:.1%} of {a.requests} requests failed (5xx or error code)",
                           value=a.error_rate, threshold=f"yellow >= {ERROR_RATE_YELLOW:.0%}, red >= {ERROR_RATE_RED:.0%}",
                           remediation="Start with the most frequent error code below." if status != "green" else None))
        p95 = a.service.p95
        if p95 is not None:
            status = "red" if p95 >= P95_RED_MS else "yellow" if p95 >= P95_YELLOW_MS else "green"
            out.append(Finding(check="service_time_p95", status=status, summary=f"p95 service time {p95} ms",
                               value=p95, threshold=f"yellow >= {P95_YELLOW_MS} ms, red >= {P95_RED_MS} ms",
                               rows=[{"path": p.path, "p95_ms": p.p95_ms, "requests": p.requests} for p in a.slowest_paths[:3]],
                               remediation="Profile the slowest paths; move long work to a worker." if status != "green" else None))
    else:
        out.append(Finding(check="router_error_rate", status="skipped", summary="no router lines in these logs",
                           reason="no heroku[router] lines: no web traffic in the window, or the logs were filtered to another source"))
    for c in a.codes:
        info = CODES.get(c.code)
        share = c.count / a.requests if a.requests and c.code.startswith("H") else None
        status = _code_status(c.code, c.level, share)
        pct = f" ({share:.1%} of requests)" if share is not None else ""
        out.append(Finding(check=f"code_{c.code}", status=status, summary=f"{c.code} {c.title}: {c.count} lines{pct}",
                           value=c.count, rows=[{"path": p} for p in c.top_paths],
                           remediation=info.first_action if info else c.first_action))
    for d in a.dynos:
        if d.crashes:
            out.append(Finding(check="dyno_crashes", status="red", summary=f"{d.dyno} crashed {d.crashes} time(s)",
                               value=d.crashes, rows=[{"exit_status": k, "count": v} for k, v in d.exits.items()],
                               remediation="Read the app output just before 'State changed ... to crashed' for this dyno."))
        if d.memory_max_pct is not None:
            pct = d.memory_max_pct
            status = "red" if pct >= MEMORY_RED_PCT else "yellow" if pct >= MEMORY_YELLOW_PCT else "green"
            quota = f" of {d.memory_quota_mb:g} MB" if d.memory_quota_mb else ""
            out.append(Finding(check="dyno_memory", status=status,
                               summary=f"{d.dyno} peaked at {d.memory_max_mb:g} MB{quota} ({pct:g}% of quota)",
                               value=pct, threshold=f"yellow >= {MEMORY_YELLOW_PCT:g}%, red >= {MEMORY_RED_PCT:g}%",
                               remediation="Lower workers per dyno, fix the leak, or move to a larger dyno size." if status != "green" else None))
    for (service, source), series in sorted(addon_series.items(), key=str):
        out += addon_findings(service, source, series)
    for dyno, (series, minutes) in sorted(dyno_series.items()):
        out += dyno_findings(dyno, series, minutes)
    out += service_findings(a.postgres_logs)
    if a.logplex_dropped or a.logplex:
        out.append(Finding(check="log_delivery", status="yellow",
                           summary=f"Logplex errors {a.logplex}; {a.logplex_dropped} messages dropped",
                           remediation="Logs are incomplete: counts here are lower bounds. Check drains and log volume."))
    for burst in a.bursts:
        if burst.after_release is not None:
            rel = burst.after_release
            label = f"v{rel.version}" if rel.version is not None else rel.kind
            after = f"{burst.minutes_after_release:g} min after" if burst.minutes_after_release is not None else "after"
            out.append(Finding(check="errors_after_release", status="red",
                               summary=f"{burst.errors} errors {burst.start}..{burst.end}, {after} {label}",
                               value=burst.errors, rows=[{"code": k, "count": v} for k, v in burst.codes.items()],
                               remediation=f"Compare {label} with the release before it (recent_releases); roll back if it is the cause."))
    if a.parse.lines and a.parse.not_understood / a.parse.lines > 0.2:
        out.append(Finding(check="log_parse", status="yellow",
                           summary=f"{a.parse.not_understood} of {a.parse.lines} lines were not understood",
                           reason="the text may not be Heroku log output (expected `TS source[process]: message`)"))
    return sorted(out, key=lambda f: _RANK[f.status])
