"""Helpers of the log analysis: path normalisation, percentiles, UTC timestamps, error bursts, and the
result rows built from the aggregates at the end."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from mcp_servers.app_diagnostics.logs.codes import CODES
from mcp_servers.app_diagnostics.logs.models import CodeCount, ErrorBurst, Latency, MinuteBucket, PathStat, ReleaseRef
from mcp_servers.common.redact import truncate

if TYPE_CHECKING:
    from mcp_servers.app_diagnostics.logs.tallies import MinuteTally, PathTally

__all__ = [
    "BURST_MIN_ERRORS", "BURST_MIN_RATE", "code_count", "find_bursts", "latency", "minute_bucket", "normalise_path",
    "path_stat", "percentile", "unique_releases", "utc",
]

BURST_MIN_ERRORS = 5  # a minute with at least this many errors ...
BURST_MIN_RATE = 0.10  # ... that are at least 10 % of its requests is part of an error burst
_PATH_CACHE_MAX = 50_000

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_HEX = re.compile(r"^[0-9a-fA-F]{16,}$")
_TOKEN = re.compile(r"^(?=.*\d)[A-Za-z0-9_\-]{20,}$")
_path_cache: dict[str, str] = {}


def normalise_path(path: str | None) -> str:
    """`/users/123/posts/9f1c…?page=2` -> `/users/:id/posts/:uuid` (ids, uuids, hashes, tokens; no query)."""
    if not path:
        return "(none)"
    cached = _path_cache.get(path)
    if cached is not None:
        return cached
    bare = path.split("?", 1)[0].split("#", 1)[0] or "/"
    parts = []
    for segment in bare.split("/"):
        if segment.isdigit():
            segment = ":id"
        elif len(segment) >= 16 and (_UUID.match(segment) or _HEX.match(segment)):
            segment = ":uuid" if "-" in segment else ":hash"
        elif len(segment) >= 20 and _TOKEN.match(segment):
            segment = ":token"
        parts.append(segment)
    result = truncate("/".join(parts), 120) or "/"
    if len(_path_cache) >= _PATH_CACHE_MAX:
        _path_cache.clear()
    _path_cache[path] = result
    return result


def percentile(ordered: list[int], fraction: float) -> int | None:
    """Nearest-rank percentile of an already sorted list."""
    if not ordered:
        return None
    rank = max(1, -(-int(fraction * 1000) * len(ordered) // 1000))  # ceil(fraction * n)
    return ordered[min(rank, len(ordered)) - 1]


def latency(values: list[int]) -> Latency:
    values.sort()
    if not values:
        return Latency()
    return Latency(count=len(values), p50=percentile(values, 0.5), p95=percentile(values, 0.95),
                   p99=percentile(values, 0.99), max=values[-1])


_utc_cache: dict[str, str] = {}


def utc(ts: str) -> str:
    """An ISO timestamp as a UTC string that sorts correctly (`2024-05-01T12:00:01`)."""
    if ts.endswith("+00:00") or ts.endswith("Z"):
        return ts[:19]
    cached = _utc_cache.get(ts)
    if cached is None:
        try:
            parsed = datetime.fromisoformat(ts.replace("Z", "+00:00"))
            if parsed.tzinfo is not None:
                parsed = parsed.astimezone(UTC)
            cached = parsed.strftime("%Y-%m-%dT%H:%M:%S")
        except ValueError:
            cached = ts[:19]
        if len(_utc_cache) < 10_000:
            _utc_cache[ts] = cached
    return cached


def _minutes_between(earlier: str, later: str) -> float | None:
    """Minutes from one timestamp to another; None when either is not a valid ISO time (never raises:
    the parser accepts Unicode digits that `fromisoformat` refuses)."""
    try:
        a = datetime.fromisoformat(earlier[:19])
        b = datetime.fromisoformat(later[:19])
    except ValueError:
        return None
    return round((b - a).total_seconds() / 60, 1)


def find_bursts(timeline: list[MinuteBucket], releases: list[ReleaseRef]) -> list[ErrorBurst]:
    """Runs of consecutive minutes with many errors, each tied to the last release before it."""
    bursts: list[ErrorBurst] = []
    current: ErrorBurst | None = None
    previous_minute: str | None = None
    ordered = sorted(releases, key=lambda r: r.at)
    for b in timeline:
        hot = b.errors >= BURST_MIN_ERRORS and (b.requests == 0 or b.errors / b.requests >= BURST_MIN_RATE)
        if not hot:
            continue
        gap = _minutes_between(previous_minute, b.minute) if current is not None and previous_minute is not None else None
        contiguous = gap is not None and gap <= 1
        if contiguous:
            current.end = b.minute
            current.errors += b.errors
            for code, n in b.codes.items():
                current.codes[code] = current.codes.get(code, 0) + n
        else:
            current = ErrorBurst(start=b.minute, end=b.minute, errors=b.errors, codes=dict(b.codes))
            bursts.append(current)
        previous_minute = b.minute
    for burst in bursts:
        before = [r for r in ordered if r.at[:16] <= burst.start]
        if before:
            burst.after_release = before[-1]
            gap = _minutes_between(before[-1].at, burst.start)
            burst.minutes_after_release = max(0.0, gap) if gap is not None else None
    return bursts[-10:]


def unique_releases(refs: list[ReleaseRef]) -> list[ReleaseRef]:
    """Oldest first, one entry per release version (the log and the API can both name it)."""
    seen: set[tuple] = set()
    out = []
    for ref in sorted(refs, key=lambda r: r.at):
        key = (ref.kind, ref.version) if ref.version is not None else (ref.kind, ref.at)
        if key not in seen:
            seen.add(key)
            out.append(ref)
    return out


def path_stat(p: PathTally) -> PathStat:
    values = sorted(p.service)
    return PathStat(path=p.key, requests=p.requests, errors=p.errors, error_rate=round(p.errors / p.requests, 4),
                    p50_ms=percentile(values, 0.5), p95_ms=percentile(values, 0.95),
                    max_ms=values[-1] if values else None, codes=dict(p.codes.most_common(5)))


def minute_bucket(minute: str, b: MinuteTally) -> MinuteBucket:
    return MinuteBucket(minute=minute, requests=b.requests, errors=b.errors, codes=dict(b.codes.most_common(5)),
                        p95_service_ms=percentile(sorted(b.service), 0.95))


def code_count(code: str, n: int, by_path: Counter[str] | None, sock: Counter[str] | None) -> CodeCount:
    info = CODES.get(code)
    return CodeCount(
        code=code, count=n,
        title=info.title if info else "unknown code",
        level=info.level if info else "error",
        meaning=info.meaning if info else "Not in Heroku's published error-code list.",
        first_action=info.first_action if info else "Search Heroku Dev Center and status for this code.",
        top_paths=[p for p, _ in by_path.most_common(3)] if by_path else [],
        sock=dict(sock) if sock else {},
    )
