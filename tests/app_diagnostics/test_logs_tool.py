"""analyze_logs and explain_error_code through MCP: pasted text, and the fake Platform API's log sessions."""

import json
import sys

import anyio
import pytest
from fake_platform import FAKE_API_KEY, FakeHeroku
from log_generator import generate_lines
from mcp import Client, StdioServerParameters, stdio_client

from mcp_servers.app_diagnostics.logs.codes import CODES
from mcp_servers.app_diagnostics.platform_api import PlatformAPI
from mcp_servers.app_diagnostics.server import build_server
from mcp_servers.app_diagnostics.settings import AppDiagSettings

pytestmark = pytest.mark.anyio


async def test_pasted_log_text_is_analysed_without_an_api_key() -> None:
    text = "\n".join(generate_lines(1500))
    async with Client(build_server(AppDiagSettings())) as client:
        result = await client.call_tool("analyze_logs", {"log_text": text})
    assert not result.is_error
    data = result.structured_content
    assert data["source"] == "pasted text"
    assert data["parse"]["lines"] == 1500 and data["parse"]["not_understood"] == 0
    assert data["findings"][0]["status"] == "red"
    assert {"H12", "R14", "R15"} <= {c["code"] for c in data["codes"]}
    text_out = result.content[0].text
    assert text_out.startswith("Logs from pasted text: 1500 lines")
    assert "Error burst" in text_out and "after release v12" in text_out
    assert len(text_out) < 6000  # compact: the model reads this


async def test_log_session_lines_are_fetched_filtered_and_correlated_with_api_releases(
    fake: FakeHeroku, api: PlatformAPI, settings: AppDiagSettings,
) -> None:
    async with Client(build_server(settings, api=api)) as client:
        result = await client.call_tool("analyze_logs", {"app": "acme-shop", "lines": 800, "source": "heroku", "dyno": "web"})
    assert not result.is_error, result.content[0].text
    data = result.structured_content
    assert data["source"] == "log session of acme-shop (source=heroku, dyno=web)"
    (session,) = fake.api_calls("/log-sessions")
    assert (session.method, session.body) == ("POST", {"lines": 800, "tail": False, "source": "heroku", "type": "web"})
    assert data["parse"]["by_kind"].get("app", 0) == 0  # only heroku-sourced lines came back
    assert {d["dyno"] for d in data["dynos"]} <= {"web.1", "web.2"}
    assert fake.api_calls("/releases"), "recent releases are read to explain error bursts"
    assert data["releases"], "releases from the API are listed"


async def test_a_dyno_name_is_sent_as_dyno_name(fake: FakeHeroku, api: PlatformAPI, settings: AppDiagSettings) -> None:
    async with Client(build_server(settings, api=api)) as client:
        result = await client.call_tool("analyze_logs", {"app": "acme-shop", "dyno": "web.2", "lines": 300})
    assert not result.is_error
    (session,) = fake.api_calls("/log-sessions")
    assert session.body == {"lines": 300, "tail": False, "dyno_name": "web.2"}


async def test_the_api_key_and_secret_looking_lines_never_reach_the_output(
    fake: FakeHeroku, api: PlatformAPI, settings: AppDiagSettings,
) -> None:
    fake.log_source = lambda app: [
        f"garbled {FAKE_API_KEY} line",
        "2026-11-25T09:00:00.000000+00:00 heroku[web.1]: DATABASE_URL=postgres://u:pw-very-secret@h/db unknown",
        *generate_lines(50),
    ]
    async with Client(build_server(settings, api=api)) as client:
        result = await client.call_tool("analyze_logs", {"app": "acme-shop"})
    wire = result.content[0].text + json.dumps(result.structured_content)
    assert result.structured_content["parse"]["not_understood"] == 2
    assert FAKE_API_KEY not in wire and "pw-very-secret" not in wire


async def test_fetching_logs_without_an_api_key_says_how_to_get_one() -> None:
    async with Client(build_server(AppDiagSettings(heroku_app_name="acme-shop"))) as client:
        result = await client.call_tool("analyze_logs", {})
    assert result.is_error and "HEROKU_API_KEY is not set" in result.content[0].text


async def test_empty_pasted_text_is_a_clear_error_not_a_fetch() -> None:
    async with Client(build_server(AppDiagSettings(heroku_app_name="acme-shop"))) as client:
        result = await client.call_tool("analyze_logs", {"log_text": "  \n"})
    assert result.is_error and "log_text is empty" in result.content[0].text


async def test_more_than_1500_lines_is_rejected_by_the_schema() -> None:
    async with Client(build_server(AppDiagSettings())) as client:
        result = await client.call_tool("analyze_logs", {"app": "acme-shop", "lines": 5000})
    assert result.is_error and "1500" in result.content[0].text


async def test_every_code_in_the_table_is_explained() -> None:
    async with Client(build_server(AppDiagSettings())) as client:
        for code in CODES:
            result = await client.call_tool("explain_error_code", {"code": code.lower()})
            assert not result.is_error
            info = result.structured_content
            assert info["code"] == code and info["meaning"] and info["likely_causes"] and info["first_action"]
            assert result.content[0].text.startswith(f"{code} {CODES[code].title}")


async def test_h33_and_h34_found_in_no_heroku_source_are_not_explained_as_heroku_codes() -> None:
    async with Client(build_server(AppDiagSettings())) as client:
        for code in ("H33", "H34"):
            result = await client.call_tool("explain_error_code", {"code": code})
            assert result.is_error and "is not a Heroku error code" in result.content[0].text


async def test_h13_and_h18_say_router_2_keepalive_closes_can_be_noise() -> None:
    async with Client(build_server(AppDiagSettings())) as client:
        for code in ("H13", "H18"):
            note = (await client.call_tool("explain_error_code", {"code": code})).structured_content["note"]
            assert "Router 2.0" in note and "http-disable-keepalive-to-dyno" in note and "90 s" in note


async def test_an_unknown_code_names_the_nearest_known_codes() -> None:
    async with Client(build_server(AppDiagSettings())) as client:
        result = await client.call_tool("explain_error_code", {"code": "R11"})
    assert result.is_error
    assert "'R11' is not a Heroku error code; nearest known codes: R10, R12, R13" in result.content[0].text


async def test_log_tools_are_read_only_and_only_the_fetching_one_is_open_world() -> None:
    async with Client(build_server(AppDiagSettings())) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
    assert tools["analyze_logs"].annotations.read_only_hint and tools["analyze_logs"].annotations.open_world_hint
    assert tools["explain_error_code"].annotations.read_only_hint and not tools["explain_error_code"].annotations.open_world_hint
    assert "codes" in tools["analyze_logs"].output_schema["properties"]


async def test_the_stdio_server_explains_a_code_and_analyses_pasted_logs() -> None:
    params = StdioServerParameters(command=sys.executable, args=["-m", "mcp_servers.app_diagnostics"], env={})
    with anyio.fail_after(30):
        async with Client(stdio_client(params)) as client:
            explained = await client.call_tool("explain_error_code", {"code": "H14"})
            analysed = await client.call_tool("analyze_logs", {"log_text": "\n".join(generate_lines(200))})
    assert explained.structured_content["first_action"].startswith("Scale web up")
    assert analysed.structured_content["parse"]["lines"] == 200
