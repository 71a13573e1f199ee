"""A server whose picked port is taken before it binds starts on another port (parallel workers race for ports)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from web_process import clean_env, running_web

from mcp_servers.common.embedded_pg import EmbeddedPostgres
from mcp_servers.common.ports import BIND_ATTEMPTS, PortTaken, free_port


@pytest.fixture
def held_port() -> Iterator[int]:
    """A loopback port this test listens on, as another worker would after our pick."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def test_the_embedded_server_starts_on_a_new_port_when_its_picked_port_is_taken(held_port: int) -> None:
    picks = iter([held_port])
    server = EmbeddedPostgres.temporary(pick_port=lambda: next(picks, None) or free_port())
    try:
        server.start()
        assert server.port != held_port
        with psycopg.connect(server.url()) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
        assert "address already in use" in (server.data_dir / "server.log").read_text().lower()
    finally:
        server.destroy()


def test_the_web_process_starts_on_a_new_port_when_its_picked_port_is_taken(held_port: int, tmp_path: Path) -> None:
    picks = iter([held_port])
    with running_web(clean_env(), tmp_path / "web.log", pick_port=lambda: next(picks, None) or free_port()) as web:
        assert web.port != held_port
        assert httpx.get(f"{web.base_url}/health", timeout=10).status_code == 200


def test_the_embedded_server_gives_up_naming_the_clash_when_every_pick_is_taken(held_port: int) -> None:
    picked = []
    server = EmbeddedPostgres.temporary(pick_port=lambda: picked.append(held_port) or held_port)
    try:
        with pytest.raises(PortTaken, match=r"(?is)embedded PostgreSQL did not start:.*address already in use"):
            server.start()
        assert len(picked) == BIND_ATTEMPTS
    finally:
        server.destroy()
