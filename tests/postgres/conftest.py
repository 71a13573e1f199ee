"""Databases seeded once per session and shared by the index, table and storage-tool tests (read-only)."""

from collections.abc import Iterator

import psycopg
import pytest

from mcp_servers.postgres.seed.storage import plant_healthy_storage, plant_storage_problems


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
