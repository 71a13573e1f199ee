"""What Heroku itself logs becomes findings: Postgres and Redis metrics, dyno runtime metrics (judged over
the window) and Postgres service logs, in excerpts of several hundred lines mixed with ordinary traffic."""

import pytest
from saturation_logs import PATTERNS, excerpt, sick_excerpt

from mcp_servers.app_diagnostics.logs.analysis import analyze_lines
from mcp_servers.app_diagnostics.logs.parser import parse_line
from mcp_servers.app_diagnostics.logs.records import PostgresLog
from mcp_servers.app_diagnostics.logs.render import render_analysis

# Problems that raise a second finding besides their own: a dyno steadily at 95 % also peaks at 95 %.
ALSO_FLAGGED = {"dyno_memory": {"dyno_memory"}}


def _flagged(lines: list[str]) -> dict[str, str]:
    return {f.check: f.status for f in analyze_lines(lines).findings if f.status in ("red", "yellow")}


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_a_healthy_app_with_normal_metrics_and_2xx_traffic_raises_no_red_or_yellow(seed: int) -> None:
    lines = excerpt(600, seed=seed)
    analysis = analyze_lines(lines)
    assert analysis.parse.not_understood == 0
    assert {"addon_metrics", "postgres_log", "runtime_metrics", "router", "app"} <= analysis.parse.by_kind.keys()
    assert _flagged(lines) == {}
    checks = {f.check for f in analysis.findings}
    assert {"pg_load", "pg_iops", "pg_memory", "pg_connections", "pg_wal", "redis_connections", "dyno_load"} <= checks


def test_drain_format_lines_read_the_same_as_log_session_lines() -> None:
    session, drain = excerpt(500, sick=["pg_iops", "deadlock"]), excerpt(500, sick=["pg_iops", "deadlock"], drain_format=True)
    assert drain[0].split(" ", 2)[1] == "<134>1"
    assert _flagged(drain) == _flagged(session) == {"pg_iops": "red", "postgres_log_deadlock": "red"}


@pytest.mark.parametrize("problem", sorted(PATTERNS))
def test_each_saturation_or_error_pattern_is_flagged_and_nothing_else(problem: str) -> None:
    flagged = _flagged(excerpt(600, sick=[problem]))
    assert flagged.keys() == {PATTERNS[problem]} | ALSO_FLAGGED.get(problem, set())


def test_the_saturated_database_of_the_issue_reads_as_red_with_citations_and_next_steps() -> None:
    analysis = analyze_lines(sick_excerpt())
    found: dict = {}
    for finding in analysis.findings:  # worst first: keep each check's worst (dyno checks repeat per dyno)
        found.setdefault(finding.check, finding)
    for check in ("pg_load", "pg_iops", "pg_memory", "pg_connections", "pg_tmp_disk", "pg_wal", "redis_connections",
                  "redis_evicted_keys", "dyno_load"):
        assert found[check].status == "red", check
    load = found["pg_load"]
    assert load.summary == ("heroku-postgres DATABASE: load average per vCPU 6.25x (typical of 11 samples, worst 6.25x), "
                            "plan level 0 (4 GB RAM, 2 vCPU) recognised from memory-total")
    assert "devcenter.heroku.com/articles/heroku-postgres-production-tier-technical-characterization" in load.threshold
    assert "pg_top_queries" in load.remediation
    assert "pg:connection-pooling:attach" in found["pg_connections"].remediation
    assert "75.0%" in found["pg_connections"].threshold and "90.0%" in found["pg_connections"].threshold
    text = render_analysis(analysis)
    assert "[RED] heroku-postgres DATABASE: IOPS used of the plan's max-iops 99.0%" in text


def _with_pg_samples(values: list[str]) -> list[str]:
    """A healthy excerpt whose Postgres metric lines carry `values` (one per sample, in order) as load-avg-1m."""
    lines, k = excerpt(600), 0
    for index, line in enumerate(lines):
        if "app[heroku-postgres]" in line:
            head, rest = line.split("sample#load-avg-1m=", 1)
            lines[index] = f"{head}sample#load-avg-1m={values[min(k, len(values) - 1)]} {rest.split(' ', 1)[1]}"
            k += 1
    return lines


def test_one_spike_in_a_calm_window_is_not_a_finding() -> None:
    flagged = _flagged(_with_pg_samples(["0.4", "0.3", "12.5", "0.5", "0.4", "0.3", "0.4", "0.3"]))
    assert flagged == {}


def test_a_database_that_became_saturated_and_stayed_is_flagged_though_the_window_began_calm() -> None:
    flagged = _flagged(_with_pg_samples(["0.4", "0.3", "0.5", "0.4", "0.3", "9.0", "9.5", "10.0"]))
    assert flagged == {"pg_load": "red"}


def test_page_cache_does_not_count_as_postgres_memory_pressure() -> None:
    # memory-percentage-used counts the page cache: 0.96 on a database whose processes use 4 %.
    line = ("2026-11-25T14:00:00.000000+00:00 app[heroku-postgres]: source=DATABASE addon=postgresql-x "
            "sample#memory-total=4045060kB sample#memory-free=159696kB sample#memory-percentage-used=0.96052 "
            "sample#memory-cached=3707032kB sample#memory-postgres=182592kB")
    (memory,) = [f for f in analyze_lines([line, line.replace("14:00:00", "14:01:00")]).findings if f.check == "pg_memory"]
    assert (memory.status, memory.value) == ("green", 4.4086)  # (total - free - cached) / total


def test_load_is_not_judged_when_the_plan_cannot_be_recognised_from_its_memory() -> None:
    line = ("2026-11-25T14:00:00.000000+00:00 app[heroku-postgres]: source=DATABASE addon=postgresql-x "
            "sample#load-avg-1m=12.5 sample#memory-total=1500000kB")
    assert "pg_load" not in {f.check for f in analyze_lines([line, line]).findings}


def test_postgres_service_logs_name_the_statements_without_their_literal_values() -> None:
    analysis = analyze_lines(excerpt(600, sick=["deadlock", "statement_timeout", "slow_statement", "temp_file"]))
    summary = analysis.postgres_logs
    by_kind = {e.kind: e for e in summary.events}
    assert by_kind["deadlock"].statements == ["UPDATE accounts SET balance = balance - ? WHERE id = ?"]
    assert by_kind["statement_timeout"].statements == ["SELECT * FROM orders WHERE customer_email = '?' ORDER BY created_at"]
    assert by_kind["slow_statement"].worst == 4523.118
    assert by_kind["temp_file"].worst == 268435456
    assert summary.databases == ["DATABASE"]
    wire = analysis.model_dump_json()
    assert "ann@example.com" not in wire and "%42%" not in wire


def test_both_postgres_service_log_formats_parse_into_one_record() -> None:
    old = ("2026-11-25T14:00:00+00:00 app[postgres.2211009]: [DATABASE] [7-1] sql_error_code = 40P01 "
           "ERROR:  deadlock detected")
    new = ('2026-11-25T14:00:00+00:00 app[postgres.2211009]: [HEROKU_POSTGRESQL_SILVER] [7-2] sql_error_code = 40P01 '
           'time_ms = "2026-11-25 14:00:00.001 UTC" pid="4242" user="u4kq9" application_name="puma" '
           "STATEMENT:  UPDATE accounts SET balance = 0")
    assert parse_line(old) == PostgresLog("2026-11-25T14:00:00+00:00", "postgres.2211009", "DATABASE", 7, 1, "40P01",
                                          "ERROR", "deadlock detected")
    assert parse_line(new) == PostgresLog("2026-11-25T14:00:00+00:00", "postgres.2211009", "HEROKU_POSTGRESQL_SILVER",
                                          7, 2, "40P01", "STATEMENT", "UPDATE accounts SET balance = 0")


def test_a_steady_memory_climb_predicts_r14_before_it_fires() -> None:
    analysis = analyze_lines(excerpt(600, sick=["dyno_memory_trend"]))
    (trend,) = [f for f in analysis.findings if f.check == "dyno_memory_trend"]
    assert trend.status == "yellow" and trend.summary.startswith("web.1: memory climbs steadily and reaches its quota in about")
    assert 0 < trend.value <= 60
    assert not any(c.code in ("R14", "R15") for c in analysis.codes)  # predicted, not yet fired
