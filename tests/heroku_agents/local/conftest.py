"""Fixtures for the local Agents endpoint: one app per test module (tool sync spawns real servers)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import httpx
import pytest
from local_support import DATABASE_URL, KEY, TEST_PROCFILE, serve_on_loopback

from heroku_agents.local.app import create_app
from heroku_agents.local.settings import LocalSettings


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def pid_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pids")


@pytest.fixture(scope="module")
def settings(pid_dir: Path) -> LocalSettings:
    return LocalSettings(key=KEY, procfile=TEST_PROCFILE, child_env={"FLAKY_PID_DIR": str(pid_dir), "DATABASE_URL": DATABASE_URL},
                         code_exec=True, fetch_allow_private=True)  # both off by default; the tests use them


@pytest.fixture(scope="module")
async def app(settings: LocalSettings):
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        with anyio.fail_after(30):
            await app.state.local.ready.wait()
        yield app


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://local", headers={"Authorization": f"Bearer {KEY}"}, timeout=60) as c:
        yield c


@pytest.fixture(scope="module")
async def live_url(app) -> AsyncIterator[str]:
    """The same app served by uvicorn on a free loopback port (where the socket matters)."""
    async with serve_on_loopback(app) as url:
        yield url
