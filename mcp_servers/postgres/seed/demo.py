"""The embedded fallback's database `demo`: seeded once on first use, then kept.

`ensure_demo_database(admin_url)` returns the URL of `demo` on the embedded server, seeding it first
when it does not carry this seed's stamp (a database comment written last). Seeding runs under a
PostgreSQL advisory lock, so servers started at once seed it once. The lasting problems of the sick
database go into schema `sick`; the index advisor's known-answer workload goes into `public` and runs
after pg_stat_statements is reset for this database, so the top statements are the workload, not our
set-up. `python -m mcp_servers.postgres.seed.demo` (`make demo-db`) reseeds it.
"""

from __future__ import annotations

import argparse
import logging
import time
from dataclasses import dataclass
from typing import Any

from mcp_servers.postgres.database_source import DEMO_DATABASE, RESEED_COMMAND

__all__ = ["DEMO_DATABASE", "RESEED_COMMAND", "DemoDatabase", "ensure_demo_database"]

logger = logging.getLogger(__name__)

PROBLEMS_SCHEMA = "sick"
STAMP = "heroku-mcp-toolkit demo database, seed 1"  # raise the number when the seed changes: old ones reseed
_LOCK_KEY = 0x686D7464656D6F  # "hmtdemo": one seeder per cluster at a time


@dataclass(frozen=True)
class DemoDatabase:
    url: str
    seeded_seconds: float | None  # None: it was already seeded (by an earlier start or a concurrent one)


def _stamp(admin: Any) -> str | None:
    row = admin.execute(
        "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", (DEMO_DATABASE,)
    ).fetchone()
    return row[0] if row else None


def _plant_problems(url: str) -> None:
    """The sick database's lasting plantings (no live sessions), each in schema `sick`."""
    import psycopg
    from psycopg import sql

    from mcp_servers.postgres.seed.activity import plant_server_problems
    from mcp_servers.postgres.seed.families import plant_family_problems
    from mcp_servers.postgres.seed.storage import plant_storage_problems

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements SCHEMA public")
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(PROBLEMS_SCHEMA)))
        # Every session of the planting (its worker threads too) resolves names in `sick` first.
        conn.execute(sql.SQL("ALTER DATABASE {} SET search_path = {}, public").format(
            sql.Identifier(DEMO_DATABASE), sql.Identifier(PROBLEMS_SCHEMA)))
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            plant_storage_problems(conn)
            plant_server_problems(conn)
            plant_family_problems(conn)
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(sql.SQL("ALTER DATABASE {} RESET search_path").format(sql.Identifier(DEMO_DATABASE)))


def _plant_workload(url: str) -> None:
    """The index advisor's known-answer tables and workload, with only the workload in pg_stat_statements."""
    import psycopg

    from mcp_servers.postgres.seed.index_workload import plant_index_workload, run_index_workload

    with psycopg.connect(url, autocommit=True) as conn:
        plant_index_workload(conn)
        conn.execute("SELECT pg_stat_statements_reset(0, oid, 0) FROM pg_database WHERE datname = current_database()")
    with psycopg.connect(url, autocommit=True) as conn:
        run_index_workload(conn)


def ensure_demo_database(admin_url: str, *, reseed: bool = False) -> DemoDatabase:
    """`demo` on the server of `admin_url`, seeded first if needed (or if `reseed`).

    Raises:
        RuntimeError: the seed failed (the database is left without its stamp, so the next start retries).
    """
    import psycopg
    from psycopg import sql

    from mcp_servers.postgres.seed import database_url, recreate_database

    url = database_url(admin_url, DEMO_DATABASE)
    try:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=10) as admin:
            admin.execute("SELECT pg_advisory_lock(%s)", (_LOCK_KEY,))  # released when `admin` closes
            if not reseed and _stamp(admin) == STAMP:
                return DemoDatabase(url, None)
            started = time.perf_counter()
            logger.info("seeding the embedded demo database %s (once; `%s` reseeds it)", DEMO_DATABASE, RESEED_COMMAND)
            recreate_database(admin_url, DEMO_DATABASE)
            _plant_problems(url)
            _plant_workload(url)
            admin.execute(sql.SQL("COMMENT ON DATABASE {} IS {}").format(sql.Identifier(DEMO_DATABASE), sql.Literal(STAMP)))
    except psycopg.Error as exc:
        raise RuntimeError(f"could not seed the demo database: {exc}") from None
    seconds = time.perf_counter() - started
    logger.info("seeded the embedded demo database %s in %.1f s", DEMO_DATABASE, seconds)
    return DemoDatabase(url, seconds)


def main() -> int:
    parser = argparse.ArgumentParser(description="Reseed the embedded demo database `demo` (starts the server if needed).")
    parser.add_argument("--data-dir", help="the embedded cluster's folder (default: EMBEDDED_PG_DATA_DIR or .data/postgres)")
    args = parser.parse_args()

    from pathlib import Path

    from mcp_servers.common.embedded_pg import EmbeddedPostgres
    from mcp_servers.postgres.settings import PostgresSettings

    data_dir = Path(args.data_dir) if args.data_dir else PostgresSettings.from_env().embedded_data_dir
    demo = ensure_demo_database(EmbeddedPostgres(data_dir).start().url(), reseed=True)
    print(f"seeded {demo.url} in {demo.seeded_seconds:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
