"""Fixtures of the app-diagnostics tests: the fake Platform API, in-process and on a loopback port."""

from __future__ import annotations

import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import httpx
import pytest
from pydantic import SecretStr

sys.path.insert(0, str(Path(__file__).resolve().parent))  # fake_platform, fake_world, log_generator

from appdiag_support import FAKE_URL, SleepRecorder
from fake_platform import FAKE_API_KEY, FakeHeroku

from mcp_servers.app_diagnostics.platform_api import PlatformAPI
from mcp_servers.app_diagnostics.settings import AppDiagSettings


@pytest.fixture
def fake() -> FakeHeroku:
    """The fake Platform API; every test using it also proves the traffic followed the schema."""
    server = FakeHeroku()
    yield server
    assert server.contract_problems() == []


@pytest.fixture
def settings() -> AppDiagSettings:
    return AppDiagSettings(heroku_api_key=SecretStr(FAKE_API_KEY), heroku_api_url=FAKE_URL)


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()


@pytest.fixture
async def api(fake: FakeHeroku, settings: AppDiagSettings, sleeps: SleepRecorder) -> AsyncIterator[PlatformAPI]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=fake)) as http:
        yield PlatformAPI(settings, http=http, sleep=sleeps)


@pytest.fixture
async def fake_url(fake: FakeHeroku) -> AsyncIterator[str]:
    """The fake served by uvicorn on a loopback port (bound before serving, so no readiness wait)."""
    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(fake, log_level="warning", lifespan="off"))
    async with anyio.create_task_group() as tg:
        tg.start_soon(server.serve, [sock])
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            server.should_exit = True
            server.force_exit = True  # do not wait for requests a test left hanging
    sock.close()
