import httpx
import pytest
from appdiag_support import FAKE_URL
from fake_platform import FakeHeroku
from mcp import Client

from mcp_servers.app_diagnostics.platform_api import PlatformAPI
from mcp_servers.app_diagnostics.server import build_server
from mcp_servers.app_diagnostics.settings import AppDiagSettings

pytestmark = pytest.mark.anyio


def _statuses(result: dict) -> dict[str, str]:
    return {f["check"]: f["status"] for f in result["findings"]}


async def test_overview_of_a_sick_app_flags_the_crashed_dyno_failed_release_and_provisioning_addon(
    settings: AppDiagSettings, api: PlatformAPI
) -> None:
    async with Client(build_server(settings, api=api)) as client:
        result = await client.call_tool("app_overview", {"app": "acme-shop"})
    assert not result.is_error
    overview = result.structured_content
    assert overview["status"] == "red"
    assert overview["app"] | {"id": None} == {
        "name": "acme-shop", "id": None, "generation": "cedar", "stack": "heroku-24", "region": "us",
        "maintenance": False, "released_at": "2026-11-25T10:00:00Z",
        "web_url": "https://acme-shop-3f9a2c1b7d4e.herokuapp.com/", "space": None,
    }
    assert overview["formation"] == [
        {"type": "web", "size": "Standard-1X", "desired": 2, "up": 1, "starting": 0, "crashed": 1, "idle": 0,
         "down": 0, "crashed_dynos": ["web.2"]},
        {"type": "worker", "size": "Standard-1X", "desired": 1, "up": 1, "starting": 0, "crashed": 0, "idle": 0,
         "down": 0, "crashed_dynos": []},
    ]
    assert overview["one_off_dynos"] == 1
    assert [(r["version"], r["status"], r["current"]) for r in overview["releases"]] == [
        (13, "failed", False), (12, "succeeded", True), (11, "succeeded", False), (10, "succeeded", False),
        (9, "succeeded", False),
    ]
    assert [(a["name"], a["plan"], a["state"]) for a in overview["addons"]] == [
        ("papertrail-flat-10293", "papertrail:choklad", "provisioned"),
        ("postgresql-curved-42137", "heroku-postgresql:essential-0", "provisioned"),
        ("redis-rigid-77311", "heroku-redis:mini", "provisioning"),
    ]
    assert {f["name"]: f["enabled"] for f in overview["features"]} == {
        "log-runtime-metrics": True, "http-routing-2-dot-0": False, "preboot": False, "runtime-dyno-metadata": True,
    }
    assert _statuses(overview) == {
        "web_formation": "green", "crashed_dynos": "red", "latest_release": "red", "addons": "yellow",
        "runtime_metrics": "green",
    }
    crashed = next(f for f in overview["findings"] if f["check"] == "crashed_dynos")
    assert crashed["rows"] == [{"dyno": "web.2", "release": 12, "since": "2026-11-25T10:57:00Z"}]
    release = next(f for f in overview["findings"] if f["check"] == "latest_release")
    assert release["summary"] == "the latest release v13 failed; v12 is still current"
    assert overview["rate_limit_remaining"] == 4500 - 6


async def test_overview_flags_web_scaled_to_zero_as_an_h14_risk_and_maintenance_mode(
    settings: AppDiagSettings, api: PlatformAPI
) -> None:
    async with Client(build_server(settings, api=api)) as client:
        result = await client.call_tool("app_overview", {"app": "idle-api"})
    overview = result.structured_content
    assert _statuses(overview) == {
        "web_formation": "red", "maintenance": "yellow", "crashed_dynos": "green", "latest_release": "green",
        "addons": "green", "runtime_metrics": "skipped",
    }
    web = next(f for f in overview["findings"] if f["check"] == "web_formation")
    assert "H14" in web["summary"] and web["remediation"] == "heroku ps:scale web=1"
    metrics = next(f for f in overview["findings"] if f["check"] == "runtime_metrics")
    assert metrics["reason"] == "log-runtime-metrics is not available on Fir-generation apps"
    assert overview["formation"] == [{"type": "web", "size": "Standard-1X", "desired": 0, "up": 0, "starting": 0,
                                      "crashed": 0, "idle": 0, "down": 0, "crashed_dynos": []}]


async def test_overview_calls_it_a_crash_loop_when_no_dyno_of_a_type_is_up(api: PlatformAPI) -> None:
    settings = AppDiagSettings(heroku_api_key=api.settings.heroku_api_key, heroku_api_url=FAKE_URL,
                               heroku_app_name="loop-app")
    async with Client(build_server(settings, api=api)) as client:
        result = await client.call_tool("app_overview", {})  # the app comes from HEROKU_APP_NAME
    overview = result.structured_content
    assert overview["app"]["name"] == "loop-app"
    loop = next(f for f in overview["findings"] if f["check"] == "crash_loop")
    assert loop["status"] == "red"
    assert loop["summary"] == "no web dyno is up: 2 crashed, 1 starting; they run v7 (Deploy 0badc0d)"
    assert _statuses(overview)["runtime_metrics"] == "yellow"


async def test_overview_asks_for_an_app_when_there_is_no_argument_and_no_heroku_app_name(
    settings: AppDiagSettings, api: PlatformAPI
) -> None:
    async with Client(build_server(settings, api=api)) as client:
        result = await client.call_tool("app_overview", {})
    assert result.is_error
    assert result.content[0].text.endswith("no app given: pass `app` (the Heroku app name) or set HEROKU_APP_NAME")


async def test_overview_of_an_unknown_app_says_it_is_not_found_or_not_visible(
    settings: AppDiagSettings, api: PlatformAPI
) -> None:
    async with Client(build_server(settings, api=api)) as client:
        result = await client.call_tool("app_overview", {"app": "ghost-app"})
    assert result.is_error
    assert "app ghost-app not found or not visible to this API key" in result.content[0].text


async def test_without_an_api_key_tools_still_list_and_calls_name_heroku_api_key(fake: FakeHeroku) -> None:
    settings = AppDiagSettings(heroku_api_url=FAKE_URL)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=fake)) as http:
        async with Client(build_server(settings, api=PlatformAPI(settings, http=http))) as client:
            tools = await client.list_tools()
            result = await client.call_tool("app_overview", {"app": "acme-shop"})
    assert {"app_overview", "recent_releases"} <= {t.name for t in tools.tools}
    assert result.is_error and "HEROKU_API_KEY is not set" in result.content[0].text
    assert fake.exchanges == []


async def test_every_tool_is_read_only_with_an_output_schema_and_a_description(settings: AppDiagSettings) -> None:
    async with Client(build_server(settings)) as client:
        tools = (await client.list_tools()).tools
    assert tools
    for tool in tools:
        assert tool.annotations is not None and tool.annotations.read_only_hint is True, tool.name
        assert tool.annotations.open_world_hint is not None, tool.name
        assert tool.output_schema and len(tool.description or "") > 80, tool.name
