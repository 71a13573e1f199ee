import random
import string
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st
from log_generator import LOGGING_ERRORS, ROUTER_ERRORS, RUNTIME_ERRORS, error_line

from mcp_servers.app_diagnostics.logs import records
from mcp_servers.app_diagnostics.logs.codes import CODES
from mcp_servers.app_diagnostics.logs.parser import parse_line

MOMENT = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
TS = "2026-11-25T09:30:00.000000+00:00"

# Retired router codes the generator does not produce: written as old routers logged them.
RETIRED = {
    "H16": f'{TS} heroku[router]: at=error code=H16 desc="Redirect to herokuapp.com" method=GET path="/" '
           'host=myapp.heroku.com fwd="17.17.17.17" dyno= connect= service= status=301 bytes=',
    "H23": f'{TS} heroku[router]: at=error code=H23 desc="Endpoint misconfigured" method=GET path="/ws" '
           'host=myapp.herokuapp.com request_id=r1 fwd="17.17.17.17" dyno= connect= service= status=503 bytes= protocol=https',
}


def _corpus_line(code: str) -> str:
    if code in RETIRED:
        return RETIRED[code]
    assert code in ROUTER_ERRORS or code in RUNTIME_ERRORS or code in LOGGING_ERRORS, f"no generator line for {code}"
    return error_line(code, MOMENT)


def test_every_code_in_the_table_parses_to_a_record_carrying_that_code() -> None:
    for code in CODES:
        event = parse_line(_corpus_line(code))
        assert event is not None, code
        kind = {"H": records.RouterLine, "R": records.DynoError, "L": records.LogplexError}[code[0]]
        assert type(event) is kind, (code, event)
        assert event.code == code


def test_a_modern_router_line_yields_every_field_typed() -> None:
    line = (f'{TS} heroku[router]: at=info method=POST path="/users/123?ref=x" host=shop.example.com '
            'request_id=5b1e4f8a-0c53-4c4b-9e0e-8d7c1a2b3c4d fwd="203.0.113.7, 10.0.0.1" dyno=web.2 connect=3ms '
            'service=245ms status=201 bytes=5120 protocol=https')
    assert parse_line(line) == records.RouterLine(
        ts=TS, at="info", code=None, desc=None, method="POST", path="/users/123?ref=x", host="shop.example.com",
        request_id="5b1e4f8a-0c53-4c4b-9e0e-8d7c1a2b3c4d", fwd="203.0.113.7, 10.0.0.1", dyno="web.2", connect=3,
        service=245, status=201, bytes=5120, protocol="https",
    )


def test_router_lines_in_other_orders_keep_sock_cause_agent_and_tls_fields() -> None:
    h18 = parse_line(error_line("H18", MOMENT))
    h26 = parse_line(error_line("H26", MOMENT))
    h31 = parse_line(error_line("H31", MOMENT))
    tls = parse_line(f'{TS} heroku[router]: at=info method=GET path="/" host=a.example.com request_id=r fwd="1.2.3.4" '
                     'dyno=web.1 connect=0ms service=7ms status=200 bytes=12 protocol=http2 tls_version=TLSv1.3 tls=true')
    assert (h18.sock, h18.status, h18.code) == ("backend", 503, "H18")
    assert (h26.cause, h26.status) == ("bad header", 400)
    assert h31.agent == "Mozilla/5.0 (compatible; ExampleBot/2.1)"
    assert (tls.protocol, tls.tls_version, tls.service, tls.extra) == ("http2", "TLSv1.3", 7, {"tls": "true"})


def test_legacy_unquoted_router_line_without_request_id_parses() -> None:
    line = ("2010-10-06T21:51:12-07:00 heroku[router]: at=error code=H10 desc=\"App crashed\" method=GET path=/ "
            "host=myapp.herokuapp.com fwd=17.17.17.17 dyno= connect= service= status=503 bytes=")
    event = parse_line(line)
    assert (event.code, event.path, event.fwd, event.dyno, event.service, event.status, event.request_id) == (
        "H10", "/", "17.17.17.17", None, None, 503, None)


def test_drain_syslog_frames_parse_like_log_session_lines() -> None:
    framed = ('286 <158>1 2026-11-25T09:30:00.000000+00:00 host heroku router - at=info method=GET path="/" '
              'host=a.example.com request_id=r fwd="1.2.3.4" dyno=web.1 connect=1ms service=9ms status=200 bytes=3 protocol=https')
    event = parse_line(framed)
    assert type(event) is records.RouterLine and (event.ts, event.service, event.status) == (TS, 9, 200)


def test_dyno_lines_become_state_changes_exits_memory_and_notices() -> None:
    assert parse_line(f"{TS} heroku[web.1]: State changed from up to crashed") == records.StateChange(TS, "web.1", "up", "crashed")
    assert parse_line(f"{TS} heroku[web.1]: Process exited with status 137") == records.ProcessExit(TS, "web.1", 137)
    assert parse_line(f"{TS} heroku[web.1]: Process exited") == records.ProcessExit(TS, "web.1", None)
    assert parse_line(f"{TS} heroku[worker.1]: Process running mem=1028M(103.3%)") == records.MemoryUse(TS, "worker.1", 1028.0, 103.3)
    assert parse_line(f"{TS} heroku[web.2]: Process running mem=1.5GB(301.0%)") == records.MemoryUse(TS, "web.2", 1536.0, 301.0)
    r10 = parse_line(f"{TS} heroku[web.1]: {RUNTIME_ERRORS['R10']}")
    assert r10 == records.DynoError(TS, "web.1", "R10", "Boot timeout", "Web process failed to bind to $PORT within 60 seconds of launch")
    notice = parse_line(f"{TS} heroku[web.1]: Stopping all processes with SIGTERM")
    assert type(notice) is records.DynoNotice and notice.kind == "sigterm"


def test_runtime_and_postgres_metrics_become_numeric_samples() -> None:
    runtime = parse_line(f"{TS} heroku[web.1]: source=web.1 dyno=heroku.2808254.d97d0ea7 sample#memory_total=21.00MB "
                         "sample#memory_rss=21.22MB sample#memory_swap=0.00MB sample#memory_pgpgin=348836pages "
                         "sample#memory_quota=512.00MB")
    load = parse_line(f"{TS} heroku[web.1]: source=web.1 dyno=heroku.2808254.d97d0ea7 sample#load_avg_1m=2.46 "
                      "sample#load_avg_5m=1.06 sample#load_avg_15m=0.99")
    pg = parse_line(f"{TS} app[heroku-postgres]: source=HEROKU_POSTGRESQL_SILVER addon=postgresql-curved-42 "
                    "sample#current_transaction=1873 sample#db_size=26311800bytes sample#tables=97 "
                    "sample#active-connections=7 sample#waiting-connections=0 sample#index-cache-hit-rate=0.9239")
    assert runtime == records.RuntimeMetrics(TS, "web.1", "heroku.2808254.d97d0ea7", {
        "memory_total": 21.0, "memory_rss": 21.22, "memory_swap": 0.0, "memory_pgpgin": 348836.0, "memory_quota": 512.0})
    assert load.samples == {"load_avg_1m": 2.46, "load_avg_5m": 1.06, "load_avg_15m": 0.99}
    assert pg == records.AddonMetrics(TS, "heroku-postgres", "HEROKU_POSTGRESQL_SILVER", "postgresql-curved-42", {
        "current_transaction": 1873.0, "db_size": 26311800.0, "tables": 97.0, "active-connections": 7.0,
        "waiting-connections": 0.0, "index-cache-hit-rate": 0.9239})


def test_logplex_errors_carry_the_number_of_dropped_messages() -> None:
    assert parse_line(error_line("L10", MOMENT)) == records.LogplexError(TS, "L10", "output buffer overflow", 1024)
    assert parse_line(error_line("L12", MOMENT)) == records.LogplexError(TS, "L12", "Local buffer overflow", 222)
    assert parse_line(error_line("L15", MOMENT)).dropped is None


def test_release_lines_name_the_version_and_the_user() -> None:
    assert parse_line(f"{TS} app[api]: Release v42 created by user jane@example.com") == records.ReleaseEvent(
        TS, "release", 42, "Release v42 created by user jane@example.com", "jane@example.com")
    assert parse_line(f"{TS} app[api]: Deploy 1a2b3c4 by user jane@example.com").kind == "deploy"
    assert parse_line(f"{TS} app[api]: Rollback to v41 by user jane@example.com")[1:3] == ("rollback", 41)
    config = parse_line(f"{TS} app[api]: Set FEATURE_X, SENTRY_DSN config vars by user jane@example.com")
    assert (config.kind, config.by) == ("config", "jane@example.com")


def test_app_output_is_understood_without_being_interpreted() -> None:
    assert parse_line(f"{TS} app[web.1]: Error R14 is what my app prints") == records.AppOutput(TS, "web.1")


def test_malformed_lines_give_none_and_never_raise() -> None:
    bad = [
        "", "garbage", "2026-11-25", f"{TS} heroku[router]: at=info status=abc", f"{TS} heroku[web.1]: hello there",
        f"{TS} heroku[router]: ", f"{TS} heroku[router]: at=info method=GET path=\"/\" status=99999999999999999999999x",
        f"{TS} other[web.1]: x", "<158>1 nonsense", f"{TS} heroku[web.1]: Process running mem=abcM(x%)",
        f"{TS} heroku[router]: at=error code=H12 desc=\"Request timeout\" method=GET path=\"/\" host=h "
        "request_id=r fwd=\"1\" dyno=web.1 connect=1e99ms service=30001ms status=503 bytes=0 protocol=https x",
    ]
    assert [parse_line(line) for line in bad] == [None] * len(bad)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=string.printable + "é[]=\"#", max_size=300))
def test_parse_line_never_raises_on_arbitrary_text(text: str) -> None:
    parse_line(text)
    parse_line(f"{TS} heroku[router]: {text}")
    parse_line(f"{TS} heroku[web.1]: {text}")
    parse_line(f"{TS} app[heroku-postgres]: {text}")


def test_parse_line_survives_truncated_and_mutated_real_lines() -> None:
    rng = random.Random(3)
    sources = [_corpus_line(code) for code in CODES]
    for line in sources:
        for cut in range(0, len(line), 7):
            parse_line(line[:cut])
        chars = list(line)
        for _ in range(20):
            chars[rng.randrange(len(chars))] = rng.choice('"= []x9')
        parse_line("".join(chars))


_TOKEN = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-._~%/?=&", min_size=0, max_size=30)


@settings(max_examples=300, deadline=None)
@given(
    code=st.sampled_from([None, *sorted(ROUTER_ERRORS)]),
    method=st.sampled_from(["GET", "POST", "PATCH", "DELETE", "OPTIONS"]),
    path=_TOKEN.map(lambda p: "/" + p),
    service=st.integers(min_value=0, max_value=120_000),
    status=st.sampled_from([200, 201, 204, 302, 304, 400, 404, 422, 499, 500, 503]),
    seed=st.integers(min_value=0, max_value=10_000),
    second=st.integers(min_value=0, max_value=86_399),
)
def test_the_router_fast_path_gives_the_same_record_as_the_general_parser(
    code: str | None, method: str, path: str, service: int, status: int, seed: int, second: int,
) -> None:
    # parse_line reads canonical router lines with its own regex; the general path (any field order)
    # must give the very same record for them, so the fast path is only ever an optimisation.
    import random
    from datetime import datetime, timedelta

    from log_generator import router_line

    from mcp_servers.app_diagnostics.logs.router_lines import parse_router

    moment = datetime(2026, 11, 25, tzinfo=UTC) + timedelta(seconds=second)
    line = router_line(moment, random.Random(seed), "shop.example.com", code=code, method=method, path=path,
                       service_ms=service, status=status)
    ts, message = line.split(" heroku[router]: ", 1)
    assert parse_line(line) == parse_router(ts, message)
