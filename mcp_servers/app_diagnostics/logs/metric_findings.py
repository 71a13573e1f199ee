"""Findings from the metrics Heroku logs for Postgres, Redis and dynos, judged over the whole window.

Each sample line adds one value per metric; a finding's level is the one the median sample reaches
(half the window or more was there) or the one the latest samples all reach (it got there and stayed),
never a single spike (see `metric_rules` and `sustained`).
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from itertools import pairwise

from mcp_servers.app_diagnostics.logs.metric_rules import (
    DOC_RUNTIME,
    DYNO_RULES,
    DYNO_VCPUS,
    MIN_SUSTAINED_SAMPLES,
    POSTGRES_PLAN_VCPUS,
    POSTGRES_RULES,
    R14_HORIZON_MIN,
    REDIS_RULES,
    MetricRule,
)
from mcp_servers.common.results import Finding

RECENT_RUN = 3  # the last this many samples all at a level: the state now, even if the window began fine

__all__ = ["Series", "addon_findings", "dyno_findings", "pg_vcpus", "sustained"]

Series = dict[str, list[float]]  # sample name -> values in arrival order
Derive = Callable[[Series], list[float]]


def _pct(part: str, whole: str) -> Derive:
    def derive(s: Series) -> list[float]:
        return [100 * p / w for p, w in zip(s.get(part, ()), s.get(whole, ()), strict=False) if w > 0]
    return derive


def _fraction(name: str) -> Derive:
    return lambda s: [100 * v for v in s.get(name, ())]


def _first(*derives: Derive) -> Derive:
    def derive(s: Series) -> list[float]:
        for d in derives:
            values = d(s)
            if values:
                return values
        return []
    return derive


def _pg_memory(s: Series) -> list[float]:
    rows = zip(s.get("memory-total", ()), s.get("memory-free", ()), s.get("memory-cached", ()), strict=False)
    return [100 * (total - free - cached) / total for total, free, cached in rows if total > 0]


def _iops(s: Series) -> list[float]:
    rows = zip(s.get("read-iops", ()), s.get("write-iops", ()), s.get("max-iops", ()), strict=False)
    return [100 * (r + w) / m for r, w, m in rows if m > 0]


def _tmp_disk(s: Series) -> list[float]:
    rows = zip(s.get("tmp-disk-used", ()), s.get("tmp-disk-available", ()), strict=False)
    return [100 * used / (used + free) for used, free in rows if used + free > 0]


def _cache_hit(s: Series) -> list[float]:
    index, table = s.get("index-cache-hit-rate", []), s.get("table-cache-hit-rate", [])
    if index and table:
        return [min(i, t) for i, t in zip(index, table, strict=False)]
    return index or table


def pg_vcpus(s: Series) -> tuple[int, str] | None:
    """vCPUs of the database's plan, recognised from memory-total (kB) against the plans' RAM."""
    totals = s.get("memory-total")
    if not totals:
        return None
    gb = totals[-1] / 1048576
    level, ram, vcpus = min(POSTGRES_PLAN_VCPUS, key=lambda plan: abs(plan[1] - gb))
    if abs(ram - gb) > ram * 0.25:
        return None  # no plan has about this much RAM: better no ratio than a wrong one
    return vcpus, f"plan level {level} ({ram:g} GB RAM, {vcpus} vCPU)"


def _pg_load(s: Series) -> list[float]:
    plan = pg_vcpus(s)
    return [v / plan[0] for v in s.get("load-avg-1m", ())] if plan else []


_PG_DERIVE: dict[str, Derive] = {
    "pg_load": _pg_load,
    "pg_iops": _first(_fraction("iops-percentage-used"), _iops),
    "pg_memory": _first(_pg_memory, _fraction("memory-percentage-used")),
    "pg_connections": _first(_fraction("connections-percentage-used"), _pct("active-connections", "max-connections")),
    "pg_waiting_connections": lambda s: s.get("waiting-connections", []),
    "pg_tmp_disk": _tmp_disk,
    "pg_wal": _fraction("wal-percentage-used"),
    "pg_db_size": _first(_fraction("db-size-percentage-used"), _pct("db_size", "db-max-size")),
    "pg_cache_hit": _cache_hit,
}
_REDIS_DERIVE: dict[str, Derive] = {
    "redis_connections": _first(_fraction("connection-percentage-used"), _fraction("connections-percentage-used"),
                                _pct("active-connections", "max-connections")),
    "redis_load": lambda s: s.get("load-avg-1m", []),
    "redis_memory": _fraction("memory-percentage-used"),
    "redis_evicted_keys": lambda s: s.get("evicted-keys", []),
}


def sustained(values: Sequence[float], rule: MetricRule) -> tuple[str, float, float]:
    """(status, typical, worst) of a series. The level is the worse of the one the median reaches (half
    the window) and the one every one of the last `RECENT_RUN` samples reaches (it got there and stayed);
    red needs two samples or more. `typical` is the median, or the mildest recent value when that decided."""
    worst = min(values) if rule.lower_is_worse else max(values)

    def level(value: float) -> int:
        def reaches(limit: float) -> bool:
            return value < limit if rule.lower_is_worse else value >= limit
        return 2 if reaches(rule.red) else 1 if reaches(rule.yellow) else 0

    median = statistics.median(values)
    recent = values[-RECENT_RUN:]
    mildest_recent = max(recent) if rule.lower_is_worse else min(recent)
    rank, typical = level(median), median
    if len(recent) == RECENT_RUN and level(mildest_recent) > rank:
        rank, typical = level(mildest_recent), mildest_recent
    if rank == 2 and len(values) < MIN_SUSTAINED_SAMPLES:
        rank = 1
    return ("green", "yellow", "red")[rank], typical, worst


def _fmt(value: float, unit: str) -> str:
    if unit == "%":
        return f"{value:.1f}%"
    if unit == "x":
        return f"{value:.2f}x"
    return f"{value:g}{' ' + unit if unit else ''}"


def _judge(prefix: str, rules: tuple[MetricRule, ...], derives: dict[str, Derive], s: Series,
           note: Callable[[str], str] = lambda check: "") -> list[Finding]:
    out = []
    for rule in rules:
        values = derives[rule.check](s)
        if not values:
            continue
        status, median, worst = sustained(values, rule)
        comparison = "below" if rule.lower_is_worse else "at or above"
        out.append(Finding(
            check=rule.check, status=status,
            summary=(f"{prefix}: {rule.label} {_fmt(median, rule.unit)} (typical of {len(values)} sample{'s' if len(values) > 1 else ''}, "
                     f"worst {_fmt(worst, rule.unit)}){note(rule.check)}"),
            value=round(median, 4),
            threshold=(f"yellow {comparison} {_fmt(rule.yellow, rule.unit)}, red {comparison} "
                       f"{_fmt(rule.red, rule.unit)} over the window ({rule.source})"),
            remediation=rule.remediation if status != "green" else None,
            reason="one sample only: re-check over a longer window" if len(values) < MIN_SUSTAINED_SAMPLES else None,
        ))
    return out


def addon_findings(service: str, source: str | None, s: Series) -> list[Finding]:
    """Findings for one Heroku Postgres or Heroku Redis database from its metric samples."""
    name = f"{service} {source}" if source else service
    if service == "heroku-postgres":
        plan = pg_vcpus(s)
        return _judge(name, POSTGRES_RULES, _PG_DERIVE, s,
                      lambda check: f", {plan[1]} recognised from memory-total" if check == "pg_load" and plan else "")
    if service == "heroku-redis":
        return _judge(name, REDIS_RULES, _REDIS_DERIVE, s)
    return []


def _dyno_load(s: Series) -> list[float]:
    size = _dyno_size(s)
    return [v / size[1] for v in s.get("load_avg_1m", ())] if size else []


def _dyno_size(s: Series) -> tuple[str, int] | None:
    quota = s.get("memory_quota")
    return DYNO_VCPUS.get(round(quota[-1])) if quota else None


_DYNO_DERIVE: dict[str, Derive] = {
    "dyno_memory_sustained": _pct("memory_total", "memory_quota"),
    "dyno_swap": lambda s: s.get("memory_swap", []),
    "dyno_load": _dyno_load,
}


def dyno_findings(dyno: str, s: Series, times: Sequence[float]) -> list[Finding]:
    """Memory, swap and load of one dyno over the window, and when its memory trend meets the quota.

    `times` are the minutes (from the window's start) of the memory samples, for the trend.
    """
    size = _dyno_size(s)
    out = _judge(dyno, DYNO_RULES, _DYNO_DERIVE, s,
                 lambda check: f", {size[0]}" if check == "dyno_load" and size else "")
    eta = _minutes_to_quota(s.get("memory_total", []), s.get("memory_quota", []), times)
    if eta is not None and not any(f.check in ("dyno_memory_sustained", "dyno_swap") and f.status == "red" for f in out):
        out.append(Finding(
            check="dyno_memory_trend", status="yellow",
            summary=f"{dyno}: memory climbs steadily and reaches its quota in about {eta:.0f} min (R14, then R15)",
            value=round(eta, 1), threshold=f"quota reached within {R14_HORIZON_MIN} min at the current rate ({DOC_RUNTIME})",
            remediation="A steady climb is usually a leak: restart buys time (`heroku ps:restart`); find what grows "
                        "per request, or lower WEB_CONCURRENCY.",
        ))
    return out


def _minutes_to_quota(memory: Sequence[float], quota: Sequence[float], times: Sequence[float]) -> float | None:
    """Minutes until a least-squares line through the memory samples reaches the quota, when that is soon."""
    n = min(len(memory), len(times))
    if n < 3 or not quota:
        return None
    xs, ys = times[:n], memory[:n]
    mean_x, mean_y = sum(xs) / n, sum(ys) / n
    spread = sum((x - mean_x) ** 2 for x in xs)
    if spread == 0:
        return None
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread  # MB per minute
    rises = all(b >= a for a, b in pairwise(ys))
    if slope <= 0 or not rises or ys[-1] >= quota[-1]:
        return None
    eta = (quota[-1] - ys[-1]) / slope
    return eta if eta <= R14_HORIZON_MIN else None
