"""Result models of a log analysis: small aggregates only (capped lists, no raw log text)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from mcp_servers.app_diagnostics.logs.pg_service import PgServiceSummary
from mcp_servers.common.results import Finding

__all__ = [
    "AddonHealth", "CodeCount", "DynoHealth", "ErrorBurst", "ErrorCodeInfo", "Latency", "LogAnalysis",
    "MinuteBucket", "ParseStats", "PathStat", "ReleaseRef", "StatusCount",
]


class ErrorCodeInfo(BaseModel):
    """One Heroku error code explained: what it means, why it happens, what to check."""

    code: str
    title: str
    kind: str = Field(description="router (H), runtime (R) or logging (L)")
    level: str = Field(description="the at= level the router logs it with: error, warning or info")
    http_status: int | None = None
    meaning: str
    likely_causes: list[str]
    first_action: str
    next_checks: list[str]
    retired: bool = False
    note: str | None = None


class CodeCount(BaseModel):
    code: str
    count: int
    title: str
    level: str
    meaning: str
    first_action: str
    top_paths: list[str] = Field(default_factory=list, description="normalised paths with the most of this code")
    sock: dict[str, int] = Field(default_factory=dict, description="client/backend split (H13, H18, H27)")


class StatusCount(BaseModel):
    status: int
    count: int


class Latency(BaseModel):
    """Router-measured milliseconds (nearest-rank percentiles) over the lines that carried the field."""

    count: int = 0
    p50: int | None = None
    p95: int | None = None
    p99: int | None = None
    max: int | None = None


class PathStat(BaseModel):
    path: str = Field(description="METHOD and path with ids normalised (/users/123 -> /users/:id), no query string")
    requests: int
    errors: int
    error_rate: float
    p50_ms: int | None
    p95_ms: int | None
    max_ms: int | None
    codes: dict[str, int] = Field(default_factory=dict)


class MinuteBucket(BaseModel):
    minute: str = Field(description="UTC minute, YYYY-MM-DDTHH:MM")
    requests: int = 0
    errors: int = Field(0, description="5xx or error-level router lines, plus R errors and crashes")
    codes: dict[str, int] = Field(default_factory=dict)
    p95_service_ms: int | None = None


class DynoHealth(BaseModel):
    dyno: str
    last_state: str | None = None
    crashes: int = 0
    exits: dict[str, int] = Field(default_factory=dict, description="exit status -> count")
    runtime_errors: dict[str, int] = Field(default_factory=dict, description="R code -> count")
    memory_max_mb: float | None = None
    memory_last_mb: float | None = None
    memory_quota_mb: float | None = Field(None, description="from sample#memory_quota or derived from an R14/R15 percentage")
    memory_max_pct: float | None = None
    load_avg_1m_max: float | None = None
    swap_max_mb: float | None = Field(None, description="from sample#memory_swap (log-runtime-metrics)")


class AddonHealth(BaseModel):
    service: str
    source: str | None
    samples: int
    latest: dict[str, float] = Field(description="the last sample of each metric")
    max_active_connections: float | None = None
    max_waiting_connections: float | None = None


class ReleaseRef(BaseModel):
    kind: str
    version: int | None
    at: str
    by: str | None = None


class ErrorBurst(BaseModel):
    start: str
    end: str
    errors: int
    codes: dict[str, int]
    after_release: ReleaseRef | None = None
    minutes_after_release: float | None = None


class ParseStats(BaseModel):
    lines: int
    understood: int
    not_understood: int
    by_kind: dict[str, int]
    not_understood_samples: list[str] = Field(default_factory=list, description="a few redacted, truncated examples")


class LogAnalysis(BaseModel):
    """What the log lines say: error codes, statuses, latency, paths, timeline, dynos, add-ons, releases."""

    source: str = Field(description="where the lines came from: 'log session of <app>' or 'pasted text'")
    notes: list[str] = Field(default_factory=list, description="how the lines were read, e.g. a stream cut short")
    window_start: str | None
    window_end: str | None
    parse: ParseStats
    requests: int
    error_rate: float = Field(description="share of router requests with a 5xx or error-level code")
    findings: list[Finding]
    codes: list[CodeCount]
    statuses: list[StatusCount]
    service: Latency
    connect: Latency
    slowest_paths: list[PathStat]
    failing_paths: list[PathStat]
    timeline: list[MinuteBucket]
    timeline_truncated: bool = False
    dynos: list[DynoHealth]
    addons: list[AddonHealth]
    postgres_logs: PgServiceSummary | None = Field(None, description="Heroku Postgres service logs (app[postgres.N]) by kind")
    logplex: dict[str, int] = Field(default_factory=dict, description="L code -> count")
    logplex_dropped: int = 0
    releases: list[ReleaseRef]
    bursts: list[ErrorBurst]
