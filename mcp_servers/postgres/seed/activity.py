"""Server-level and live problems for the "sick" database.

`plant_server_problems(conn)` leaves lasting problems: an int sequence near its max, a bigint sequence
feeding an int column, an unlogged table, a NOT VALID constraint, and a slow statement pattern in
pg_stat_statements. `LiveProblems(url)` holds the problems that only exist while sessions do: a
transaction idle with locks, a blocked lock chain (row locks and a table lock) and a long query.
Live problems are seconds old, so checks of their age need smaller limits (see `LIVE_LIMITS`).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

__all__ = ["LIVE_LIMITS", "SLOW_CALLS", "SLOW_QUERY", "LiveProblems", "plant_server_problems"]

logger = logging.getLogger(__name__)

# Limits under which the young live problems count (pass to pg_diagnose `limits` or Check.with_limits).
LIVE_LIMITS: dict[str, dict[str, float]] = {
    "long_running_queries": {"yellow_seconds": 0.0},
    "long_transactions": {"yellow_seconds": 0.0},
    "idle_in_transaction": {"red_seconds": 0.0},
    "blocking_queries": {"red_seconds": 0.0},
    "exclusive_locks": {"min_seconds": 0.0},
}

# A report query whose cost is a sleep, so the seed stays fast: 120 calls of ~25 ms each give a mean over
# PgHero's 20 ms with more than its 100 calls, and six parallel sessions do them in about half a second.
SLOW_QUERY = "SELECT count(*), sum(amount_cents) FROM payments CROSS JOIN pg_sleep(%s) WHERE amount_cents > %s"
SLOW_CALLS = 120
_SLOW_SECONDS = 0.025
_SLOW_WORKERS = 6

_SERVER_PROBLEMS = """
CREATE TABLE support_tickets (id serial PRIMARY KEY, subject text NOT NULL);
SELECT setval('support_tickets_id_seq', 2000000000);
CREATE SEQUENCE legacy_invoice_seq AS bigint;
CREATE TABLE legacy_invoices (id integer PRIMARY KEY DEFAULT nextval('legacy_invoice_seq'), total_cents bigint);
ALTER SEQUENCE legacy_invoice_seq OWNED BY legacy_invoices.id;
SELECT setval('legacy_invoice_seq', 1700000000);
CREATE UNLOGGED TABLE session_cache (key text PRIMARY KEY, value jsonb, expires_at timestamptz);
INSERT INTO session_cache SELECT 'session:' || g, '{}'::jsonb, now() + interval '1 hour' FROM generate_series(1, 100) g;
CREATE TABLE payments (id bigserial PRIMARY KEY, amount_cents integer NOT NULL, note text);
INSERT INTO payments (amount_cents, note) SELECT (g % 5000) - 10, 'payment ' || g FROM generate_series(1, 2000) g;
ALTER TABLE payments ADD CONSTRAINT payments_amount_positive CHECK (amount_cents > 0) NOT VALID;
"""


def _stat_statements_loaded(conn: Any) -> bool:
    libs = conn.execute("SELECT current_setting('shared_preload_libraries')").fetchone()[0]
    return "pg_stat_statements" in libs


def plant_server_problems(conn: Any) -> None:
    """Plant the lasting server-level problems (sync psycopg connection, autocommit, superuser)."""
    import psycopg

    conn.execute(_SERVER_PROBLEMS)
    if not _stat_statements_loaded(conn):
        logger.info("pg_stat_statements is not preloaded on this server; no slow query pattern planted")
        return
    conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
    calls = [SLOW_CALLS // _SLOW_WORKERS + (i < SLOW_CALLS % _SLOW_WORKERS) for i in range(_SLOW_WORKERS)]
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            with psycopg.connect(conn.info.dsn, password=conn.info.password, autocommit=True,
                                 application_name="reports-worker") as worker:
                for i in range(n):
                    worker.execute(SLOW_QUERY, (_SLOW_SECONDS, i % 3))
        except psycopg.Error as exc:  # reported to the caller below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,), daemon=True) for n in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    if errors:
        raise RuntimeError(f"planting the slow query pattern failed: {errors[0]}")


_LIVE_SETUP = """
CREATE TABLE IF NOT EXISTS wallets (id integer PRIMARY KEY, balance_cents bigint NOT NULL);
INSERT INTO wallets VALUES (1, 1000), (2, 500) ON CONFLICT DO NOTHING;
CREATE TABLE IF NOT EXISTS ledger_entries (id bigserial PRIMARY KEY, wallet_id integer, cents bigint);
"""


class LiveProblems:
    """Hold live problems open in the database at `url` while the `with` block runs.

    - `billing-api` (the holder): a transaction that updated wallet 1 and took ACCESS EXCLUSIVE on
      ledger_entries, now idle in transaction;
    - `billing-worker` waits on the holder's transaction id (row lock on wallet 1);
    - `billing-retry` waits on the worker (tuple lock on the same row): a chain holder <- worker <- retry;
    - `ledger-report` waits on the holder's table lock (relation lock);
    - `nightly-export` runs a long query (pg_sleep).

    Each step waits (bounded) until pg_stat_activity shows it. Leaving the block cancels the waits and the
    long query, rolls the holder back and closes every session.

    Raises:
        TimeoutError: a session did not reach its expected state within `timeout` seconds.
    """

    def __init__(self, url: str, timeout: float = 10.0) -> None:
        self.url = url
        self.timeout = timeout
        self.pids: dict[str, int] = {}
        self._conns: dict[str, Any] = {}
        self._threads: list[threading.Thread] = []
        self._monitor: Any = None

    def _connect(self, name: str, autocommit: bool = True) -> Any:
        import psycopg

        conn = psycopg.connect(self.url, autocommit=autocommit, application_name=name)
        self._conns[name] = conn
        self.pids[name] = conn.info.backend_pid
        return conn

    def _wait_for(self, name: str, condition: str) -> None:
        """Poll pg_stat_activity until session `name` satisfies `condition` (SQL over a = its row)."""
        deadline = time.monotonic() + self.timeout
        sql = f"SELECT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.pid = %s AND {condition})"
        while not self._monitor.execute(sql, (self.pids[name],)).fetchone()[0]:
            if time.monotonic() > deadline:
                raise TimeoutError(f"session {name} did not reach `{condition}` within {self.timeout} s")
            time.sleep(0.01)

    def _run_in_thread(self, name: str, sql: str) -> None:
        import psycopg

        conn = self._connect(name)

        def run() -> None:
            try:
                conn.execute(sql)
            except psycopg.errors.QueryCanceled:
                pass  # cancelled on exit: expected
            except psycopg.Error as exc:
                logger.warning("live problem session %s ended with %s", name, exc)

        thread = threading.Thread(target=run, name=f"live-{name}", daemon=True)
        thread.start()
        self._threads.append(thread)

    def __enter__(self) -> LiveProblems:
        import psycopg

        try:
            self._monitor = psycopg.connect(self.url, autocommit=True, application_name="live-problems-monitor")
            self._monitor.execute(_LIVE_SETUP)
            holder = self._connect("billing-api", autocommit=False)
            holder.execute("UPDATE wallets SET balance_cents = balance_cents - 100 WHERE id = 1")
            holder.execute("LOCK TABLE ledger_entries IN ACCESS EXCLUSIVE MODE")
            self._wait_for("billing-api", "a.state = 'idle in transaction'")
            self._run_in_thread("billing-worker", "UPDATE wallets SET balance_cents = balance_cents + 100 WHERE id = 1")
            self._wait_for("billing-worker", "a.wait_event_type = 'Lock'")
            self._run_in_thread("billing-retry", "UPDATE wallets SET balance_cents = balance_cents + 100 WHERE id = 1")
            self._wait_for("billing-retry", "a.wait_event_type = 'Lock'")
            self._run_in_thread("ledger-report", "SELECT count(*) FROM ledger_entries")
            self._wait_for("ledger-report", "a.wait_event_type = 'Lock'")
            self._run_in_thread("nightly-export", "SELECT pg_sleep(600) /* nightly export */")
            self._wait_for("nightly-export", "a.state = 'active' AND position('pg_sleep' in a.query) > 0")
        except BaseException:
            self.close()
            raise
        return self

    def close(self) -> None:
        import psycopg

        for name, conn in self._conns.items():
            if name != "billing-api":
                try:
                    conn.cancel_safe(timeout=self.timeout)
                except psycopg.Error as exc:
                    logger.warning("could not cancel %s: %s", name, exc)
        holder = self._conns.get("billing-api")
        if holder is not None:
            holder.rollback()
        for thread in self._threads:
            thread.join(timeout=self.timeout)
        for conn in self._conns.values():
            conn.close()
        if self._monitor is not None:
            self._monitor.close()
        self._conns.clear()
        self._threads.clear()

    def __exit__(self, *exc: object) -> None:
        self.close()
