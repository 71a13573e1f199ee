"""mcp-appdiag figures: STDIO cold start against a minimal MCPServer, tools/list size, and the
in-process time of app_overview / recent_releases against the fake Platform API (no network)."""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import anyio

from benchmarks._stdio import cold_start_report

FAKE_DIR = Path(__file__).resolve().parents[1] / "tests" / "app_diagnostics"


async def _tool_ms(runs: int = 5) -> dict[str, float]:
    import httpx
    from mcp import Client
    from pydantic import SecretStr

    sys.path.insert(0, str(FAKE_DIR))
    from fake_platform import FAKE_API_KEY, FakeHeroku

    from mcp_servers.app_diagnostics.platform_api import PlatformAPI
    from mcp_servers.app_diagnostics.server import build_server
    from mcp_servers.app_diagnostics.settings import AppDiagSettings

    settings = AppDiagSettings(heroku_api_key=SecretStr(FAKE_API_KEY), heroku_api_url="http://api.heroku.test")
    figures = {}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=FakeHeroku())) as http:
        async with Client(build_server(settings, api=PlatformAPI(settings, http=http))) as client:
            await client.list_tools()
            for tool, args in (("app_overview", {"app": "acme-shop"}), ("recent_releases", {"app": "acme-shop", "limit": 10})):
                times = []
                for _ in range(runs):
                    started = time.perf_counter()
                    result = await client.call_tool(tool, args)
                    times.append((time.perf_counter() - started) * 1000)
                    assert not result.is_error, result.content
                figures[f"{tool}_ms_against_in_process_fake"] = round(statistics.median(times), 1)
    return figures


def run() -> dict:
    env = {"HEROKU_API_KEY": "bench-not-a-real-key", "HEROKU_APP_NAME": "acme-shop"}
    report = cold_start_report(["-m", "mcp_servers.app_diagnostics"], env)
    report.update(anyio.run(_tool_ms))
    return report
