"""Aggregate parsed log records into a `LogAnalysis`: one pass, one path, named running totals.

Every line goes through `parse_line` (which has its own fast path for canonical router lines) and then
through `_Tally.add`; the totals are small named records (`PathTally`, `MinuteTally`, `DynoTally`,
`AddonTally`, in `tallies.py`) turned into result models at the end.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import datetime

from mcp_servers.app_diagnostics.logs import records
from mcp_servers.app_diagnostics.logs.models import (
    AddonHealth,
    DynoHealth,
    LogAnalysis,
    ParseStats,
    ReleaseRef,
    StatusCount,
)
from mcp_servers.app_diagnostics.logs.parser import parse_line
from mcp_servers.app_diagnostics.logs.pg_service import PgServiceTally
from mcp_servers.app_diagnostics.logs.stats import (
    code_count,
    find_bursts,
    latency,
    minute_bucket,
    normalise_path,
    path_stat,
    percentile,
    unique_releases,
    utc,
)
from mcp_servers.app_diagnostics.logs.tallies import AddonTally, DynoTally, MinuteTally, PathTally, bigger
from mcp_servers.common.redact import redact_text, truncate

__all__ = ["MAX_TIMELINE", "analyze_lines", "normalise_path", "percentile"]

MAX_PATHS = 5
MAX_TIMELINE = 60  # minutes shown; the log-session buffer (1500 lines) rarely spans more
MAX_SAMPLES = 5


class _Tally:
    """The running totals of one analysis; `add` takes one parsed record."""

    def __init__(self, releases: Iterable[ReleaseRef]) -> None:
        self.kinds: Counter[str] = Counter()
        self.codes: Counter[str] = Counter()
        self.statuses: Counter[int] = Counter()
        self.code_paths: dict[str, Counter[str]] = defaultdict(Counter)
        self.socks: dict[str, Counter[str]] = defaultdict(Counter)
        self.services: list[int] = []
        self.connects: list[int] = []
        self.paths: dict[str, PathTally] = {}
        self._path_of_raw: dict[tuple[str | None, str | None], PathTally] = {}
        self.minutes: dict[str, MinuteTally] = {}
        self.dynos: dict[str, DynoTally] = defaultdict(DynoTally)
        self.addons: dict[tuple[str, str | None], AddonTally] = {}
        self.postgres = PgServiceTally()
        self.logplex: Counter[str] = Counter()
        self.dropped = 0
        self.releases: list[ReleaseRef] = list(releases)
        self.first_ts: str | None = None
        self.last_ts: str | None = None
        self._minute_key: str | None = None
        self._bucket = MinuteTally()

    def _minute(self, ts: str) -> MinuteTally:
        if self.first_ts is None or ts < self.first_ts:
            self.first_ts = ts
        if self.last_ts is None or ts > self.last_ts:
            self.last_ts = ts
        key = ts[:16]
        if key == self._minute_key:  # lines arrive in time order: usually the same minute as the last one
            return self._bucket
        bucket = self.minutes.get(key)
        if bucket is None:
            bucket = self.minutes[key] = MinuteTally()
        self._minute_key, self._bucket = key, bucket
        return bucket

    def add(self, event: records.Event) -> None:
        ts = event.ts
        ts = ts[:19] if ts.endswith("+00:00") else utc(ts)
        bucket = self._minute(ts)
        match event:
            case records.RouterLine():
                self._router(event, bucket)
            case records.AppOutput():
                self.kinds["app"] += 1
            case records.RuntimeMetrics():
                self._runtime(event, ts)
            case records.AddonMetrics():
                self.kinds["addon_metrics"] += 1
                addon = self.addons.get((event.service, event.source))
                if addon is None:
                    addon = self.addons[(event.service, event.source)] = AddonTally()
                addon.samples += 1
                addon.latest.update(event.samples)
                for name, value in event.samples.items():
                    addon.series[name].append(value)
            case records.PostgresLog():
                self.kinds["postgres_log"] += 1
                self.postgres.add(event)
            case records.ReleaseEvent():
                self.kinds["release"] += 1
                if event.kind in ("release", "deploy", "rollback"):
                    self.releases.append(ReleaseRef(kind=event.kind, version=event.version, at=ts, by=event.by))
            case records.LogplexError():
                self.kinds["logplex"] += 1
                self.logplex[event.code] += 1
                self.dropped += event.dropped or 0
            case (records.StateChange() | records.ProcessExit() | records.DynoError() | records.MemoryUse()
                  | records.DynoNotice()):
                self.kinds["dyno"] += 1
                self._dyno(event, bucket)

    def _router(self, r: records.RouterLine, bucket: MinuteTally) -> None:
        self.kinds["router"] += 1
        bucket.requests += 1
        raw = (r.method, r.path)
        path = self._path_of_raw.get(raw)
        if path is None:
            key = f"{r.method or '-'} {normalise_path(r.path)}"
            path = self.paths.get(key)
            if path is None:
                path = self.paths[key] = PathTally(key=key)
            self._path_of_raw[raw] = path
        path.requests += 1
        if r.status is not None:
            self.statuses[r.status] += 1
        if r.service is not None:
            self.services.append(r.service)
            bucket.service.append(r.service)
            path.service.append(r.service)
        if r.connect is not None:
            self.connects.append(r.connect)
        if r.code is not None:
            self.codes[r.code] += 1
            self.code_paths[r.code][path.key] += 1
            path.codes[r.code] += 1
            bucket.codes[r.code] += 1
            if r.sock:
                self.socks[r.code][r.sock] += 1
        if (r.status is not None and r.status >= 500) or r.at == "error":
            path.errors += 1
            bucket.errors += 1

    def _runtime(self, m: records.RuntimeMetrics, ts: str) -> None:
        self.kinds["runtime_metrics"] += 1
        dyno = self.dynos[m.source]
        for name, value in m.samples.items():
            dyno.samples[name].append(value)
        total_mb = m.samples.get("memory_total")
        if total_mb is not None:
            dyno.mem_last = total_mb
            dyno.mem_max = bigger(dyno.mem_max, total_mb)
            dyno.memory_times.append(ts)
        if m.samples.get("memory_quota"):
            dyno.quota = m.samples["memory_quota"]
        dyno.load_max = bigger(dyno.load_max, m.samples.get("load_avg_1m"))

    def _dyno(self, event: records.DynoEvent, bucket: MinuteTally) -> None:
        dyno = self.dynos[event.dyno]
        match event:
            case records.StateChange():
                dyno.state = event.to_state
                if event.to_state == "crashed":
                    dyno.crashes += 1
                    bucket.errors += 1
                    bucket.codes["crash"] += 1
            case records.ProcessExit():
                dyno.exits[str(event.status) if event.status is not None else "unknown"] += 1
            case records.DynoError():
                dyno.errors[event.code] += 1
                self.codes[event.code] += 1
                bucket.errors += 1
                bucket.codes[event.code] += 1
            case records.MemoryUse():
                dyno.mem_last = event.mem_mb
                dyno.mem_max = bigger(dyno.mem_max, event.mem_mb)
                dyno.pct_max = bigger(dyno.pct_max, event.percent)
                if event.percent > 0 and dyno.quota is None:
                    dyno.quota = round(event.mem_mb * 100 / event.percent)


def analyze_lines(lines: Iterable[str], *, source: str = "pasted text", releases: Iterable[ReleaseRef] = (),
                  secrets: tuple[str, ...] = (), notes: Iterable[str] = ()) -> LogAnalysis:
    """Parse and aggregate log lines in one pass. `releases` (e.g. from the Platform API) add to the
    release lines found in the log when correlating error bursts; `secrets` are masked in the few
    line samples the result quotes; `notes` say how the lines were read (a stream cut short, ...)."""
    total = understood = 0
    samples: list[str] = []
    tally = _Tally(releases)
    for line in lines:
        total += 1
        event = parse_line(line)
        if event is None:
            if line.strip():
                if len(samples) < MAX_SAMPLES:
                    samples.append(truncate(redact_text(line.strip(), secrets), 160) or "")
            else:
                total -= 1  # blank lines are not log lines
            continue
        understood += 1
        tally.add(event)
    return _result(tally, source, total, understood, samples, list(notes))


def _result(t: _Tally, source: str, total: int, understood: int, samples: list[str], notes: list[str]) -> LogAnalysis:
    from mcp_servers.app_diagnostics.logs.findings import findings_for

    requests = t.kinds.get("router", 0)
    router_errors = sum(p.errors for p in t.paths.values())
    path_stats = [path_stat(p) for p in t.paths.values()]
    timeline = [minute_bucket(minute, b) for minute, b in sorted(t.minutes.items())]
    release_refs = unique_releases(t.releases)
    analysis = LogAnalysis(
        source=source,
        notes=notes,
        window_start=t.first_ts,
        window_end=t.last_ts,
        parse=ParseStats(lines=total, understood=understood, not_understood=total - understood,
                         by_kind=dict(t.kinds), not_understood_samples=samples),
        requests=requests,
        error_rate=round(router_errors / requests, 4) if requests else 0.0,
        findings=[],
        codes=[code_count(code, n, t.code_paths.get(code), t.socks.get(code)) for code, n in t.codes.most_common()],
        statuses=[StatusCount(status=s, count=n) for s, n in sorted(t.statuses.items())],
        service=latency(t.services),
        connect=latency(t.connects),
        slowest_paths=sorted((p for p in path_stats if p.p95_ms is not None),
                             key=lambda p: (-(p.p95_ms or 0), -p.requests))[:MAX_PATHS],
        failing_paths=sorted((p for p in path_stats if p.errors), key=lambda p: (-p.errors, p.path))[:MAX_PATHS],
        timeline=timeline[-MAX_TIMELINE:],
        timeline_truncated=len(timeline) > MAX_TIMELINE,
        dynos=[_dyno_health(name, d) for name, d in sorted(t.dynos.items())],
        addons=[_addon_health(svc, src, a) for (svc, src), a in sorted(t.addons.items(), key=str)],
        postgres_logs=t.postgres.summary(),
        logplex=dict(t.logplex),
        logplex_dropped=t.dropped,
        releases=release_refs[-10:],
        bursts=find_bursts(timeline, release_refs),
    )
    analysis.findings = findings_for(analysis, dyno_series={name: (d.samples, _minutes(d.memory_times))
                                                            for name, d in t.dynos.items() if d.samples},
                                     addon_series={key: a.series for key, a in t.addons.items()})
    return analysis


def _minutes(stamps: list[str]) -> list[float]:
    """Minutes of each timestamp after the first (sample times for the memory trend)."""
    try:
        moments = [datetime.fromisoformat(s) for s in stamps]
    except ValueError:
        return []
    return [(m - moments[0]).total_seconds() / 60 for m in moments] if moments else []


def _addon_health(service: str, source: str | None, a: AddonTally) -> AddonHealth:
    active, waiting = a.series.get("active-connections"), a.series.get("waiting-connections")
    return AddonHealth(service=service, source=source, samples=a.samples, latest=a.latest,
                       max_active_connections=max(active) if active else None,
                       max_waiting_connections=max(waiting) if waiting else None)


def _dyno_health(name: str, d: DynoTally) -> DynoHealth:
    pct = d.pct_max
    if d.quota and d.mem_max is not None:
        pct = bigger(pct, round(d.mem_max * 100 / d.quota, 1))
    swap = d.samples.get("memory_swap")
    return DynoHealth(dyno=name, last_state=d.state, crashes=d.crashes, exits=dict(d.exits),
                      runtime_errors=dict(d.errors), memory_max_mb=d.mem_max, memory_last_mb=d.mem_last,
                      memory_quota_mb=d.quota, memory_max_pct=pct, load_avg_1m_max=d.load_max,
                      swap_max_mb=max(swap) if swap else None)
