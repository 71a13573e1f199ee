import sys
import tempfile

import anyio
import pytest
from fake_platform import FAKE_API_KEY, FakeHeroku
from fake_world import SECRET_VALUES
from mcp import Client, StdioServerParameters, stdio_client

pytestmark = pytest.mark.anyio


async def test_stdio_server_diagnoses_an_app_through_the_fake_api_for_both_protocol_eras(
    fake: FakeHeroku, fake_url: str
) -> None:
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "mcp_servers.app_diagnostics", "--log-level", "DEBUG"],
        env={"HEROKU_API_KEY": FAKE_API_KEY, "HEROKU_API_URL": fake_url, "HEROKU_APP_NAME": "acme-shop"},
    )
    texts = []
    with tempfile.TemporaryFile("w+") as errlog:
        for mode, expected in (("legacy", "2025-11-25"), ("auto", "2026-07-28")):
            with anyio.fail_after(30):
                async with Client(stdio_client(params, errlog=errlog), mode=mode) as client:
                    assert client.protocol_version == expected
                    names = {t.name for t in (await client.list_tools()).tools}
                    overview = await client.call_tool("app_overview", {})
                    releases = await client.call_tool("recent_releases", {"limit": 5})
                    missing = await client.call_tool("app_overview", {"app": "ghost-app"})
            assert {"app_overview", "recent_releases"} <= names
            assert not overview.is_error and not releases.is_error
            assert overview.structured_content["formation"][0]["crashed_dynos"] == ["web.2"]
            assert releases.structured_content["releases"][1]["config_changes"]["added"] == ["STRIPE_WEBHOOK_SECRET"]
            assert missing.is_error and "app ghost-app not found or not visible to this API key" in missing.content[0].text
            texts += [overview.content[0].text, releases.content[0].text, missing.content[0].text]
        errlog.seek(0)
        stderr = errlog.read()
    everything = "\n".join(texts) + stderr
    assert [s for s in (*SECRET_VALUES, FAKE_API_KEY) if s in everything] == []
    assert "logplex" not in stderr and "srv=" not in stderr
    assert len(fake.api_calls("/apps/acme-shop")) >= 2 * 7


async def test_stdio_server_without_an_api_key_lists_tools_and_explains_the_missing_key() -> None:
    params = StdioServerParameters(command=sys.executable, args=["-m", "mcp_servers.app_diagnostics"], env={})
    with anyio.fail_after(30):
        async with Client(stdio_client(params)) as client:
            tools = (await client.list_tools()).tools
            result = await client.call_tool("recent_releases", {"app": "acme-shop"})
    assert {"app_overview", "recent_releases"} <= {t.name for t in tools}
    assert result.is_error and "HEROKU_API_KEY is not set" in result.content[0].text
