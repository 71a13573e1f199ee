"""Databases for the PostgreSQL tests: seeded ones shared for the session by the index, table and
storage-tool tests (read-only), and an empty one per test on each server."""

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from mcp_servers.common import embedded_pg
from mcp_servers.common.embedded_pg import EmbeddedPostgres
from mcp_servers.postgres.seed.storage import plant_healthy_storage, plant_storage_problems
from tests.postgres.pg_versions import MAJORS, SERVERS_ON_EVERY_VERSION, VERSION_SETTINGS, bin_path


def _seeded(request: pytest.FixtureRequest, name: str, plant: Callable[[Any], None]) -> Iterator[str]:
    """A database on the server `request.param` names, planted by `plant`, dropped afterwards."""
    cluster = request.getfixturevalue(f"{request.param}_pg")
    url = cluster.create_database(name)
    with psycopg.connect(url, autocommit=True) as conn:
        plant(conn)
    yield url
    cluster.drop_database(url)


@pytest.fixture(scope="session", params=["embedded", "system"])
def sick_db(request: pytest.FixtureRequest) -> Iterator[str]:
    """The storage problems of the sick database, on each PostgreSQL version."""
    yield from _seeded(request, "sick_storage", plant_storage_problems)


@pytest.fixture(scope="session", params=["embedded", "system"])
def healthy_db(request: pytest.FixtureRequest) -> Iterator[str]:
    """The same schema without the problems, on each PostgreSQL version."""
    yield from _seeded(request, "healthy_storage", plant_healthy_storage)


@pytest.fixture
def db_url(any_pg: "PgCluster") -> Iterator[str]:  # noqa: F821 (tests/conftest.py defines it; not importable by name here)
    """An empty database on each server the machine has, dropped afterwards."""
    url = any_pg.create_database("checks")
    try:
        yield url
    finally:
        any_pg.drop_database(url)


def _server_of_version(major: int):
    """The session fixture `pg<major>_pg`: a server of that major version (14-17 from npm, 18 from the wheel)."""

    @pytest.fixture(scope="session", name=f"pg{major}_pg")
    def server() -> Iterator["PgCluster"]:  # noqa: F821 (tests/conftest.py defines it; not importable by name here)
        from mcp_servers.common.embedded_pg import EmbeddedPostgres
        from tests.conftest import PgCluster

        running = EmbeddedPostgres.temporary(
            bin_path=bin_path(major) if major != 18 else None, extra_settings=VERSION_SETTINGS,
        ).start()
        url = running.url("postgres")
        with psycopg.connect(url) as conn:
            version = conn.info.server_version
        assert version // 10000 == major, f"asked for PostgreSQL {major}, got {version}"
        try:
            yield PgCluster(url, version)
        finally:
            running.destroy()

    return server


# One server per version for the whole session, whichever tests ask for it (`versioned_pg`, or a fixture
# parametrised with `SERVERS_ON_EVERY_VERSION` that looks up `<param>_pg`).
pg14_pg, pg15_pg, pg16_pg, pg17_pg, pg18_pg = (_server_of_version(major) for major in MAJORS)


@pytest.fixture(scope="session", params=MAJORS)
def versioned_pg(request: pytest.FixtureRequest) -> "PgCluster":  # noqa: F821 (tests/conftest.py defines it)
    """A server of each major version Heroku runs (14-17 from npm, cached in .data; 18 from the wheel)."""
    return request.getfixturevalue(f"pg{request.param}_pg")


@pytest.fixture(scope="session", params=SERVERS_ON_EVERY_VERSION)
def trap_db(request: pytest.FixtureRequest) -> Iterator["TrapDb"]:  # noqa: F821 (query_traps.TrapDb, imported lazily)
    """The booby-trapped database of the pg_query / pg_explain tests (tests/postgres/query_traps.py)."""
    from query_traps import query_trap_db

    yield from query_trap_db(request.getfixturevalue(f"{request.param}_pg"))


PG15_BIN = Path("/usr/lib/postgresql/15/bin")


class Preloaded15(EmbeddedPostgres):
    """A private cluster of the machine's PostgreSQL 15 binaries, started with the embedded server's
    settings (pg_stat_statements preloaded), so the PG 13-16 column names run against a real server."""

    def _pg(self, tool: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(PG15_BIN / tool), *args], user=embedded_pg._run_as(), check=True,
                              capture_output=True, text=True, timeout=timeout, cwd="/")


@pytest.fixture(scope="session")
def preloaded15_pg() -> Iterator["PgCluster"]:  # noqa: F821 (tests/conftest.py defines it; not importable by name here)
    """The machine's PostgreSQL 15 with pg_stat_statements preloaded (the shared system server lacks it)."""
    from tests.conftest import PgCluster

    if not (PG15_BIN / "initdb").exists():
        pytest.fail(f"PostgreSQL 15 binaries not found in {PG15_BIN} (apt-get install postgresql-15)")
    server = Preloaded15.temporary().start()
    try:
        with psycopg.connect(server.url("postgres")) as conn:
            yield PgCluster(server.url("postgres"), conn.info.server_version)
    finally:
        server.destroy()
