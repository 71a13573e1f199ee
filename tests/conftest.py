"""Shared fixtures: real PostgreSQL servers (embedded 18, and the machine's 15 when present).

`make test` runs pytest-xdist workers: each starts its own session servers (temporary data dirs, free ports)
and names its databases on the shared PostgreSQL 15 with its process id, so workers never share state."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg
import pytest

from mcp_servers.common.embedded_pg import EmbeddedPostgres

SYSTEM_PG_URL = os.environ.get("SYSTEM_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
_names = itertools.count()


# The `slow` tier: modules whose tests each start several real processes (servers over STDIO, the web
# process, the local endpoint as a command, the MCP Inspector) or run property tests. Measured under load:
# each of their tests takes seconds, while the rest of the suite runs in about a minute (`make test-fast`).
SLOW_MODULES = frozenset({
    "test_inspector.py", "test_web.py", "test_stdio_handshake.py", "test_redteam_review.py",
    "test_driver.py", "test_driver_exit_codes.py", "test_chat_mode.py", "test_registration_preflight.py", "test_registration_sync.py",
    "test_review_registration.py", "test_review_configs.py", "test_planner.py", "test_builtins.py",
    "test_process_faults.py", "test_upstream_log_masking.py", "test_stream_masking_and_settings.py", "test_cli.py",
    "test_frozen_database.py", "test_diagnose.py", "test_stdio.py", "test_runs.py",
    "test_warm.py", "test_registry.py",
})
# Single slow tests in otherwise fast modules (a STDIO server of their own, or a large generated corpus).
SLOW_TESTS = frozenset({
    "test_stdio_server_answers_a_2025_handshake_client_and_the_default_client",
    "test_red_team_corpus_is_refused_or_harmless_and_changes_nothing",
    "test_composed_query_is_accepted_exactly_when_it_has_no_hostile_piece",
    "test_the_stdio_server_explains_a_code_and_analyses_pasted_logs",
    "test_any_encoded_events_decode_back_whatever_the_chunking_and_line_ends",
    "test_the_web_process_starts_on_a_new_port_when_its_picked_port_is_taken",
})


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.name in SLOW_MODULES or getattr(item, "originalname", item.name) in SLOW_TESTS:
            item.add_marker(pytest.mark.slow)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@dataclass(frozen=True)
class PgCluster:
    """A running PostgreSQL server that tests can create throwaway databases on."""

    admin_url: str
    version: int

    def url(self, dbname: str, user: str | None = None) -> str:
        base = self.admin_url.rsplit("/", 1)[0]
        if user:
            scheme, rest = base.split("://", 1)
            rest = rest.split("@", 1)[-1]
            base = f"{scheme}://{user}@{rest}"
        return f"{base}/{dbname}"

    def create_database(self, prefix: str = "t") -> str:
        name = f"{prefix}_{os.getpid()}_{next(_names)}"
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop_database(self, url: str) -> None:
        name = url.rsplit("/", 1)[1]
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    @contextmanager
    def database(self, prefix: str = "t", *setup_sql: str) -> Iterator[str]:
        """A new database with each of `setup_sql` run in it (autocommit), dropped afterwards."""
        url = self.create_database(prefix)
        try:
            with psycopg.connect(url, autocommit=True) as conn:
                for sql in setup_sql:
                    conn.execute(sql)
            yield url
        finally:
            self.drop_database(url)


@pytest.fixture(scope="session")
def embedded_pg() -> Iterator[PgCluster]:
    """The embedded PostgreSQL 18 that `make demo` and a fresh machine rely on."""
    server = EmbeddedPostgres.temporary().start()
    url = server.url("postgres")
    with psycopg.connect(url) as conn:
        version = conn.info.server_version
    try:
        yield PgCluster(url, version)
    finally:
        server.destroy()


@pytest.fixture(scope="session")
def system_pg() -> PgCluster:
    """The machine's PostgreSQL 15 (a second server version); CI machines run it."""
    try:
        with psycopg.connect(SYSTEM_PG_URL, connect_timeout=3) as conn:
            version = conn.info.server_version
    except psycopg.OperationalError as exc:
        pytest.fail(f"the system PostgreSQL at {SYSTEM_PG_URL} is not reachable: {exc}")
    return PgCluster(SYSTEM_PG_URL, version)


@pytest.fixture(params=["embedded", "system"])
def any_pg(request: pytest.FixtureRequest) -> PgCluster:
    """Each PostgreSQL version the machine has: the test runs once per server."""
    return request.getfixturevalue(f"{request.param}_pg")


@pytest.fixture
def fresh_db(embedded_pg: PgCluster) -> Iterator[str]:
    """An empty database on the embedded server, dropped afterwards."""
    with embedded_pg.database() as url:
        yield url
