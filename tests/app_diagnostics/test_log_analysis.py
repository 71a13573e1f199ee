import random
from datetime import UTC, datetime, timedelta, timezone

from log_generator import LogScenario, error_line, generate_lines, router_line

from mcp_servers.app_diagnostics.logs.analysis import analyze_lines, normalise_path
from mcp_servers.app_diagnostics.logs.models import Latency, ReleaseRef

T0 = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def _ts(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f") + "+00:00"


def _ok(moment: datetime, path: str = "/", service: int = 10, status: int = 200, seed: int = 0) -> str:
    return router_line(moment, random.Random(seed), "shop.example.com", path=path, service_ms=service, status=status)


def test_service_percentiles_are_nearest_rank_over_router_lines() -> None:
    lines = [_ok(T0 + timedelta(seconds=i), service=i + 1) for i in range(100)]
    analysis = analyze_lines(lines)
    assert analysis.service == Latency(count=100, p50=50, p95=95, p99=99, max=100)
    assert analysis.connect.count == 100 and analysis.connect.max <= 2
    assert analysis.requests == 100 and analysis.error_rate == 0.0


def test_paths_are_normalised_so_ids_group_together() -> None:
    assert normalise_path("/users/123/posts/9?page=2") == "/users/:id/posts/:id"
    assert normalise_path("/orders/5b1e4f8a-0c53-4c4b-9e0e-8d7c1a2b3c4d") == "/orders/:uuid"
    assert normalise_path("/blobs/0123456789abcdef0123") == "/blobs/:hash"
    assert normalise_path("/reset/Zk3q9PbX7mW2rT5vY8nA1c") == "/reset/:token"
    assert normalise_path("/assets/app.js") == "/assets/app.js"
    assert normalise_path(None) == "(none)"


def test_codes_come_with_their_meaning_first_action_paths_and_sock_split() -> None:
    lines = [_ok(T0, path=f"/users/{i}") for i in range(6)]
    lines += [error_line("H12", T0 + timedelta(seconds=1), seed=i) for i in range(3)]
    lines += [error_line("H18", T0 + timedelta(seconds=2))]
    analysis = analyze_lines(lines)
    h12, h18 = analysis.codes
    assert (h12.code, h12.count, h12.title, h12.level, h12.top_paths) == ("H12", 3, "Request timeout", "error", ["POST /checkout"])
    assert h12.meaning.startswith("The app did not start a response within 30 seconds")
    assert h12.first_action.startswith("List the H12 paths")
    assert (h18.code, h18.sock) == ("H18", {"backend": 1})
    assert [(s.status, s.count) for s in analysis.statuses] == [(200, 6), (503, 4)]
    assert analysis.error_rate == 0.4
    assert [(p.path, p.requests, p.errors, p.codes) for p in analysis.failing_paths] == [
        ("POST /checkout", 4, 4, {"H12": 3, "H18": 1})]
    assert ("GET /users/:id", 6) in [(p.path, p.requests) for p in analysis.slowest_paths]


def test_timeline_buckets_requests_and_errors_per_utc_minute() -> None:
    lines = [_ok(T0 + timedelta(seconds=10 * i)) for i in range(12)]  # two minutes of traffic
    lines.append(error_line("H12", T0 + timedelta(seconds=61)))
    # the same instant written with a -07:00 offset lands in the same UTC minute
    lines.append(error_line("H13", T0 + timedelta(seconds=62)).replace(
        _ts(T0 + timedelta(seconds=62)), (T0 + timedelta(seconds=62)).astimezone(timezone(timedelta(hours=-7))).isoformat()))
    analysis = analyze_lines(lines)
    assert [(m.minute, m.requests, m.errors, m.codes) for m in analysis.timeline] == [
        ("2026-11-25T10:00", 6, 0, {}),
        ("2026-11-25T10:01", 8, 2, {"H12": 1, "H13": 1}),
    ]
    assert (analysis.window_start, analysis.window_end) == ("2026-11-25T10:00:00", "2026-11-25T10:01:50")


def test_memory_is_measured_against_quota_from_samples_and_from_r14_percentages() -> None:
    ts = _ts(T0)
    lines = [
        f"{ts} heroku[web.1]: source=web.1 dyno=heroku.1.abc sample#memory_total=400.00MB sample#memory_quota=512.00MB",
        f"{ts} heroku[web.1]: source=web.1 dyno=heroku.1.abc sample#load_avg_1m=0.42",
        f"{ts} heroku[worker.1]: Process running mem=1056M(103.1%)",
        f"{ts} heroku[worker.1]: Error R14 (Memory quota exceeded)",
    ]
    web, worker = analyze_lines(lines).dynos
    assert (web.dyno, web.memory_max_mb, web.memory_quota_mb, web.memory_max_pct, web.load_avg_1m_max) == (
        "web.1", 400.0, 512.0, 78.1, 0.42)
    assert (worker.dyno, worker.memory_max_mb, worker.memory_quota_mb, worker.memory_max_pct, worker.runtime_errors) == (
        "worker.1", 1056.0, 1024, 103.1, {"R14": 1})


def test_an_error_burst_is_tied_to_the_release_before_it() -> None:
    lines = [f"{_ts(T0)} app[api]: Release v42 created by user dev@example.com"]
    lines += [_ok(T0 + timedelta(minutes=1, seconds=i)) for i in range(10)]
    lines += [error_line("H10", T0 + timedelta(minutes=5, seconds=i), seed=i) for i in range(8)]
    lines += [error_line("H10", T0 + timedelta(minutes=6, seconds=i), seed=i) for i in range(6)]
    analysis = analyze_lines(lines)
    (burst,) = analysis.bursts
    assert (burst.start, burst.end, burst.errors, burst.codes) == ("2026-11-25T10:05", "2026-11-25T10:06", 14, {"H10": 14})
    assert burst.after_release == ReleaseRef(kind="release", version=42, at="2026-11-25T10:00:00", by="dev@example.com")
    assert burst.minutes_after_release == 5.0
    assert analysis.findings[0].status == "red"
    assert any(f.check == "errors_after_release" and "after v42" in f.summary for f in analysis.findings)


def test_releases_from_the_api_explain_bursts_when_the_log_has_no_release_line() -> None:
    lines = [error_line("H12", T0 + timedelta(seconds=i), seed=i) for i in range(6)]
    earlier = ReleaseRef(kind="release", version=7, at="2026-11-25T09:00:00")
    latest = ReleaseRef(kind="release", version=8, at="2026-11-25T09:45:00")
    analysis = analyze_lines([*lines, f"{_ts(T0)} app[api]: Release v8 created by user dev@example.com"],
                             releases=[latest, earlier])
    (burst,) = analysis.bursts
    assert (burst.after_release.version, burst.minutes_after_release) == (8, 15.0)
    assert [(r.version, r.at) for r in analysis.releases] == [(7, "2026-11-25T09:00:00"), (8, "2026-11-25T09:45:00")]


def test_lines_not_understood_are_counted_and_quoted_redacted() -> None:
    lines = [_ok(T0), "", "this is not a log line password=hunter2", f"{_ts(T0)} heroku[web.1]: mystery message"]
    analysis = analyze_lines(lines, secrets=("mystery",))
    assert (analysis.parse.lines, analysis.parse.understood, analysis.parse.not_understood) == (3, 1, 2)
    assert analysis.parse.not_understood_samples == [
        "this is not a log line password=********", f"{_ts(T0)} heroku[web.1]: ******** message"]


def test_logs_without_router_lines_say_why_the_error_rate_was_skipped() -> None:
    analysis = analyze_lines([f"{_ts(T0)} app[worker.1]: job done"])
    (finding,) = [f for f in analysis.findings if f.check == "router_error_rate"]
    assert finding.status == "skipped" and "no heroku[router] lines" in finding.reason


def test_one_postgres_sample_over_the_limits_is_at_most_yellow_and_says_so() -> None:
    line = (f"{_ts(T0)} app[heroku-postgres]: source=DATABASE addon=postgresql-x sample#active-connections=19 "
            "sample#waiting-connections=7 sample#index-cache-hit-rate=0.90 sample#table-cache-hit-rate=0.999")
    analysis = analyze_lines([line])
    (addon,) = analysis.addons
    assert (addon.service, addon.source, addon.max_active_connections, addon.max_waiting_connections) == (
        "heroku-postgres", "DATABASE", 19.0, 7.0)
    flagged = {f.check: f for f in analysis.findings if f.check.startswith("pg_")}
    assert {check: f.status for check, f in flagged.items()} == {"pg_waiting_connections": "yellow", "pg_cache_hit": "yellow"}
    assert flagged["pg_cache_hit"].summary == (
        "heroku-postgres DATABASE: cache hit rate (lower of index and table) 0.9 (typical of 1 sample, worst 0.9)")
    assert all(f.reason == "one sample only: re-check over a longer window" for f in flagged.values())


def test_the_generated_incident_reads_as_timeouts_memory_and_crashes_after_the_release() -> None:
    analysis = analyze_lines(generate_lines(1500, LogScenario(release_version=12)))
    assert analysis.parse.not_understood == 0
    codes = {c.code for c in analysis.codes}
    assert {"H12", "H13", "H18", "H27", "R14", "R15", "H10"} <= codes
    web2 = next(d for d in analysis.dynos if d.dyno == "web.2")
    assert web2.crashes == 1 and web2.memory_max_pct > 200 and web2.runtime_errors["R15"] == 1
    assert analysis.slowest_paths[0].path == "GET /reports/export"
    assert analysis.bursts and analysis.bursts[0].after_release.version == 12
    assert analysis.logplex == {"L10": 1} and analysis.logplex_dropped == 1024
    red = {f.check for f in analysis.findings if f.status == "red"}
    assert {"router_error_rate", "code_H10", "dyno_crashes", "dyno_memory", "errors_after_release"} <= red


def test_timestamps_in_non_ascii_digits_do_not_crash_the_error_burst_search() -> None:
    from mcp_servers.app_diagnostics.logs import analyze_lines

    def router(ts: str) -> str:
        return (
            f"{ts}+00:00 heroku[router]: at=error code=H12 desc=\"Request timeout\" method=GET path=\"/\" "
            'host=a.herokuapp.com request_id=r fwd="1.2.3.4" dyno=web.1 connect=1ms service=30000ms '
            "status=503 bytes=0 protocol=https"
        )

    lines = [
        "2026-11-25T09:59:00+00:00 app[api]: Release v42 created by user dev@example.com",
        *[router("٢٠٢٦-11-25T10:00:00") for _ in range(30)],  # Arabic-Indic digits in the year
        *[router("2026-11-25T10:01:00") for _ in range(30)],
    ]
    result = analyze_lines(lines)
    assert result.parse.lines == 61
    assert sum(c.count for c in result.codes if c.code == "H12") == 60
