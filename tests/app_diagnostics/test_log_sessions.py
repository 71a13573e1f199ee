"""Log sessions on both generations, against the fake Platform API over loopback HTTP: Cedar's buffered
plain-text stream, Fir's always-tailing event stream, the dyno/process-type filter, and streams cut short."""

from contextlib import aclosing
from typing import Any

import anyio
import pytest
from fake_platform import FAKE_API_KEY, FakeHeroku
from mcp import Client
from mcp.types import CallToolResult
from pydantic import SecretStr
from saturation_logs import sick_excerpt

from mcp_servers.app_diagnostics.log_sessions import (
    LogRead,
    app_generation,
    open_log_session,
    read_log_stream,
    split_dyno,
)
from mcp_servers.app_diagnostics.platform_api import PlatformAPI, PlatformAPIError
from mcp_servers.app_diagnostics.server import build_server
from mcp_servers.app_diagnostics.settings import AppDiagSettings

pytestmark = pytest.mark.anyio


def _settings(url: str, log_timeout_s: float = 5) -> AppDiagSettings:
    return AppDiagSettings(heroku_api_key=SecretStr(FAKE_API_KEY), heroku_api_url=url, log_timeout_s=log_timeout_s)


def _loopback_api(url: str, log_timeout_s: float = 5) -> aclosing[PlatformAPI]:
    """A client of the fake served over loopback HTTP, closed when the `async with` ends."""
    return aclosing(PlatformAPI(_settings(url, log_timeout_s)))


async def _read_session(url: str, app: str, *, timeout: float, **session: Any) -> tuple[str, LogRead]:
    """Opens a log session of `app` as `analyze_logs` does and reads it: (generation, what was read)."""
    async with _loopback_api(url) as api:
        with anyio.fail_after(10):
            generation = await app_generation(api, app)
            stream = await open_log_session(api, app, generation=generation, **session)
            return generation, await read_log_stream(api, stream, max_lines=1500, timeout=timeout, generation=generation)


async def _analyze_logs(url: str, arguments: dict[str, Any]) -> CallToolResult:
    """`analyze_logs` through an MCP client, with a 0.5 s budget for the log stream."""
    async with _loopback_api(url, log_timeout_s=0.5) as api:
        with anyio.fail_after(10):
            async with Client(build_server(_settings(url, log_timeout_s=0.5), api=api)) as client:
                return await client.call_tool("analyze_logs", arguments)


@pytest.mark.parametrize(("given", "expected"), [
    ("web.1", ("web.1", None)), ("run.4821", ("run.4821", None)), ("mcp-postgres.2", ("mcp-postgres.2", None)),
    ("web-58f7c9d4b6-x7k2p", ("web-58f7c9d4b6-x7k2p", None)),  # a Fir dyno name
    ("web", (None, "web")), ("mcp-postgres", (None, "mcp-postgres")), ("release-phase", (None, "release-phase")),
    (" ", (None, None)), (None, (None, None)),
])
def test_a_dyno_name_and_a_process_type_are_told_apart_dashes_included(given, expected) -> None:
    assert split_dyno(given) == expected


async def test_a_cedar_session_asks_for_lines_without_tail_and_never_sends_the_key_to_logplex(
    fake: FakeHeroku, fake_url: str,
) -> None:
    generation, read = await _read_session(fake_url, "acme-shop", timeout=5, lines=120, source="heroku")
    assert (generation, read.ended, len(read.lines), read.note()) == ("cedar", "complete", 120, None)
    assert all(" heroku[" in line for line in read.lines)
    assert fake.api_calls("/log-sessions")[0].body == {"lines": 120, "tail": False, "source": "heroku"}
    logplex = [e for e in fake.exchanges if e.kind == "logplex"]
    assert len(logplex) == 1 and logplex[0].had_authorization is False


async def test_a_fir_session_omits_lines_and_tail_and_reads_the_event_stream_until_its_time_budget(
    fake: FakeHeroku, fake_url: str,
) -> None:
    fake.log_source = lambda app: sick_excerpt(300)
    generation, read = await _read_session(fake_url, "idle-api", timeout=0.5, lines=1500, process_type="web")
    assert generation == "fir"
    assert fake.api_calls("/log-sessions")[0].body == {"type": "web"}
    assert read.ended == "timeout"
    assert read.lines and all(not line.startswith(("data:", "event:")) for line in read.lines)
    assert read.note().startswith(f"Fir app: log sessions only stream live lines (no history), so these are the "
                                  f"{len(read.lines)} lines that arrived within 0.5 s")


async def test_a_stalled_cedar_stream_returns_what_arrived_and_says_it_was_cut_short(fake: FakeHeroku, fake_url: str) -> None:
    fake.stall_log_stream_after = 10
    async with _loopback_api(fake_url) as api:
        url = await open_log_session(api, "acme-shop", generation="cedar", lines=100)
        with anyio.fail_after(5):
            read = await read_log_stream(api, url, max_lines=100, timeout=0.5)
    assert (len(read.lines), read.ended) == (10, "timeout")
    assert read.note() == ("stream cut short: still open after 0.5 s with 10 lines read; counts are lower bounds "
                           "(HEROKU_LOG_TIMEOUT_S gives the stream more time)")


@pytest.mark.parametrize("app", ["acme-shop", "idle-api"])  # Cedar, Fir
async def test_a_stream_that_drops_mid_way_returns_what_arrived_and_says_it_was_cut_short(
    fake: FakeHeroku, fake_url: str, app: str,
) -> None:
    fake.drop_log_stream_after = 15
    generation, read = await _read_session(fake_url, app, timeout=5, lines=100)
    assert (len(read.lines), read.ended) == (15, "dropped")
    assert read.cut_short() == "stream cut short: the connection dropped after 15 lines; counts are lower bounds"
    assert read.note().startswith(read.cut_short())
    assert ("Fir app: log sessions only stream live lines" in read.note()) is (generation == "fir")


def test_a_stream_that_reached_max_lines_is_not_cut_short() -> None:
    assert LogRead(["x"] * 5, "max_lines", "cedar", 5).note() is None
    assert LogRead(["x"] * 5, "timeout", "fir", 5).cut_short() is None  # a Fir tail always runs to its time budget


async def test_an_expired_log_session_is_a_clear_error(fake_url: str) -> None:
    async with _loopback_api(fake_url) as api:
        with pytest.raises(PlatformAPIError) as caught:
            await read_log_stream(api, f"{fake_url}/logplex/sessions/gone?srv=x", max_lines=10, timeout=2)
    assert "answered HTTP 404; log sessions expire after a few minutes" in str(caught.value)


async def test_analyze_logs_sends_a_dashed_process_type_as_type_not_as_a_dyno_name(
    fake: FakeHeroku, api: PlatformAPI, settings: AppDiagSettings,
) -> None:
    async with Client(build_server(settings, api=api)) as client:
        result = await client.call_tool("analyze_logs", {"app": "acme-shop", "dyno": "mcp-postgres", "lines": 50})
    assert not result.is_error, result.content[0].text
    (session,) = fake.api_calls("/log-sessions")
    assert session.body == {"lines": 50, "tail": False, "type": "mcp-postgres"}


async def test_analyze_logs_of_a_cedar_app_says_when_the_stream_was_cut_short(fake: FakeHeroku, fake_url: str) -> None:
    fake.stall_log_stream_after = 200
    result = await _analyze_logs(fake_url, {"app": "acme-shop", "lines": 1000})
    data = result.structured_content
    assert data["parse"]["lines"] == 200
    assert data["notes"] == ["stream cut short: still open after 0.5 s with 200 lines read; counts are lower bounds "
                             "(HEROKU_LOG_TIMEOUT_S gives the stream more time)"]
    assert "log_stream_cut_short" in {f["check"] for f in data["findings"] if f["status"] == "yellow"}
    assert "Note: stream cut short" in result.content[0].text


async def test_analyze_logs_of_a_fir_app_reads_the_live_stream_and_finds_what_heroku_logged(
    fake: FakeHeroku, fake_url: str,
) -> None:
    fake.log_source = lambda app: sick_excerpt(300)
    result = await _analyze_logs(fake_url, {"app": "idle-api"})
    data = result.structured_content
    assert not result.is_error and data["parse"]["lines"] == 40  # the fake's live tail, then silence
    assert data["notes"][0].startswith("Fir app: log sessions only stream live lines")
    assert fake.api_calls("/log-sessions")[0].body == {}


async def test_analyze_logs_of_a_fir_app_whose_stream_drops_reports_what_it_read_and_says_it_was_cut_short(
    fake: FakeHeroku, fake_url: str,
) -> None:
    fake.log_source = lambda app: sick_excerpt(300)
    fake.drop_log_stream_after = 25
    result = await _analyze_logs(fake_url, {"app": "idle-api"})
    data = result.structured_content
    assert not result.is_error and data["parse"]["lines"] == 25
    assert data["notes"][0].startswith("stream cut short: the connection dropped after 25 lines; counts are lower bounds")
    assert "Fir app: log sessions only stream live lines" in data["notes"][0]
    (cut,) = [f for f in data["findings"] if f["check"] == "log_stream_cut_short"]
    assert cut["status"] == "yellow" and cut["remediation"] == "Counts are lower bounds: fetch again."
    assert data["findings"] != [cut], "what the 25 lines say is still reported"
    assert "Note: stream cut short" in result.content[0].text
