"""One database sick with every problem family the newer checks look for (tests, and `make demo` later).

`plant_family_problems(conn)` leaves the lasting ones: a table without a primary key (`clickstream`),
an append-only table at fillfactor 10 (`audit_events`), an index over four evenly spread values
(`shipments_carrier_idx`), dead rows hidden behind a 0.9 scale factor (`session_log`), and a statement
that sorts about 15 MB on disk with work_mem at 64 kB (when pg_stat_statements is preloaded).

`FamilyLiveProblems(url)` holds the ones that need sessions: a forgotten prepared transaction (when
max_prepared_transactions > 0) whose xmin keeps `ledger_archive` from being frozen past its own
autovacuum_freeze_max_age of 100,000 (100,500 transactions are burned behind it), a throttled autovacuum
worker on `telemetry`, a session-level advisory lock held outside any transaction with a waiter behind
it, a transaction idle in the aborted state, and 30 idle connections from one application (`web`).
Leaving the block releases all of it, so the database can be dropped.
"""

from __future__ import annotations

import threading
import time
from typing import Any

__all__ = ["FAMILY_LIMITS", "IDLE_WEB_CONNECTIONS", "FamilyLiveProblems", "plant_family_problems"]

IDLE_WEB_CONNECTIONS = 30
# Young live problems need small time limits (pass to pg_diagnose `limits` or Check.with_limits).
FAMILY_LIMITS: dict[str, dict[str, float]] = {
    "prepared_transactions": {"yellow_seconds": 0.0},
    "autovacuum_workers": {"yellow_seconds": 0.0},
    "idle_in_transaction": {"red_seconds": 0.0},
    "blocking_queries": {"red_seconds": 0.0},
}

_LASTING = """
CREATE TABLE clickstream (user_id bigint, path text, at timestamptz NOT NULL DEFAULT now());
INSERT INTO clickstream (user_id, path) SELECT g % 100, '/p/' || g FROM generate_series(1, 2000) g;
CREATE TABLE audit_events (id bigserial PRIMARY KEY, actor text, action text, at timestamptz NOT NULL DEFAULT now())
  WITH (fillfactor = 10);
INSERT INTO audit_events (actor, action) SELECT 'user' || (g % 50), 'login from 10.0.' || (g % 255) || '.1'
  FROM generate_series(1, 20000) g;
CREATE TABLE shipments (id bigserial PRIMARY KEY, carrier text NOT NULL, weight_g int);
INSERT INTO shipments (carrier, weight_g) SELECT (ARRAY['ups','fedex','dhl','usps'])[1 + g % 4], g % 5000
  FROM generate_series(1, 20000) g;
CREATE INDEX shipments_carrier_idx ON shipments (carrier);
CREATE TABLE session_log (id bigserial PRIMARY KEY, token text) WITH (autovacuum_vacuum_scale_factor = 0.9);
INSERT INTO session_log (token) SELECT md5(g::text) FROM generate_series(1, 10000) g;
DELETE FROM session_log WHERE id % 5 < 2;
ANALYZE clickstream, audit_events, shipments, session_log;
"""
TEMP_SPILL_QUERY = "SELECT md5(g::text) AS h FROM generate_series(1, 150000) g ORDER BY 1 OFFSET 149999"


def plant_family_problems(conn: Any) -> None:
    """Plant the lasting problems (sync psycopg connection, autocommit, superuser)."""
    conn.execute(_LASTING)
    libs = conn.execute("SELECT current_setting('shared_preload_libraries')").fetchone()[0]
    if "pg_stat_statements" in libs:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        conn.execute("SET work_mem = '64kB'")
        conn.execute(TEMP_SPILL_QUERY)
        conn.execute("RESET work_mem")


class FamilyLiveProblems:
    """Hold the session-bound problems open at `url` while the `with` block runs (see the module doc).

    Raises:
        TimeoutError: a planted session or the autovacuum worker did not show within `timeout` seconds.
    """

    def __init__(self, url: str, timeout: float = 30.0) -> None:
        self.url = url
        self.timeout = timeout
        self.pids: dict[str, int] = {}
        self.prepared = False
        self._conns: list[Any] = []
        self._thread: threading.Thread | None = None

    def _connect(self, name: str) -> Any:
        import psycopg

        conn = psycopg.connect(self.url, autocommit=True, application_name=name)
        self._conns.append(conn)
        self.pids.setdefault(name, conn.info.backend_pid)
        return conn

    def _wait(self, monitor: Any, sql: str, what: str) -> None:
        deadline = time.monotonic() + self.timeout
        while not monitor.execute(sql).fetchone()[0]:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{what} did not show within {self.timeout} s")
            time.sleep(0.05)

    def __enter__(self) -> FamilyLiveProblems:
        try:
            self._open()
        except BaseException:
            self.close()
            raise
        return self

    def _open(self) -> None:
        monitor = self._connect("family-monitor")
        monitor.execute("CREATE TABLE ledger_archive (id bigint) WITH (autovacuum_freeze_max_age = 100000)")
        monitor.execute("INSERT INTO ledger_archive VALUES (1)")
        if int(monitor.execute("SHOW max_prepared_transactions").fetchone()[0]) > 0:
            tm = self._connect("payments-coordinator")
            tm.execute("BEGIN")
            tm.execute("INSERT INTO ledger_archive VALUES (2)")
            tm.execute("PREPARE TRANSACTION 'payments-batch-42'")
            self.prepared = True
            monitor.execute("CREATE PROCEDURE burn_xids(n int) LANGUAGE plpgsql AS $$ BEGIN FOR i IN 1..n LOOP "
                            "PERFORM pg_current_xact_id(); COMMIT; END LOOP; END $$")
            monitor.execute("CALL burn_xids(100500)")
        # a worker throttled to a crawl: 100 ms of sleep for every page it touches
        monitor.execute("CREATE TABLE telemetry (id bigserial PRIMARY KEY, reading float8) WITH "
                        "(autovacuum_vacuum_cost_delay = 100, autovacuum_vacuum_cost_limit = 1)")
        monitor.execute("INSERT INTO telemetry (reading) SELECT random() FROM generate_series(1, 20000)")
        monitor.execute("DELETE FROM telemetry WHERE id % 2 = 0")
        leader = self._connect("cron-leader")
        leader.execute("SELECT pg_advisory_lock(4242)")
        follower = self._connect("cron-follower")
        self._thread = threading.Thread(target=self._quietly, args=(follower, "SELECT pg_advisory_lock(4242)"), daemon=True)
        self._thread.start()
        aborted = self._connect("checkout-api")
        aborted.execute("BEGIN")
        try:
            aborted.execute("SELECT 1 / 0")
        except Exception:
            pass
        for _ in range(IDLE_WEB_CONNECTIONS):
            self._connect("web")
        self._wait(monitor, f"SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = {self.pids['cron-follower']} "
                   "AND wait_event_type = 'Lock')", "the advisory-lock waiter")
        self._wait(monitor, "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE backend_type = 'autovacuum worker' "
                   "AND datname = current_database() AND position('telemetry' in query) > 0)", "the autovacuum worker")

    @staticmethod
    def _quietly(conn: Any, sql: str) -> None:
        import psycopg

        try:
            conn.execute(sql)
        except psycopg.Error:
            pass  # ended on exit

    def close(self) -> None:
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as admin:
            if self.prepared:
                admin.execute("ROLLBACK PREPARED 'payments-batch-42'")
                self.prepared = False
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
                          "AND pid <> pg_backend_pid() AND backend_type = 'client backend'")
        if self._thread is not None:
            self._thread.join(timeout=self.timeout)
        for conn in self._conns:
            conn.close()
        self._conns.clear()

    def __exit__(self, *exc: object) -> None:
        self.close()
