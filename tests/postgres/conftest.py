"""Databases seeded once per session and shared by the index, table and storage-tool tests (read-only)."""

from collections.abc import Iterator

import psycopg
import pytest

from mcp_servers.postgres.seed.storage import plant_healthy_storage, plant_storage_problems
from tests.postgres.pg_versions import MAJORS, VERSION_SETTINGS, bin_path


@pytest.fixture(scope="session", params=["embedded", "system"])
def sick_db(request: pytest.FixtureRequest) -> Iterator[str]:
    """The storage problems of the sick database, on each PostgreSQL version."""
    cluster = request.getfixturevalue(f"{request.param}_pg")
    url = cluster.create_database("sick_storage")
    with psycopg.connect(url, autocommit=True) as conn:
        plant_storage_problems(conn)
    yield url
    cluster.drop_database(url)


@pytest.fixture(scope="session", params=["embedded", "system"])
def healthy_db(request: pytest.FixtureRequest) -> Iterator[str]:
    """The same schema without the problems, on each PostgreSQL version."""
    cluster = request.getfixturevalue(f"{request.param}_pg")
    url = cluster.create_database("healthy_storage")
    with psycopg.connect(url, autocommit=True) as conn:
        plant_healthy_storage(conn)
    yield url
    cluster.drop_database(url)


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
