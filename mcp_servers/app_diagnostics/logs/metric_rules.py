"""Thresholds for the metrics Heroku writes into an app's log stream, each beside the page it comes from.

Pages (Heroku Dev Center):
- DOC_PG_METRICS    "Heroku Postgres Metrics Logs": the `sample#` names; `*-percentage-used` values are fractions
                    (0.46 = 46 %); emitted for Standard and Premium plans, not Essential, not on Fir.
- DOC_PG_MONITOR    "Monitoring Heroku Postgres": which metrics to alert on (load, IOPS, memory, connections,
                    temp disk, WAL, size, cache hit).
- DOC_PG_PLANS      "Heroku Postgres Production Tier Technical Characterization": vCPUs, RAM and connection
                    limit per plan (standard-0 2 vCPU / 4 GB / 120 connections ... standard-10 128 vCPU / 1 TB).
- DOC_PG_DIAGNOSE   `pg:diagnose` Connection Count: yellow at 75 %, red at 90 % of the plan's limit (its public
                    server code); "Understanding Heroku Postgres Data Caching": cache hit rates should stay >= 99 %.
- DOC_REDIS_METRICS "Heroku Data for Redis Metrics Logs": active-connections, max-connections,
                    connection-percentage-used, load-avg-1m, memory-percentage-used, hit-rate, evicted-keys.
- DOC_RUNTIME       "Log Runtime Metrics" and "Dyno Types": memory_total/rss/swap/quota in MB, load_avg_1m;
                    R14 fires once a dyno exceeds its quota and swaps, R15 at a multiple of it (2x on shared
                    dynos); Performance sizes have 2 (M) to 16 (2XL) dedicated vCPUs.
Where a page names the metric but no number, the cut-off is ours and the comment says so.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "DOC_PG_DIAGNOSE", "DOC_PG_METRICS", "DOC_PG_MONITOR", "DOC_PG_PLANS", "DOC_REDIS_METRICS", "DOC_RUNTIME",
    "DYNO_RULES", "DYNO_VCPUS", "MIN_SUSTAINED_SAMPLES", "POSTGRES_PLAN_VCPUS", "POSTGRES_RULES", "R14_HORIZON_MIN",
    "REDIS_RULES", "MetricRule",
]

DEVCENTER = "https://devcenter.heroku.com/articles/"
DOC_PG_METRICS = DEVCENTER + "heroku-postgres-metrics-logs"
DOC_PG_MONITOR = DEVCENTER + "monitoring-heroku-postgres"
DOC_PG_PLANS = DEVCENTER + "heroku-postgres-production-tier-technical-characterization"
DOC_PG_DIAGNOSE = DEVCENTER + "heroku-postgres-performance-analytics"
DOC_PG_CACHE = DEVCENTER + "understanding-postgres-data-caching"
DOC_REDIS_METRICS = DEVCENTER + "heroku-redis-metrics-logs"
DOC_RUNTIME = DEVCENTER + "log-runtime-metrics"
DOC_DYNO_TYPES = DEVCENTER + "dyno-types"
DOC_ERROR_CODES = DEVCENTER + "error-codes"

# A level counts only when at least half of the samples in the window reach it (the median does) or the
# last three all do (`metric_findings.RECENT_RUN`), and a red needs two samples: one sample is a blip, not a state (Postgres and Redis sample about once a minute,
# dynos every 20 s, so the 1500-line buffer of a busy app holds a handful).
MIN_SUSTAINED_SAMPLES = 2
R14_HORIZON_MIN = 60  # warn when the memory trend reaches the quota within this many minutes


@dataclass(frozen=True, slots=True)
class MetricRule:
    """A derived metric (see `metric_findings.derive`) and its cut-offs; `lower_is_worse` for hit rates."""

    check: str
    label: str
    unit: str
    yellow: float
    red: float
    source: str
    remediation: str
    lower_is_worse: bool = False


_UPGRADE = "`heroku addons:upgrade DATABASE heroku-postgresql:<larger plan>`"
POSTGRES_RULES: tuple[MetricRule, ...] = (
    # Load per vCPU: 1.0 means every vCPU busy; the 1x/2x cut-offs are ours (DOC_PG_MONITOR names the metric).
    MetricRule("pg_load", "load average per vCPU", "x", 1.0, 2.0, f"{DOC_PG_MONITOR}; vCPUs: {DOC_PG_PLANS}",
               "Find the CPU-heavy queries: mcp-postgres pg_top_queries and pg_activity, `heroku pg:diagnose`; "
               f"if the load is legitimate, {_UPGRADE}."),
    # IOPS against the plan's provisioned IOPS (max-iops); 80/95 % are ours.
    MetricRule("pg_iops", "IOPS used of the plan's max-iops", "%", 80.0, 95.0, f"{DOC_PG_METRICS}; {DOC_PG_MONITOR}",
               "Reads that miss the cache and large writes use the IOPS: check cache hit rates, add the indexes "
               f"mcp-postgres pg_diagnose suggests; {_UPGRADE} raises max-iops."),
    # Memory used by processes (total - free - cached); memory-percentage-used counts the page cache, which
    # Postgres fills on purpose, so it reads ~95 % on a healthy database. 85/95 % are ours.
    MetricRule("pg_memory", "memory used by processes (page cache excluded)", "%", 85.0, 95.0,
               f"{DOC_PG_METRICS}; {DOC_PG_MONITOR}",
               "Too many connections or large work_mem: pool connections (`heroku pg:connection-pooling:attach`), "
               f"lower work_mem; {_UPGRADE} for more RAM."),
    MetricRule("pg_connections", "connections used of the plan's limit", "%", 75.0, 90.0,
               f"{DOC_PG_DIAGNOSE} (Connection Count: 75 % / 90 %); limits: {DOC_PG_PLANS}",
               "Attach a pooler: `heroku pg:connection-pooling:attach DATABASE --as DATABASE_CONNECTION_POOL` and point "
               "the app at it; lower pool sizes per dyno; mcp-postgres pg_activity shows idle sessions."),
    # Waiting connections: sessions blocked on a lock. Any sustained wait is a problem; 5 for red is ours.
    MetricRule("pg_waiting_connections", "connections waiting on locks", "", 1.0, 5.0, DOC_PG_MONITOR,
               "Sessions wait on locks: run mcp-postgres pg_activity (blocking) while it happens and shorten the "
               "blocking transactions."),
    MetricRule("pg_tmp_disk", "temporary disk used", "%", 75.0, 90.0, f"{DOC_PG_METRICS}; {DOC_PG_MONITOR}",
               "Queries spill sorts and hashes to disk: find them with mcp-postgres pg_top_queries and the "
               "temporary-file lines of the Postgres logs; add indexes or raise work_mem for those queries."),
    # WAL volume: when it fills, Heroku throttles and then stops writes. 75/90 % are ours.
    MetricRule("pg_wal", "WAL volume used", "%", 75.0, 90.0, f"{DOC_PG_METRICS}; {DOC_PG_MONITOR}",
               "WAL piles up faster than it is archived: look for bulk writes or a stuck replication slot "
               "(`SELECT * FROM pg_replication_slots`), then `heroku pg:diagnose`; contact Heroku support if it keeps rising."),
    MetricRule("pg_db_size", "database size of the plan's limit", "%", 90.0, 100.0, f"{DOC_PG_METRICS}; {DOC_PG_MONITOR}",
               f"Delete or archive data (mcp-postgres pg_table_stats lists the largest tables) or {_UPGRADE} "
               "before Heroku enforces the limit."),
    MetricRule("pg_cache_hit", "cache hit rate (lower of index and table)", "", 0.99, 0.95, DOC_PG_CACHE,
               f"The working set no longer fits in RAM: add missing indexes (mcp-postgres pg_diagnose) or {_UPGRADE}.",
               lower_is_worse=True),
)

REDIS_RULES: tuple[MetricRule, ...] = (
    MetricRule("redis_connections", "connections used of the plan's limit", "%", 80.0, 95.0, DOC_REDIS_METRICS,
               "Reuse connections (one pool per process), close idle clients (`heroku redis:timeout --seconds 60`), "
               "or upgrade the Redis plan for a higher limit."),
    # Redis runs commands on one thread: a load above 1 means commands queue. The cut-offs are ours.
    MetricRule("redis_load", "load average", "", 1.0, 2.0, DOC_REDIS_METRICS,
               "Look for slow commands (`heroku redis:cli` then `SLOWLOG GET 10`) such as KEYS or large ranges."),
    MetricRule("redis_memory", "instance memory used", "%", 85.0, 95.0, DOC_REDIS_METRICS,
               "Set TTLs on cache keys, check the maxmemory policy (`heroku redis:maxmemory`), or upgrade the plan."),
    MetricRule("redis_evicted_keys", "keys evicted per sample", "", 1.0, 1000.0, DOC_REDIS_METRICS,
               "Redis is at maxmemory and dropping keys: if it is a cache, expected; if it holds jobs or sessions, "
               "upgrade the plan or set `heroku redis:maxmemory --policy noeviction`."),
)

DYNO_RULES: tuple[MetricRule, ...] = (
    # 100 % is where R14 fires (DOC_RUNTIME); 85 % as the early warning is ours.
    MetricRule("dyno_memory_sustained", "memory of the dyno's quota", "%", 85.0, 100.0, f"{DOC_RUNTIME}; {DOC_ERROR_CODES}",
               "Lower WEB_CONCURRENCY or threads, find what grows (a leak shows as a steady climb), or move to a "
               "larger dyno size (`heroku ps:resize web=standard-2x`)."),
    MetricRule("dyno_swap", "swap in use (MB)", "MB", 1.0, 64.0, f"{DOC_RUNTIME}; {DOC_ERROR_CODES} (R14)",
               "The dyno is over its quota and swapping (R14): lower memory use or resize the dyno."),
    # Load against the size's vCPUs (DYNO_VCPUS); shared sizes count their CPU share. 1x/2x are ours.
    MetricRule("dyno_load", "load average per vCPU (or CPU share)", "x", 1.0, 2.0, f"{DOC_RUNTIME}; {DOC_DYNO_TYPES}",
               "The dyno is CPU-bound: fewer workers per dyno, more dynos (`heroku ps:scale web=+1`), or a "
               "Performance dyno."),
)

# vCPUs per Heroku Postgres plan level, with its RAM in GB (to recognise the plan from memory-total, which
# the metrics carry while the plan name is not). DOC_PG_PLANS, September 2024.
POSTGRES_PLAN_VCPUS: tuple[tuple[str, float, int], ...] = (
    ("0", 4, 2), ("2", 8, 2), ("3", 15.25, 2), ("4", 30.5, 4), ("5", 61, 8), ("6", 122, 16), ("7", 244, 32),
    ("8", 488, 64), ("9", 768, 96), ("10", 1024, 128),
)

# memory_quota (MB) -> (size, vCPUs or CPU share). DOC_DYNO_TYPES: eco/basic/standard-1x 512 MB (1x share),
# standard-2x 1 GB (2x), performance-m 2.5 GB (2), performance-l 14 GB (8), performance-l-ram 30 GB (4),
# performance-xl 62 GB (8), performance-2xl 126 GB (16).
DYNO_VCPUS: dict[int, tuple[str, int]] = {
    512: ("standard-1x (or eco/basic)", 1), 1024: ("standard-2x", 2), 2560: ("performance-m", 2),
    14336: ("performance-l", 8), 30720: ("performance-l-ram", 4), 63488: ("performance-xl", 8),
    129024: ("performance-2xl", 16),
}
