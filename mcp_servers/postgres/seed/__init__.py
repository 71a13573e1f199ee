"""A realistic "sick" database for the demo, the tests and the benchmarks.

`sick_database(admin_url, name)` creates the database, plants one of each problem the checks look for
(storage problems from `seed.storage`, server-level problems from `seed.activity`, the lasting
problem families from `seed.families`), holds the live
ones (idle transaction, blocked lock chain, long query) open while the `with` block runs, and drops
the database afterwards unless `keep=True`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["database_url", "recreate_database", "sick_database"]


def database_url(admin_url: str, name: str) -> str:
    """The URL of database `name` on the server of `admin_url` (same user, host and port)."""
    return admin_url.rsplit("/", 1)[0] + "/" + name


def recreate_database(admin_url: str, name: str) -> str:
    """Drop and create `name` on the server of `admin_url`; return its URL."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return database_url(admin_url, name)


@contextmanager
def sick_database(admin_url: str, name: str = "sick", *, live: bool = True, keep: bool = False) -> Iterator[str]:
    """Yield the URL of a freshly seeded sick database (live problems held open when `live`)."""
    import psycopg

    from mcp_servers.postgres.seed.activity import LiveProblems, plant_server_problems
    from mcp_servers.postgres.seed.families import plant_family_problems
    from mcp_servers.postgres.seed.storage import plant_storage_problems

    url = recreate_database(admin_url, name)
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            plant_storage_problems(conn)
            plant_server_problems(conn)
            plant_family_problems(conn)
        if live:
            with LiveProblems(url):
                yield url
        else:
            yield url
    finally:
        if not keep:
            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(psycopg.sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(psycopg.sql.Identifier(name)))
