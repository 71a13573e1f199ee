"""Log excerpts in which Heroku itself reports trouble: Postgres and Redis metrics, dyno runtime metrics and
Postgres service logs, mixed into ordinary router and app traffic.

The line shapes follow Heroku Dev Center ("Heroku Postgres Metrics Logs", "Heroku Data for Redis Metrics
Logs", "Log Runtime Metrics", "Understanding Heroku Postgres Log Statements and Common Errors"); the
values are invented. `excerpt(sick=...)` starts from a healthy app (normal metrics, 2xx traffic, routine
checkpoint and autovacuum lines) and turns on the named problems only, so a test can check that each
problem is flagged and nothing else is. `PATTERNS` maps each problem to the finding it must raise.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from log_generator import router_line

__all__ = ["METRIC_PATTERNS", "PATTERNS", "SERVICE_LOG_PATTERNS", "T0", "excerpt", "sick_excerpt"]

T0 = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)
HOST = "busy-shop-8d1e2f3a4b5c.herokuapp.com"
PG_SOURCE = "DATABASE addon=postgresql-silent-90210"
REDIS_SOURCE = "REDIS addon=redis-cubic-31337"
GB_KB = 1048576  # memory-total and friends are in kB
STANDARD_0_KB = 4 * GB_KB  # standard-0: 2 vCPU, 4 GB, 120 connections, 3000 IOPS

# problem -> the finding (check) that must flag it
METRIC_PATTERNS = {
    "pg_load": "pg_load", "pg_iops": "pg_iops", "pg_memory": "pg_memory", "pg_connections": "pg_connections",
    "pg_waiting": "pg_waiting_connections", "pg_tmp_disk": "pg_tmp_disk", "pg_wal": "pg_wal",
    "pg_db_size": "pg_db_size", "pg_cache": "pg_cache_hit",
    "redis_connections": "redis_connections", "redis_evictions": "redis_evicted_keys", "redis_memory": "redis_memory",
    "redis_load": "redis_load", "dyno_load": "dyno_load", "dyno_memory": "dyno_memory_sustained", "dyno_swap": "dyno_swap",
    "dyno_memory_trend": "dyno_memory_trend",
}
SERVICE_LOG_PATTERNS = {
    "too_many_connections": "postgres_log_too_many_connections", "deadlock": "postgres_log_deadlock",
    "statement_timeout": "postgres_log_statement_timeout", "slow_statement": "postgres_log_slow_statement",
    "temp_file": "postgres_log_temp_file", "checkpoints": "postgres_log_checkpoints_too_frequent",
}
PATTERNS = {**METRIC_PATTERNS, **SERVICE_LOG_PATTERNS}


def _ts(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f") + "+00:00"


def _pg_metrics(moment: datetime, i: int, sick: set[str], rng: random.Random) -> str:
    total = STANDARD_0_KB
    used_kb = total * (0.97 if "pg_memory" in sick else 0.18)
    cached = total * 0.02 if "pg_memory" in sick else total * 0.7
    free = total - used_kb - cached
    iops_used = 0.99 if "pg_iops" in sick else rng.uniform(0.02, 0.08)
    conns = 114 if "pg_connections" in sick else rng.randint(10, 30)
    tmp_used = 72 * 1024**3 if "pg_tmp_disk" in sick else 543_633_408
    samples = {
        "current_transaction": 18_734_000 + i * 40, "db_size": "21474836480bytes",
        "db-size-percentage-used": 0.97 if "pg_db_size" in sick else 0.33, "tables": 61,
        "active-connections": conns, "waiting-connections": rng.randint(3, 9) if "pg_waiting" in sick else 0,
        "max-connections": 120, "connections-percentage-used": round(conns / 120, 5),
        "index-cache-hit-rate": 0.91 if "pg_cache" in sick else round(rng.uniform(0.995, 0.9999), 5),
        "table-cache-hit-rate": 0.93 if "pg_cache" in sick else round(rng.uniform(0.992, 0.9999), 5),
        "load-avg-1m": 12.5 if "pg_load" in sick else round(rng.uniform(0.1, 0.9), 3),
        "load-avg-5m": 11.9 if "pg_load" in sick else 0.4, "load-avg-15m": 10.2 if "pg_load" in sick else 0.35,
        "read-iops": round(iops_used * 3000 * 0.7, 2), "write-iops": round(iops_used * 3000 * 0.3, 2),
        "max-iops": 3000, "iops-percentage-used": round(iops_used, 5),
        "tmp-disk-used": tmp_used, "tmp-disk-available": 73 * 1024**3 - tmp_used + 1024**2,
        "memory-total": f"{total}kB", "memory-free": f"{free:.0f}kB",
        "memory-percentage-used": round((total - free) / total, 5), "memory-cached": f"{cached:.0f}kB",
        "memory-postgres": f"{used_kb * 0.6:.0f}kB", "wal-percentage-used": 0.91 if "pg_wal" in sick else 0.07,
    }
    fields = " ".join(f"sample#{k}={v}" for k, v in samples.items())
    return f"{_ts(moment)} app[heroku-postgres]: source={PG_SOURCE} {fields}"


def _redis_metrics(moment: datetime, sick: set[str], rng: random.Random) -> str:
    conns = 40 if "redis_connections" in sick else rng.randint(4, 12)
    samples = {
        "active-connections": conns, "max-connections": 40, "connection-percentage-used": round(conns / 40, 5),
        "load-avg-1m": 1.6 if "redis_load" in sick else round(rng.uniform(0.02, 0.2), 3),
        "load-avg-5m": 0.1, "load-avg-15m": 0.1, "read-iops": 0, "write-iops": round(rng.uniform(1, 60), 3),
        "memory-total": "16041732kB", "memory-free": "12639520kB", "memory-cached": "1911724kB",
        "memory-percentage-used": 0.97 if "redis_memory" in sick else 0.21,
        "memory-redis": "343477584bytes", "hit-rate": round(rng.uniform(0.85, 0.97), 4),
        "evicted-keys": 50_000 if "redis_evictions" in sick else 0,
    }
    fields = " ".join(f"sample#{k}={v}" for k, v in samples.items())
    return f"{_ts(moment)} app[heroku-redis]: source={REDIS_SOURCE} {fields}"


def _runtime_metrics(moment: datetime, dyno: str, k: int, sick: set[str], rng: random.Random) -> list[str]:
    quota = 512.0
    if "dyno_memory_trend" in sick and dyno == "web.1":
        total = 250 + 6 * k  # a steady leak: 6 MB per 20 s sample, still under 85 % of the quota
    else:
        total = quota * (0.95 if "dyno_memory" in sick and dyno == "web.1" else rng.uniform(0.35, 0.55))
    swap = 40.0 if "dyno_swap" in sick and dyno == "web.1" else 0.0
    load = 3.4 if "dyno_load" in sick and dyno == "web.1" else rng.uniform(0.05, 0.6)
    run = f"heroku.6171814.0b8e1c5d-{dyno.replace('.', '')}-4a5b-9c8d-1e2f3a4b5c6d"
    return [
        f"{_ts(moment)} heroku[{dyno}]: source={dyno} dyno={run} sample#load_avg_1m={load:.2f} "
        f"sample#load_avg_5m={load * 0.9:.2f} sample#load_avg_15m={load * 0.8:.2f}",
        f"{_ts(moment)} heroku[{dyno}]: source={dyno} dyno={run} sample#memory_total={total:.2f}MB "
        f"sample#memory_rss={total - swap:.2f}MB sample#memory_cache=0.00MB sample#memory_swap={swap:.2f}MB "
        f"sample#memory_pgpgin={rng.randint(100000, 900000)}pages sample#memory_pgpgout={rng.randint(100000, 900000)}pages "
        f"sample#memory_quota={quota:.2f}MB",
    ]


def _pg_log(moment: datetime, n: int, parts: Iterable[tuple[str, str, str]], *, fields: bool) -> list[str]:
    """One Postgres service message as `[n-m]` lines; `fields` gives the newer key="value" format."""
    out = []
    for m, (code, level, text) in enumerate(parts, start=1):
        extra = (f'time_ms = "{moment:%Y-%m-%d %H:%M:%S}.{m:03d} UTC" pid="{4000 + n}" proc_start_time="{moment:%Y-%m-%d} '
                 f'13:00:00 UTC" session_id="6744a1b5.{n:x}" vtid="3/{n}" tid="0" log_line="{m}" database="d8f3k2" '
                 'connection_source="10.1.22.7(51234)" user="u4kq9" application_name="puma: cluster worker 0" ') if fields else ""
        out.append(f"{_ts(moment)} app[postgres.2211009]: [DATABASE] [{n}-{m}] sql_error_code = {code} {extra}{level}:  {text}")
    return out


def _service_logs(moment: datetime, n: int, kind: str) -> list[str]:
    fields = n % 2 == 0  # half in each format
    messages = {
        "too_many_connections": [("53300", "FATAL", 'too many connections for role "u4kq9"')],
        "deadlock": [("40P01", "ERROR", "deadlock detected"),
                     ("40P01", "DETAIL", "Process 4242 waits for ShareLock on transaction 991; blocked by process 4243."),
                     ("40P01", "HINT", "See server log for query details."),
                     ("40P01", "STATEMENT", "UPDATE accounts SET balance = balance - 100 WHERE id = 17")],
        "statement_timeout": [("57014", "ERROR", "canceling statement due to statement timeout"),
                              ("57014", "STATEMENT", "SELECT * FROM orders WHERE customer_email = 'ann@example.com' ORDER BY created_at")],
        "slow_statement": [("00000", "LOG", "duration: 4523.118 ms  statement: SELECT count(*) FROM line_items WHERE sku LIKE '%42%'")],
        "temp_file": [("00000", "LOG", 'temporary file: path "base/pgsql_tmp/pgsql_tmp4242.7", size 268435456'),
                      ("00000", "STATEMENT", "SELECT customer_id, sum(total) FROM orders GROUP BY customer_id ORDER BY 2 DESC")],
        "checkpoints": [("00000", "LOG", "checkpoints are occurring too frequently (9 seconds apart)"),
                        ("00000", "HINT", 'Consider increasing the configuration parameter "max_wal_size".')],
        "routine": [("00000", "LOG", "checkpoint starting: time")],
        "routine_done": [("00000", "LOG", "checkpoint complete: wrote 412 buffers (2.5%); 0 WAL file(s) added, 0 removed, "
                                          "1 recycled; write=41.2 s, sync=0.004 s, total=41.3 s")],
        "autovacuum": [("00000", "LOG", 'automatic vacuum of table "d8f3k2.public.sessions": index scans: 1 pages: 0 removed, '
                                        "412 remain; tuples: 1200 removed, 8800 remain; system usage: CPU: user: 0.05 s, "
                                        "system: 0.01 s, elapsed: 0.21 s")],
    }
    return _pg_log(moment, n, messages[kind], fields=fields)


_PATHS = [("GET", "/", 12), ("GET", "/products", 40), ("GET", "/products/91", 28), ("POST", "/cart", 55),
          ("GET", "/api/v2/orders?page=3", 70), ("GET", "/healthz", 2)]


def excerpt(lines: int = 600, *, sick: Iterable[str] = (), seed: int = 11, drain_format: bool = False) -> list[str]:
    """About `lines` lines over ~10 minutes: 2xx router traffic and app output on two web dynos and a
    worker, Postgres and Redis metrics every 60 s, runtime metrics every 20 s, routine Postgres lines,
    and each problem in `sick` (keys of `PATTERNS`). `drain_format` writes RFC 5424 drain lines."""
    sick = set(sick)
    unknown = sick - PATTERNS.keys()
    if unknown:
        raise ValueError(f"unknown problems {sorted(unknown)}; known: {sorted(PATTERNS)}")
    rng = random.Random(seed)
    out: list[str] = []
    step = 1.0  # seconds per ordinary line
    service_kinds = [k for k in SERVICE_LOG_PATTERNS if k in sick]
    n = 10
    i = 0
    while len(out) < lines:
        moment = T0 + timedelta(seconds=i * step)
        if i % 60 == 0:
            out.append(_pg_metrics(moment, i, sick, rng))
            out.append(_redis_metrics(moment + timedelta(milliseconds=300), sick, rng))
            kind = service_kinds[(i // 60) % len(service_kinds)] if service_kinds else ("routine" if i % 120 else "autovacuum")
            for k in {kind, *service_kinds} if i % 180 == 0 else {kind}:
                n += 1
                out += _service_logs(moment + timedelta(milliseconds=500), n, k)
            if not service_kinds:
                n += 1
                out += _service_logs(moment + timedelta(seconds=40), n, "routine_done")
        if i % 20 == 0:
            for dyno in ("web.1", "web.2", "worker.1"):
                out += _runtime_metrics(moment, dyno, i // 20, sick, rng)
        roll = rng.random()
        dyno = rng.choice(["web.1", "web.2"])
        if roll < 0.15:
            out.append(f"{_ts(moment)} app[worker.1]: [sidekiq] OrderMailerJob JID-{rng.getrandbits(48):012x} done: "
                       f"{rng.uniform(0.01, 0.9):.3f} sec")
        elif roll < 0.3:
            out.append(f"{_ts(moment)} app[{dyno}]: I, [{moment:%Y-%m-%dT%H:%M:%S}.000 #{rng.randint(10, 99)}]  INFO -- : "
                       f"Completed 200 OK in {rng.randint(3, 90)}ms")
        else:
            method, path, base = rng.choice(_PATHS)
            out.append(router_line(moment, rng, HOST, dyno=dyno, method=method, path=path,
                                   service_ms=max(1, int(rng.lognormvariate(0, 0.4) * base)),
                                   status=rng.choice([200, 200, 200, 200, 201, 302, 304])))
        i += 1
    out = out[:lines]
    return [_as_drain(line) for line in out] if drain_format else out


def sick_excerpt(lines: int = 900, seed: int = 11) -> list[str]:
    """Every problem at once: what the fake Platform API serves with `log_source = saturated_logs`."""
    return excerpt(lines, sick=PATTERNS.keys() - {"dyno_memory_trend"}, seed=seed)


def _as_drain(line: str) -> str:
    """`TS source[proc]: msg` as the RFC 5424 line a log drain receives (`<134>1 TS host source proc - msg`)."""
    ts, rest = line.split(" ", 1)
    head, message = rest.split(": ", 1)
    source, proc = head[:-1].split("[", 1)
    framed = f"<134>1 {ts} host {source} {proc} - {message}"
    return f"{len(framed)} {framed}"
