"""Cache hit rates, which the index and table checks both judge: the SQL, the limits and the finding."""

from __future__ import annotations

from typing import Any

from mcp_servers.common.results import Finding
from mcp_servers.postgres.checks.base import Limits
from mcp_servers.postgres.checks.grading import all_clear, level

__all__ = ["HitRateLimits", "hit_rate_finding", "hit_rate_sql"]


def hit_rate_sql(prefix: str) -> str:
    """Database-wide hits and reads of `heap_blks` or `idx_blks` (pg_statio_user_tables), plus the 10
    tables reading the most blocks from disk. `prefix` is one of our two constants, never user input."""
    assert prefix in ("heap_blks", "idx_blks")
    return f"""
WITH t AS (
  SELECT schemaname AS schema, relname AS table, coalesce({prefix}_hit, 0) AS hit, coalesce({prefix}_read, 0) AS read
  FROM pg_statio_user_tables
)
SELECT sum(hit)::bigint AS hit, sum(read)::bigint AS read,
       (SELECT coalesce(json_agg(w), '[]') FROM (
          SELECT schema, "table", hit, read, round(hit::numeric / nullif(hit + read, 0), 4)::float8 AS hit_rate
          FROM t WHERE read > 0 ORDER BY read DESC LIMIT 10) w) AS worst
FROM t
"""


class HitRateLimits(Limits):
    # pg:diagnose (red) and PgHero cache_hit_rate_threshold: 99 %.
    yellow_below: float = 0.99
    # Postgres MCP Pro's alarm level: 95 %; below it we call it red.
    red_below: float = 0.95
    # Fewer block requests than this say nothing about the working set (our choice).
    min_blocks: int = 1000


def hit_rate_finding(what: str, rows: list[dict[str, Any]], limits: HitRateLimits) -> Finding:
    """Judge `sum(hit) / sum(hit + read)` from a one-row result with `hit`, `read` and `worst` (json list)."""
    row = rows[0] if rows else {"hit": 0, "read": 0, "worst": []}
    hit, read = int(row["hit"] or 0), int(row["read"] or 0)
    worst = row.get("worst") or []
    threshold = f"yellow < {limits.yellow_below:.1%}, red < {limits.red_below:.1%}"
    if hit + read < limits.min_blocks:
        return all_clear(
            summary=f"too few {what} block requests to judge ({hit + read})",
            threshold=threshold, reason=f"fewer than {limits.min_blocks} {what} block requests since the statistics reset",
        )
    rate = hit / (hit + read)
    status = level(rate, limits.yellow_below, limits.red_below, below=True)
    return Finding(
        status=status, summary=f"{what} cache hit rate {rate:.2%} ({read} of {hit + read} blocks read from disk)",
        value=round(rate, 4), threshold=threshold, rows=worst if status != "green" else [],
    )
