"""How many sessions were ever opened to a database, counted by the server (`pg_stat_database.sessions`,
PostgreSQL 14+). Used by the first-call connection test and the `postgres` benchmark."""

from __future__ import annotations

import time

import psycopg

__all__ = ["sessions_once_idle"]


def sessions_once_idle(db_url: str, timeout: float = 20.0) -> int:
    """Sessions ever opened to `db_url`'s database, read once none is open and the count is steady
    (a backend adds its session to the statistics as it exits). Reads through the `postgres` database."""
    name = db_url.rsplit("/", 1)[1]
    admin_url = db_url.rsplit("/", 1)[0] + "/postgres"
    deadline, last = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            row = conn.execute(
                "SELECT (SELECT count(*) FROM pg_stat_activity WHERE datname = %(db)s),"
                " (SELECT sessions FROM pg_stat_database WHERE datname = %(db)s)", {"db": name},
            ).fetchone()
        assert row is not None
        open_now, sessions = row
        if open_now == 0 and sessions is not None and sessions == last:
            return int(sessions)
        last = sessions if open_now == 0 else None
        time.sleep(0.3)
    raise TimeoutError(f"database {name} still had open sessions after {timeout:g} s")
