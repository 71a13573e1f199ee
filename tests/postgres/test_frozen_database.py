"""A database that stops answering (SIGSTOP) gets a clear, bounded error over real STDIO, then recovers.

`statement_timeout` is enforced by the server, so a frozen server enforces nothing: only the client's
own deadlines can end the call. Each test starts its own embedded PostgreSQL, never the shared one.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import anyio
import pytest
from mcp import Client, StdioServerParameters, stdio_client

from mcp_servers.common.embedded_pg import EmbeddedPostgres

pytestmark = [pytest.mark.anyio, pytest.mark.faults]

CALL_BOUND = 30  # seconds: far above the deadlines below, far below "forever"
DEADLINE_ENV = {"PG_CONNECT_TIMEOUT_S": "1", "PG_STATEMENT_TIMEOUT_MS": "1000"}


@contextmanager
def frozen(server: EmbeddedPostgres) -> Iterator[None]:
    """Every process of the cluster stopped: connections are accepted by the kernel, answered by no one."""
    pids = server.process_ids()
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        for pid in pids:
            try:
                os.kill(pid, signal.SIGCONT)
            except ProcessLookupError:
                pass


@pytest.fixture
def own_pg() -> Iterator[EmbeddedPostgres]:
    server = EmbeddedPostgres.temporary().start()
    try:
        yield server
    finally:
        for pid in server.process_ids():  # never leave a stopped server behind
            try:
                os.kill(pid, signal.SIGCONT)
            except ProcessLookupError:
                pass
        server.destroy()


def _params(url: str) -> StdioServerParameters:
    return StdioServerParameters(
        command=sys.executable, args=["-m", "mcp_servers.postgres"], env={"DATABASE_URL": url, **DEADLINE_ENV}
    )


async def test_a_database_frozen_before_the_first_call_answers_an_error_naming_the_host(own_pg: EmbeddedPostgres) -> None:
    async with Client(stdio_client(_params(own_pg.url())), mode="legacy") as client:
        with frozen(own_pg):
            with anyio.fail_after(CALL_BOUND):
                result = await client.call_tool("pg_schema", {})
    assert result.is_error
    text = result.content[0].text
    assert f"database at host 127.0.0.1:{own_pg.port} did not answer within 2 s while connecting" in text


async def test_a_database_frozen_between_calls_fails_the_query_in_time_and_the_same_process_recovers(
    own_pg: EmbeddedPostgres,
) -> None:
    async with Client(stdio_client(_params(own_pg.url())), mode="legacy") as client:
        with anyio.fail_after(CALL_BOUND):
            assert not (await client.call_tool("pg_schema", {})).is_error  # the pool holds a live connection
        with frozen(own_pg):
            with anyio.fail_after(CALL_BOUND):
                during = await client.call_tool("pg_schema", {})
        with anyio.fail_after(CALL_BOUND):
            after = await client.call_tool("pg_schema", {})
    assert during.is_error
    assert f"database at host 127.0.0.1:{own_pg.port} did not answer within 6 s while running a query" in (
        during.content[0].text
    )
    assert not after.is_error, after.content[0].text
