import psycopg
import pytest

from mcp_servers.common.results import Finding
from mcp_servers.postgres.checks.activity import CHECKS
from mcp_servers.postgres.seed.activity import LIVE_LIMITS, LiveProblems
from mcp_servers.postgres.settings import APPLICATION_NAME
from tests.postgres.check_runs import findings_by_name

pytestmark = pytest.mark.anyio

BY_NAME = {c.name: c for c in CHECKS}


async def run(url: str, limits: dict[str, dict[str, float]] | None = None) -> dict[str, Finding]:
    return await findings_by_name(url, CHECKS, limits)


async def test_each_activity_check_flags_its_live_problem(db_url: str) -> None:
    with LiveProblems(db_url) as live:
        found = await run(db_url, LIVE_LIMITS)
    pid = live.pids
    holder, worker, retry, report, export = (
        pid["billing-api"], pid["billing-worker"], pid["billing-retry"], pid["ledger-report"], pid["nightly-export"]
    )

    long_queries = found["long_running_queries"]
    assert long_queries.status == "yellow"  # seconds old: past the lowered yellow bound, short of 300 s red
    assert {r["pid"] for r in long_queries.rows} == {worker, retry, report, export}
    fixes = {r["pid"]: r["fix"] for r in long_queries.rows}
    # the three waiting on locks are pointed at their blocker, not at an index; the sleeping export can be cancelled
    assert fixes[worker].startswith(f"waits on a lock held by pid {holder}") and "index" not in fixes[worker]
    assert fixes[export] == f"SELECT pg_cancel_backend({export});  -- heroku pg:kill {export}"

    long_tx = found["long_transactions"]
    assert long_tx.status == "yellow"
    assert {r["pid"] for r in long_tx.rows} == {holder, worker, retry, report, export}

    idle = found["idle_in_transaction"]
    assert (idle.status, idle.value, [r["pid"] for r in idle.rows]) == ("red", 1, [holder])
    assert idle.rows[0]["last_query"] == "LOCK TABLE ledger_entries IN ACCESS EXCLUSIVE MODE"

    blocking = found["blocking_queries"]
    assert blocking.status == "red"
    assert blocking.value == 3
    pairs = {(r["blocked_pid"], r["blocking_pid"], r["lock_kind"]) for r in blocking.rows}
    assert pairs == {
        (worker, holder, "transactionid"),  # row lock: waits for the holder's transaction to end
        (retry, worker, "tuple"),  # queued behind the worker for the same row: a chain
        (report, holder, "relation"),  # table lock
    }
    relation_pair = next(r for r in blocking.rows if r["lock_kind"] == "relation")
    assert (relation_pair["locked_object"], relation_pair["wanted_mode"]) == ("ledger_entries", "AccessShareLock")
    # the root of the queue is the idle holder: ending it frees all three; the retry waits behind the worker
    assert f"root of the queue: pid {holder} (billing-api, idle in transaction)" in blocking.summary
    assert {r["blocked_pid"] for r in blocking.rows if r["root"]} == {worker, report}
    root_row = next(r for r in blocking.rows if r["root"])
    assert root_row["fix"].startswith(f"pid {holder} is idle in its transaction: its application must COMMIT or ROLLBACK")
    tuple_pair = next(r for r in blocking.rows if r["lock_kind"] == "tuple")
    assert tuple_pair["locked_object"].startswith("row (") and tuple_pair["locked_object"].endswith(") of wallets")

    exclusive = found["exclusive_locks"]
    assert exclusive.status == "red"
    assert [(r["pid"], r["mode"], r["relation"], r["blocks"], r["waiting"]) for r in exclusive.rows] == [
        (holder, "AccessExclusiveLock", "ledger_entries", "reads and writes", 1)
    ]

    for finding in found.values():
        if finding.check == "connection_count":
            continue  # our connections do take slots, so they are counted
        assert all(r.get("application") != APPLICATION_NAME for r in finding.rows), finding.check
        assert finding.remediation or finding.status == "green"


async def test_a_session_level_advisory_lock_outside_a_transaction_is_released_by_unlock_not_commit(db_url: str) -> None:
    with psycopg.connect(db_url, autocommit=True, application_name="cron-leader") as holder, \
            psycopg.connect(db_url, autocommit=True, application_name="cron-follower") as waiter:
        holder.execute("SELECT pg_advisory_lock(42)")
        holder.execute("SELECT pg_advisory_lock(7, -3)")
        waiting = waiter.execute("SELECT pg_backend_pid()").fetchone()[0]
        waiter.execute("SET statement_timeout = '20s'")
        import threading
        thread = threading.Thread(target=lambda: waiter.execute("SELECT pg_advisory_lock(42)"), daemon=True)
        thread.start()
        with psycopg.connect(db_url, autocommit=True) as monitor:
            for _ in range(1000):
                if monitor.execute("SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = %s",
                                   (waiting,)).fetchone()[0]:
                    break
                threading.Event().wait(0.01)
            found = await run(db_url)
            holder.execute("SELECT pg_advisory_unlock_all()")
        thread.join(timeout=20)
    blocking = found["blocking_queries"]
    [row] = blocking.rows
    assert row["lock_kind"] == "advisory" and row["blocking_transaction_seconds"] is None
    assert "outside any transaction (COMMIT releases nothing)" in row["fix"]
    assert "SELECT pg_advisory_unlock(42)" in row["fix"] and "SELECT pg_advisory_unlock(7, -3)" in row["fix"]
    assert "commit" not in (blocking.remediation or "").lower().replace("commit releases", "")


async def test_activity_checks_are_green_on_a_healthy_database(fresh_db: str) -> None:
    found = await run(fresh_db)
    assert {name: f.status for name, f in found.items()} == {c.name: "green" for c in CHECKS}


async def test_young_live_problems_stay_below_the_default_time_thresholds(db_url: str) -> None:
    with LiveProblems(db_url):
        found = await run(db_url)
    assert found["long_running_queries"].status == "green"
    assert found["idle_in_transaction"].status == "green"
    assert found["idle_in_transaction"].summary == "1 session idle in a transaction, none for 60 s"
    assert found["exclusive_locks"].status == "green"
    # Waiting is waiting: the blocked chain shows at once, as yellow until a wait passes 1 s.
    assert found["blocking_queries"].status in ("yellow", "red")
    assert found["blocking_queries"].value == 3


async def test_connection_count_compares_all_client_backends_with_max_connections(fresh_db: str) -> None:
    db_url = fresh_db  # the embedded server is this test session's alone, so its count holds still
    extra = [psycopg.connect(db_url, application_name="web.1") for _ in range(4)]
    try:
        yellow = await run(db_url, {"connection_count": {"yellow_pct": 1, "red_pct": 99}})
        red = await run(db_url, {"connection_count": {"yellow_pct": 1, "red_pct": 2}})
        with psycopg.connect(db_url) as conn:
            total, max_conn = conn.execute(
                "SELECT count(*) - 1, current_setting('max_connections')::int FROM pg_stat_activity "
                "WHERE backend_type = 'client backend'"
            ).fetchone()
    finally:
        for conn in extra:
            conn.close()
    finding = yellow["connection_count"]
    assert finding.status == "yellow"
    assert red["connection_count"].status == "red"
    web = next(r for r in finding.rows if r["application"] == "web.1")
    assert (web["connections"], web["idle"], web["database"]) == (4, 4, db_url.rsplit("/", 1)[1])
    ours = sum(r["connections"] for r in finding.rows if r["application"] == APPLICATION_NAME)
    assert sum(r["connections"] for r in finding.rows) - ours == total  # our pool has closed since
    assert finding.value == round(100 * (total + ours) / max_conn, 1)
    assert finding.summary.startswith(f"{total + ours} of {max_conn} connections in use")


async def test_unknown_limit_names_are_refused_with_the_known_ones() -> None:
    with pytest.raises(ValueError, match="has no limit min_seconds; its limits: yellow_seconds, red_seconds"):
        BY_NAME["long_running_queries"].with_limits(min_seconds=1)
