"""Realistic Heroku log lines, as `heroku logs` and a log session's `logplex_url` print them.

Used by the fake Platform API (its log sessions stream these lines), by the log-analysis tests and
by the benchmark. The shapes follow Heroku's Dev Center ("Heroku Error Codes", "HTTP Routing",
"Log Runtime Metrics", Postgres metrics logs); the values are invented.

The default story: an app serves normal traffic, then `Release v<N+1>` goes out, after which slow
requests turn into H12s, web.2 swaps (R14) until it is killed (R15) and crashes, and H13/H10 follow.
Runtime-metrics samples arrive per dyno every ~20 s and Postgres metrics every ~60 s.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

__all__ = [
    "LOGGING_ERRORS", "ROUTER_ERRORS", "RUNTIME_ERRORS", "LogScenario", "error_line", "generate_lines",
    "iter_lines", "router_line",
]

# code -> (at, desc, status, extra fields); statuses as the router logs them ("" when it logs none).
ROUTER_ERRORS: dict[str, tuple[str, str, str, str]] = {
    "H10": ("error", "App crashed", "503", ""),
    "H11": ("error", "Backlog too deep", "503", ""),
    "H12": ("error", "Request timeout", "503", ""),
    "H13": ("error", "Connection closed without response", "503", ""),
    "H14": ("error", "No web processes running", "503", ""),
    "H15": ("error", "Idle connection", "503", ""),
    "H17": ("error", "Poorly formatted HTTP response", "503", ""),
    "H18": ("error", "Server Request Interrupted", "503", "sock=backend"),
    "H19": ("error", "Backend connection timeout", "503", ""),
    "H20": ("error", "App boot timeout", "503", ""),
    "H21": ("error", "Backend connection refused", "503", ""),
    "H22": ("error", "Connection limit reached", "503", ""),
    "H24": ("error", "Forced close", "", ""),
    "H25": ("error", "HTTP restriction: oversized cookie", "502", ""),
    "H26": ("error", "Request Error", "400", 'cause="bad header"'),
    "H27": ("warning", "Client Request Interrupted", "499", "sock=client"),
    "H28": ("warning", "Client Connection Idle", "499", ""),
    "H31": ("error", "Misdirected Request", "421", 'agent="Mozilla/5.0 (compatible; ExampleBot/2.1)"'),
    "H32": ("error", "TLS Certificate Mismatch", "495", ""),
    "H80": ("info", "Maintenance mode", "503", ""),
    "H81": ("info", "Blank app", "503", ""),
    "H82": ("info", "You've used up your dyno hour pool", "503", ""),
    "H83": ("info", "Planned Service Degradation", "503", ""),
    "H99": ("error", "Platform error", "503", ""),
}
# Codes where the router reached no dyno: dyno, connect and service are logged empty.
_NO_DYNO = {"H10", "H11", "H14", "H20", "H22", "H80", "H81", "H82", "H83", "H99", "H31", "H32"}
_SERVICE_MS = {"H12": 30000, "H15": 55000, "H28": 55000, "H19": 0, "H21": 0}
_CONNECT_MS = {"H19": 5001}

RUNTIME_ERRORS: dict[str, str] = {
    "R10": "Error R10 (Boot timeout) -> Web process failed to bind to $PORT within 60 seconds of launch",
    "R12": "Error R12 (Exit timeout) -> At least one process failed to exit within 30 seconds of SIGTERM",
    "R13": "Error R13 (Attach error) -> Failed to attach to process",
    "R14": "Error R14 (Memory quota exceeded)",
    "R15": "Error R15 (Memory quota vastly exceeded)",
    "R16": "Error R16 (Detached) -> An attached process is not responding to SIGHUP after its external connection was closed.",
    "R17": "Error R17 (Checksum error) -> Checksum does not match expected value. Expected: SHA256:1b9e Actual: SHA256:77f0",
    "R99": "Error R99 (Platform error) -> Failed to launch the dyno within 10 minutes",
}

LOGGING_ERRORS: dict[str, tuple[str, str]] = {
    "L10": ("heroku[logplex]", "Error L10 (output buffer overflow): 1024 messages dropped since {since}."),
    "L11": ("heroku[logplex]", "Error L11 (Tail buffer overflow) -> This tail session dropped 1101 messages since {since}."),
    "L12": ("app[log-shuttle]", "Error L12: 222 messages dropped since {since}."),
    "L13": ("app[log-shuttle]", "Error L13: 1 messages lost since {since}."),
    "L14": ("heroku[logplex]", 'Error L14 (certificate validation error): The certificate could not be validated uri="syslog+tls://logs.example.com:6514/"'),
    "L15": ("heroku[logplex]", "Error L15 (tail buffer temporarily unavailable)"),
}

_PATHS = [
    ("GET", "/", 18), ("GET", "/products", 45), ("GET", "/products/42", 31), ("POST", "/cart/items", 62),
    ("GET", "/api/v1/orders?page=2", 88), ("POST", "/checkout", 240), ("GET", "/assets/app-3f2a.js", 4),
    ("GET", "/healthz", 2), ("GET", "/reports/export", 4200), ("POST", "/webhooks/stripe", 35),
]


@dataclass
class LogScenario:
    """The app and the story the lines tell."""

    app: str = "acme-shop"
    host: str = "acme-shop.herokuapp.com"
    start: datetime = field(default_factory=lambda: datetime(2026, 11, 25, 9, 0, tzinfo=UTC))
    web_dynos: int = 2
    worker_dynos: int = 1
    memory_quota_mb: int = 512
    release_version: int = 12
    release_at: float = 0.4  # fraction of the lines after which the release goes out
    seconds_per_line: float = 0.2
    user: str = "deploy@acme.example"


def _ts(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f") + "+00:00"


def router_line(moment: datetime, rng: random.Random, host: str, *, code: str | None = None,
                dyno: str = "web.1", method: str = "GET", path: str = "/", service_ms: int | None = None,
                status: int = 200) -> str:
    """One `heroku[router]` line; `code` makes it an error/warning line with that code."""
    h = f"{rng.getrandbits(128):032x}"
    request_id = f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"
    fwd = f"{rng.randint(1, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
    protocol = "https" if rng.random() < 0.95 else "http"
    if code is None:
        service = service_ms if service_ms is not None else 1
        return (f"{_ts(moment)} heroku[router]: at=info method={method} path=\"{path}\" host={host} "
                f"request_id={request_id} fwd=\"{fwd}\" dyno={dyno} connect={rng.randint(0, 2)}ms "
                f"service={service}ms status={status} bytes={rng.randint(200, 40000)} protocol={protocol}")
    at, desc, code_status, extra = ROUTER_ERRORS[code]
    if code in _NO_DYNO:
        dyno_f, connect, service, nbytes = "", "", "", ""
    else:
        dyno_f = dyno
        connect = f"{_CONNECT_MS.get(code, rng.randint(0, 3))}ms"
        service = f"{_SERVICE_MS.get(code, service_ms if service_ms is not None else rng.randint(1, 900))}ms"
        nbytes = "0"
    sock = ""
    tail = ""
    if extra.startswith("sock="):
        sock = extra + " "
    elif extra:
        tail = " " + extra if extra.startswith("agent=") else ""
    cause = f" {extra}" if extra.startswith("cause=") else ""
    return (f"{_ts(moment)} heroku[router]: {sock}at={at} code={code} desc=\"{desc}\"{cause} method={method} "
            f"path=\"{path}\" host={host} request_id={request_id} fwd=\"{fwd}\" dyno={dyno_f} "
            f"connect={connect} service={service} status={code_status} bytes={nbytes} protocol={protocol}{tail}")


def error_line(code: str, moment: datetime, *, host: str = "acme-shop.herokuapp.com", dyno: str = "web.1",
               seed: int = 0) -> str:
    """One line carrying the H, R or L `code`, for corpora that must cover every code."""
    rng = random.Random(seed)
    if code in ROUTER_ERRORS:
        return router_line(moment, rng, host, code=code, dyno=dyno, path="/checkout", method="POST")
    if code in RUNTIME_ERRORS:
        return f"{_ts(moment)} heroku[{dyno}]: {RUNTIME_ERRORS[code]}"
    source, text = LOGGING_ERRORS[code]
    return f"{_ts(moment)} {source}: {text.format(since=_ts(moment - timedelta(minutes=2)))}"


def _runtime_metrics(moment: datetime, dyno: str, mem_mb: float, quota_mb: int, rng: random.Random,
                     app_num: int) -> list[str]:
    run_id = f"heroku.{app_num}.{uuid.uuid5(uuid.NAMESPACE_URL, dyno)}"
    load = rng.uniform(0.05, 1.8)
    rss = mem_mb * 0.93
    swap = max(0.0, mem_mb - quota_mb)
    return [
        f"{_ts(moment)} heroku[{dyno}]: source={dyno} dyno={run_id} sample#load_avg_1m={load:.2f} "
        f"sample#load_avg_5m={load * 0.8:.2f} sample#load_avg_15m={load * 0.6:.2f}",
        f"{_ts(moment)} heroku[{dyno}]: source={dyno} dyno={run_id} sample#memory_total={mem_mb:.2f}MB "
        f"sample#memory_rss={rss:.2f}MB sample#memory_cache={mem_mb - rss - swap:.2f}MB "
        f"sample#memory_swap={swap:.2f}MB sample#memory_pgpgin={rng.randint(100000, 900000)}pages "
        f"sample#memory_pgpgout={rng.randint(100000, 900000)}pages sample#memory_quota={quota_mb:.2f}MB",
    ]


def _postgres_metrics(moment: datetime, rng: random.Random, connections: int) -> str:
    return (
        f"{_ts(moment)} app[heroku-postgres]: source=DATABASE addon=postgresql-curved-42137 "
        f"sample#current_transaction={rng.randint(100000, 200000)} sample#db_size={rng.randint(80, 90) * 1048576}bytes "
        f"sample#tables=42 sample#active-connections={connections} sample#waiting-connections={rng.randint(0, 2)} "
        f"sample#index-cache-hit-rate={rng.uniform(0.95, 0.999):.5f} sample#table-cache-hit-rate={rng.uniform(0.9, 0.99):.5f} "
        f"sample#load-avg-1m={rng.uniform(0, 1):.3f} sample#load-avg-5m={rng.uniform(0, 1):.3f} "
        f"sample#load-avg-15m={rng.uniform(0, 1):.3f} sample#read-iops={rng.uniform(0, 20):.2f} "
        f"sample#write-iops={rng.uniform(0, 20):.2f} sample#tmp-disk-used=543633408 "
        f"sample#tmp-disk-available=72435159040 sample#memory-total=8038324kB sample#memory-free=5040124kB "
        f"sample#memory-cached=2432636kB sample#memory-postgres=21708kB sample#wal-percentage-used=0.06"
    )


def iter_lines(count: int, scenario: LogScenario | None = None, *, seed: int = 7) -> Iterator[str]:  # noqa: C901 (one branch per scripted event kind)
    """Yield `count` lines telling the scenario's story (deterministic for a seed)."""
    sc = scenario or LogScenario()
    rng = random.Random(seed)
    web = [f"web.{i}" for i in range(1, sc.web_dynos + 1)]
    workers = [f"worker.{i}" for i in range(1, sc.worker_dynos + 1)]
    app_num = 2808254
    release_index = int(count * sc.release_at)
    web2_mem = sc.memory_quota_mb * 0.62
    crashed: set[str] = set()
    next_metrics = 0.0
    next_pg = 0.0
    web1_crash_at = float("inf")
    emitted = 0
    moment = sc.start
    pending: list[str] = []
    i = 0
    while emitted < count:
        if pending:
            yield pending.pop(0)
            emitted += 1
            continue
        moment = sc.start + timedelta(seconds=i * sc.seconds_per_line)
        elapsed = i * sc.seconds_per_line
        after = i >= release_index
        i += 1
        if i - 1 == release_index:
            commit = f"{rng.getrandbits(28):07x}"
            pending += [
                f"{_ts(moment)} app[api]: Deploy {commit} by user {sc.user}",
                f"{_ts(moment)} app[api]: Release v{sc.release_version} created by user {sc.user}",
                f"{_ts(moment)} heroku[web.1]: Restarting",
                f"{_ts(moment)} heroku[web.1]: State changed from up to starting",
                f"{_ts(moment)} heroku[web.1]: Stopping all processes with SIGTERM",
                f"{_ts(moment)} heroku[web.1]: Process exited with status 143",
                f"{_ts(moment)} heroku[web.1]: Starting process with command `bundle exec puma -C config/puma.rb`",
                f"{_ts(moment)} heroku[web.1]: State changed from starting to up",
            ]
            continue
        if elapsed >= web1_crash_at and "web.1" not in crashed:
            crashed.add("web.1")
            pending += [
                f"{_ts(moment)} app[web.1]: /app/lib/report_builder.rb:88: [BUG] Segmentation fault",
                f"{_ts(moment)} heroku[web.1]: Process exited with status 1",
                f"{_ts(moment)} heroku[web.1]: State changed from up to crashed",
            ]
            continue
        if elapsed >= next_metrics:
            next_metrics = elapsed + 20
            for dyno in [d for d in web if d not in crashed] + workers:
                mem = web2_mem if dyno == "web.2" else sc.memory_quota_mb * rng.uniform(0.35, 0.6)
                pending += _runtime_metrics(moment, dyno, mem, sc.memory_quota_mb, rng, app_num)
            if after and "web.2" in web and "web.2" not in crashed:
                web2_mem *= 1.25
                pct = web2_mem / sc.memory_quota_mb * 100
                if pct > 200:
                    pending += [
                        f"{_ts(moment)} heroku[web.2]: Process running mem={web2_mem:.0f}M({pct:.1f}%)",
                        f"{_ts(moment)} heroku[web.2]: {RUNTIME_ERRORS['R15']}",
                        f"{_ts(moment)} heroku[web.2]: Stopping process with SIGKILL",
                        f"{_ts(moment)} heroku[web.2]: Process exited with status 137",
                        f"{_ts(moment)} heroku[web.2]: State changed from up to crashed",
                    ]
                    crashed.add("web.2")
                    web1_crash_at = elapsed + 30
                elif pct > 100:
                    pending += [
                        f"{_ts(moment)} heroku[web.2]: Process running mem={web2_mem:.0f}M({pct:.1f}%)",
                        f"{_ts(moment)} heroku[web.2]: {RUNTIME_ERRORS['R14']}",
                    ]
            continue
        if elapsed >= next_pg:
            next_pg = elapsed + 60
            pending.append(_postgres_metrics(moment, rng, connections=rng.randint(5, 12) + (8 if after else 0)))
            if i > count * 0.7 and "L10" not in "".join(pending):
                pending.append(error_line("L10", moment, seed=i))
            continue
        roll = rng.random()
        up = [d for d in web if d not in crashed] or web or ["web.1"]
        dyno = rng.choice(up)
        method, path, base_ms = rng.choice(_PATHS)
        if roll < 0.12:
            worker = rng.choice(workers) if workers else "web.1"
            yield f"{_ts(moment)} app[{worker}]: [ActiveJob] Performed OrderMailerJob in {rng.randint(20, 900)}ms"
        elif roll < 0.2:
            yield (f"{_ts(moment)} app[{dyno}]: Completed {rng.choice(['200 OK', '302 Found', '404 Not Found'])} "
                   f"in {rng.randint(2, 400)}ms (Views: {rng.randint(1, 90)}ms | ActiveRecord: {rng.randint(1, 90)}ms)")
        elif roll < 0.215:
            yield router_line(moment, rng, sc.host, code="H27", dyno=dyno, method=method, path=path)
        elif after and roll < 0.26:
            code = rng.choice(["H12", "H12", "H12", "H13", "H18"])
            yield router_line(moment, rng, sc.host, code=code, dyno=dyno, method="GET", path="/reports/export")
        elif web and len(crashed) == len(web):
            yield router_line(moment, rng, sc.host, code="H10", method=method, path=path)
        else:
            service = max(1, int(rng.lognormvariate(0, 0.6) * base_ms * (1.6 if after else 1.0)))
            status = rng.choices([200, 201, 302, 304, 404, 422, 500], [70, 5, 8, 6, 6, 2, 1 if not after else 4])[0]
            yield router_line(moment, rng, sc.host, dyno=dyno, method=method, path=path, service_ms=service, status=status)
        emitted += 1


def generate_lines(count: int, scenario: LogScenario | None = None, *, seed: int = 7) -> list[str]:
    """`count` lines as a list (see `iter_lines`)."""
    return list(iter_lines(count, scenario, seed=seed))
