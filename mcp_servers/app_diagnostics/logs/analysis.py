"""Aggregate parsed log records into a `LogAnalysis`: one pass over the lines, plain dicts and lists."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable

from mcp_servers.app_diagnostics.logs.models import (
    AddonHealth, DynoHealth, LogAnalysis, ParseStats, ReleaseRef, StatusCount,
)
from mcp_servers.app_diagnostics.logs.parser import (
    FAST_LINE, AddonMetrics, AppOutput, DynoError, DynoNotice, LogplexError, MemoryUse, ProcessExit, ReleaseEvent,
    RouterLine, RuntimeMetrics, StateChange, parse_line,
)
from mcp_servers.app_diagnostics.logs.stats import (
    code_count, find_bursts, latency, minute_bucket, normalise_path, path_stat, percentile, unique_releases, utc,
)
from mcp_servers.common.redact import redact_text, truncate

__all__ = ["analyze_lines", "normalise_path", "percentile", "MAX_TIMELINE"]

MAX_PATHS = 5
MAX_TIMELINE = 60  # minutes shown; the log-session buffer (1500 lines) rarely spans more
MAX_SAMPLES = 5
_NO_TS_YET = "\U0010ffff"  # sorts after any timestamp (they start with a digit)

class _Dyno:
    __slots__ = ("state", "crashes", "exits", "errors", "mem_max", "mem_last", "quota", "pct_max", "load_max")

    def __init__(self) -> None:
        self.state: str | None = None
        self.crashes = 0
        self.exits: Counter[str] = Counter()
        self.errors: Counter[str] = Counter()
        self.mem_max = self.mem_last = self.quota = self.pct_max = self.load_max = None


def _bigger(old: float | None, new: float | None) -> float | None:
    if new is None:
        return old
    return new if old is None or new > old else old


def analyze_lines(lines: Iterable[str], *, source: str = "pasted text", releases: Iterable[ReleaseRef] = (),
                  secrets: tuple[str, ...] = ()) -> LogAnalysis:
    """Parse and aggregate log lines in one pass. `releases` (e.g. from the Platform API) add to the
    release lines found in the log when correlating error bursts; `secrets` are masked in the few
    line samples the result quotes."""
    total = understood = 0
    samples: list[str] = []
    kinds: Counter[str] = Counter()
    codes: Counter[str] = Counter()
    statuses: Counter[int] = Counter()
    code_paths: dict[str, Counter[str]] = defaultdict(Counter)
    socks: dict[str, Counter[str]] = defaultdict(Counter)
    services: list[int] = []
    connects: list[int] = []
    paths: dict[str, list] = {}  # key -> [requests, errors, service list, codes Counter, key]
    minutes: dict[str, list] = {}  # minute -> [requests, errors, codes Counter, service list]
    dynos: dict[str, _Dyno] = defaultdict(_Dyno)
    addons: dict[tuple[str, str | None], list] = {}
    logplex: Counter[str] = Counter()
    dropped = 0
    release_refs: list[ReleaseRef] = list(releases)
    first_ts, last_ts = _NO_TS_YET, ""  # sentinels: every timestamp sorts between them
    current_minute: str | None = None
    bucket: list = []
    stat_by_raw: dict[str, list] = {}  # "METHOD raw-path" -> the stat of its normalised path
    n_router = n_app = 0  # the two most common kinds, counted in locals (the hot path)

    fast_stat: dict[str, list] = {}  # 'METHOD path="raw-path' (a FAST_LINE group) -> the stat of its path
    fast_match = FAST_LINE.match

    for line in lines:
        total += 1
        m = fast_match(line)
        if m is not None:
            # The commonest lines, parsed and counted here without building a record; the updates and
            # their order are those of the general path below for the same line.
            understood += 1
            ts, sock, at, code, raw, connect, service, status = m.groups()
            if ts < first_ts:
                first_ts = ts
            if ts > last_ts:
                last_ts = ts
            minute = ts[:16]
            if minute != current_minute:
                current_minute = minute
                bucket = minutes.get(minute)
                if bucket is None:
                    bucket = minutes[minute] = [0, 0, Counter(), []]
            if at is None:
                n_app += 1
                continue
            n_router += 1
            bucket[0] += 1
            stat = fast_stat.get(raw)
            if stat is None:
                method, _, path = raw.partition(' path="')
                key = f"{method or '-'} {normalise_path(path)}"
                stat = paths.get(key)
                if stat is None:
                    stat = paths[key] = [0, 0, [], Counter(), key]
                fast_stat[raw] = stat
            stat[0] += 1
            if status:
                status = int(status)
                statuses[status] += 1
                is_error = status >= 500 or at == "error"
            else:
                is_error = at == "error"
            if service:
                service = int(service)
                services.append(service)
                bucket[3].append(service)
                stat[2].append(service)
            if connect:
                connects.append(int(connect))
            if code is not None:
                codes[code] += 1
                code_paths[code][stat[4]] += 1
                stat[3][code] += 1
                bucket[2][code] += 1
                if sock:
                    socks[code][sock] += 1
            if is_error:
                stat[1] += 1
                bucket[1] += 1
            continue
        event = parse_line(line)
        if event is None:
            if line.strip():
                if len(samples) < MAX_SAMPLES:
                    samples.append(truncate(redact_text(line.strip(), secrets), 160) or "")
            else:
                total -= 1  # blank lines are not log lines
            continue
        understood += 1
        kind = type(event)
        ts = event.ts
        ts = ts[:19] if ts.endswith("+00:00") else utc(ts)
        if ts < first_ts:
            first_ts = ts
        if ts > last_ts:
            last_ts = ts
        minute = ts[:16]
        if minute != current_minute:
            current_minute = minute
            bucket = minutes.get(minute)
            if bucket is None:
                bucket = minutes[minute] = [0, 0, Counter(), []]
        if kind is RouterLine:
            n_router += 1
            _, at, code, _, method, path, _, _, _, _, connect, service, status, _, _, _, sock, _, _, _ = event
            bucket[0] += 1
            is_error = (status is not None and status >= 500) or at == "error"
            if status is not None:
                statuses[status] += 1
            if service is not None:
                services.append(service)
                bucket[3].append(service)
            if connect is not None:
                connects.append(connect)
            raw = f"{method} {path}"
            stat = stat_by_raw.get(raw)
            if stat is None:
                key = f"{method or '-'} {normalise_path(path)}"
                stat = paths.get(key)
                if stat is None:
                    stat = paths[key] = [0, 0, [], Counter(), key]
                stat_by_raw[raw] = stat
            stat[0] += 1
            if service is not None:
                stat[2].append(service)
            if code is not None:
                codes[code] += 1
                code_paths[code][stat[4]] += 1
                stat[3][code] += 1
                bucket[2][code] += 1
                if sock:
                    socks[code][sock] += 1
            if is_error:
                stat[1] += 1
                bucket[1] += 1
        elif kind is AppOutput:
            n_app += 1
        elif kind is RuntimeMetrics:
            kinds["runtime_metrics"] += 1
            dyno = dynos[event.source]
            s = event.samples
            total_mb = s.get("memory_total")
            if total_mb is not None:
                dyno.mem_last = total_mb
                dyno.mem_max = _bigger(dyno.mem_max, total_mb)
            if s.get("memory_quota"):
                dyno.quota = s["memory_quota"]
            dyno.load_max = _bigger(dyno.load_max, s.get("load_avg_1m"))
        elif kind is AddonMetrics:
            kinds["addon_metrics"] += 1
            entry = addons.setdefault((event.service, event.source), [0, {}, None, None])
            entry[0] += 1
            entry[1].update(event.samples)
            entry[2] = _bigger(entry[2], event.samples.get("active-connections"))
            entry[3] = _bigger(entry[3], event.samples.get("waiting-connections"))
        elif kind is ReleaseEvent:
            kinds["release"] += 1
            if event.kind in ("release", "deploy", "rollback"):
                release_refs.append(ReleaseRef(kind=event.kind, version=event.version, at=ts, by=event.by))
        elif kind is LogplexError:
            kinds["logplex"] += 1
            logplex[event.code] += 1
            dropped += event.dropped or 0
        else:
            kinds["dyno"] += 1
            dyno = dynos[event.dyno]
            if kind is StateChange:
                dyno.state = event.to_state
                if event.to_state == "crashed":
                    dyno.crashes += 1
                    bucket[1] += 1
                    bucket[2]["crash"] += 1
            elif kind is ProcessExit:
                dyno.exits[str(event.status) if event.status is not None else "unknown"] += 1
            elif kind is DynoError:
                dyno.errors[event.code] += 1
                codes[event.code] += 1
                bucket[1] += 1
                bucket[2][event.code] += 1
            elif kind is MemoryUse:
                dyno.mem_last = event.mem_mb
                dyno.mem_max = _bigger(dyno.mem_max, event.mem_mb)
                dyno.pct_max = _bigger(dyno.pct_max, event.percent)
                if event.percent > 0 and dyno.quota is None:
                    dyno.quota = round(event.mem_mb * 100 / event.percent)
            elif kind is DynoNotice:
                pass

    if not understood:
        first_ts = last_ts = None
    if n_router:
        kinds["router"] = n_router
    if n_app:
        kinds["app"] = n_app
    requests = n_router
    router_errors = sum(stat[1] for stat in paths.values())
    path_stats = [path_stat(key, stat) for key, stat in paths.items()]
    timeline = [minute_bucket(minute, b) for minute, b in sorted(minutes.items())]
    release_refs = unique_releases(release_refs)
    bursts = find_bursts(timeline, release_refs)
    from mcp_servers.app_diagnostics.logs.findings import findings_for

    analysis = LogAnalysis(
        source=source,
        window_start=first_ts,
        window_end=last_ts,
        parse=ParseStats(lines=total, understood=understood, not_understood=total - understood,
                         by_kind=dict(kinds), not_understood_samples=samples),
        requests=requests,
        error_rate=round(router_errors / requests, 4) if requests else 0.0,
        findings=[],
        codes=[code_count(code, n, code_paths.get(code), socks.get(code)) for code, n in codes.most_common()],
        statuses=[StatusCount(status=s, count=n) for s, n in sorted(statuses.items())],
        service=latency(services),
        connect=latency(connects),
        slowest_paths=sorted((p for p in path_stats if p.p95_ms is not None),
                             key=lambda p: (-(p.p95_ms or 0), -p.requests))[:MAX_PATHS],
        failing_paths=sorted((p for p in path_stats if p.errors), key=lambda p: (-p.errors, p.path))[:MAX_PATHS],
        timeline=timeline[-MAX_TIMELINE:],
        timeline_truncated=len(timeline) > MAX_TIMELINE,
        dynos=[_dyno_health(name, d) for name, d in sorted(dynos.items())],
        addons=[AddonHealth(service=svc, source=src, samples=e[0], latest=e[1], max_active_connections=e[2],
                            max_waiting_connections=e[3]) for (svc, src), e in sorted(addons.items(), key=str)],
        logplex=dict(logplex),
        logplex_dropped=dropped,
        releases=release_refs[-10:],
        bursts=bursts,
    )
    analysis.findings = findings_for(analysis)
    return analysis


def _dyno_health(name: str, d: _Dyno) -> DynoHealth:
    pct = d.pct_max
    if d.quota and d.mem_max is not None:
        pct = _bigger(pct, round(d.mem_max * 100 / d.quota, 1))
    return DynoHealth(dyno=name, last_state=d.state, crashes=d.crashes, exits=dict(d.exits),
                      runtime_errors=dict(d.errors), memory_max_mb=d.mem_max, memory_last_mb=d.mem_last,
                      memory_quota_mb=d.quota, memory_max_pct=pct, load_avg_1m_max=d.load_max)
