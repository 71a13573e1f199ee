"""The `web` process: both servers over streamable HTTP behind token, Host, size, time and concurrency limits.

A real uvicorn subprocess on a loopback port (`python -m mcp_servers.web`, as the Procfile runs it), a real
database on the embedded PostgreSQL, and the SDK's own HTTP client; the Guard's queue and deadline are also
driven in-process against a small ASGI peer that waits on an event.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator

import anyio
import httpx
import httpx2
import pytest
from anyio import wait_all_tasks_blocked
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from web_process import WebProcess, clean_env, running_web

from mcp_servers.common.ports import free_port
from mcp_servers.web import Guard, WebSettings

pytestmark = pytest.mark.anyio

TOKEN = "test-token-0123456789abcdef"
ALLOWED_HOST = "mcp.example.test"
MAX_BODY = 64 * 1024
MODERN_HEADERS = {
    "content-type": "application/json",
    "accept": "application/json, text/event-stream",
    "mcp-protocol-version": "2026-07-28",
    "mcp-method": "tools/list",
}
TOOLS_LIST = {
    "jsonrpc": "2.0", "id": 1, "method": "tools/list",
    "params": {"_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28",
                         "io.modelcontextprotocol/clientCapabilities": {}}},
}


@pytest.fixture(scope="module")
def web_db(embedded_pg) -> Iterator[str]:
    with embedded_pg.database("web", "CREATE TABLE orders (id serial PRIMARY KEY, total numeric NOT NULL)") as url:
        yield url


def _web(web_db: str, tmp_path_factory: pytest.TempPathFactory, **limits: str) -> Iterator[WebProcess]:
    env = clean_env(DATABASE_URL=web_db, MCP_AUTH_TOKEN=TOKEN, MCP_ALLOWED_HOSTS=ALLOWED_HOST,
                    MCP_MAX_BODY_BYTES=str(MAX_BODY), MCP_MAX_CONCURRENT="8", **limits)
    with running_web(env, tmp_path_factory.mktemp("web") / "web.log") as web:
        yield web


@pytest.fixture(scope="module")
def web_server(web_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebProcess]:
    """The web process with the default head and body deadlines (10 s)."""
    yield from _web(web_db, tmp_path_factory)


@pytest.fixture(scope="module")
def impatient_web_server(web_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebProcess]:
    """One-second head and body deadlines, for the tests of those deadlines only.

    A client on a loaded machine can take longer than a second between connecting and sending its request
    head; such a connection is closed exactly like a trickling one (httpx ReadError), so the other tests
    (the fifty concurrent calls above all) run against `web_server`.
    """
    yield from _web(web_db, tmp_path_factory, MCP_BODY_TIMEOUT_S="1", MCP_HEAD_TIMEOUT_S="1")


async def test_health_answers_without_a_token(web_server: WebProcess) -> None:
    async with httpx.AsyncClient() as http:
        response = await http.get(f"{web_server.base_url}/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "servers": ["appdiag", "postgres"]}


async def test_tool_call_with_the_token_is_answered_on_the_postgres_mount(web_server: WebProcess) -> None:
    async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"}) as http:
        async with Client(streamable_http_client(f"{web_server.base_url}/postgres/mcp", http_client=http)) as client:
            assert client.protocol_version == "2026-07-28"
            result = await client.call_tool("pg_schema", {})
    assert not result.is_error
    assert result.structured_content["overview"]["tables"][0]["table"] == "orders"


async def test_appdiag_mount_answers_a_2025_handshake_client_with_a_tool_result(web_server: WebProcess) -> None:
    async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"}) as http:
        async with Client(
            streamable_http_client(f"{web_server.base_url}/appdiag/mcp", http_client=http), mode="legacy"
        ) as client:
            assert client.protocol_version == "2025-11-25"
            assert client.server_info.name == "mcp-appdiag"
            result = await client.call_tool("explain_error_code", {"code": "R14"})
    assert not result.is_error
    assert (result.structured_content["code"], result.structured_content["kind"]) == ("R14", "runtime")


async def test_request_without_a_token_gets_401_with_a_bare_bearer_challenge(web_server: WebProcess) -> None:
    async with httpx.AsyncClient() as http:
        response = await http.post(f"{web_server.base_url}/postgres/mcp", json=TOOLS_LIST, headers=MODERN_HEADERS)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer realm="heroku-mcp-toolkit"'
    assert response.json() == {"error": "unauthorized", "error_description": "Bearer token required"}


async def test_wrong_token_gets_401_invalid_token_and_is_never_logged(web_server: WebProcess) -> None:
    wrong = "wrong-token-9876543210fedcba"
    async with httpx.AsyncClient() as http:
        response = await http.post(
            f"{web_server.base_url}/appdiag/mcp", json=TOOLS_LIST,
            headers={**MODERN_HEADERS, "authorization": f"Bearer {wrong}"},
        )
        ok = await http.post(
            f"{web_server.base_url}/appdiag/mcp", json=TOOLS_LIST,
            headers={**MODERN_HEADERS, "authorization": f"Bearer {TOKEN}"},
        )
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == (
        'Bearer realm="heroku-mcp-toolkit", error="invalid_token", error_description="The token is not valid"'
    )
    assert ok.status_code == 200
    log = web_server.log.read_text()
    assert "POST /appdiag/mcp" in log and " 401" in log  # the access log saw both requests
    assert wrong not in log and TOKEN not in log


async def test_unknown_host_gets_421_and_the_configured_host_is_served(web_server: WebProcess) -> None:
    auth = {**MODERN_HEADERS, "authorization": f"Bearer {TOKEN}"}
    async with httpx.AsyncClient() as http:
        evil = await http.post(f"{web_server.base_url}/postgres/mcp", json=TOOLS_LIST,
                               headers={**auth, "host": "evil.example"})
        good = await http.post(f"{web_server.base_url}/postgres/mcp", json=TOOLS_LIST,
                               headers={**auth, "host": ALLOWED_HOST})
        bad_origin = await http.post(f"{web_server.base_url}/postgres/mcp", json=TOOLS_LIST,
                                     headers={**auth, "host": ALLOWED_HOST, "origin": "https://evil.example"})
    assert evil.status_code == 421
    assert good.status_code == 200
    assert "pg_schema" in {tool["name"] for tool in good.json()["result"]["tools"]}
    assert bad_origin.status_code == 403


async def test_oversize_body_gets_413_whether_declared_or_streamed(web_server: WebProcess) -> None:
    auth = {**MODERN_HEADERS, "authorization": f"Bearer {TOKEN}"}
    big = json.dumps({**TOOLS_LIST, "pad": "x" * MAX_BODY}).encode()

    async def chunks():
        for start in range(0, len(big), 8192):
            yield big[start : start + 8192]

    async with httpx.AsyncClient() as http:
        declared = await http.post(f"{web_server.base_url}/postgres/mcp", content=big, headers=auth)
        streamed = await http.post(f"{web_server.base_url}/postgres/mcp", content=chunks(), headers=auth)
    assert declared.status_code == 413
    assert streamed.status_code == 413
    assert streamed.json()["error"] == "payload_too_large"


async def test_client_that_stalls_mid_body_gets_408_instead_of_holding_the_server(impatient_web_server: WebProcess) -> None:
    head = (
        "POST /postgres/mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Bearer {TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{{"
    )
    with anyio.fail_after(10):
        async with await anyio.connect_tcp("127.0.0.1", impatient_web_server.port) as stream:
            await stream.send(head.encode())
            reply = await stream.receive()
    assert reply.startswith(b"HTTP/1.1 408")


async def test_client_that_trickles_its_request_head_is_disconnected(impatient_web_server: WebProcess) -> None:
    with anyio.fail_after(10):
        async with await anyio.connect_tcp("127.0.0.1", impatient_web_server.port) as stream:
            await stream.send(b"POST /postgres/mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            with pytest.raises(anyio.EndOfStream):
                await stream.receive()


async def test_fifty_concurrent_tool_calls_over_http_are_all_answered(web_server: WebProcess) -> None:
    results: list = []
    async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60) as http:
        async with Client(streamable_http_client(f"{web_server.base_url}/postgres/mcp", http_client=http)) as client:
            await client.list_tools()

            async def call() -> None:
                results.append(await client.call_tool("pg_schema", {"table": "orders"}))

            with anyio.fail_after(60):
                async with anyio.create_task_group() as tg:
                    for _ in range(50):
                        tg.start_soon(call)
    assert len(results) == 50
    assert all(not r.is_error for r in results)
    assert {r.structured_content["table"]["table"] for r in results} == {"orders"}


async def test_a_get_stream_is_refused_with_405_and_holds_no_slot(web_server: WebProcess) -> None:
    # Stateless servers push nothing: a GET listening for server messages would only hold a slot until the timeout.
    headers = {"authorization": f"Bearer {TOKEN}", "accept": "text/event-stream"}
    async with httpx.AsyncClient(timeout=10) as http:
        with anyio.fail_after(10):
            responses = [await http.get(f"{web_server.base_url}/{mount}/mcp", headers=headers) for mount in ("postgres", "appdiag")]
    assert [r.status_code for r in responses] == [405, 405]
    assert all(r.headers["allow"] == "POST" for r in responses)


def test_server_refuses_to_listen_beyond_loopback_without_a_token() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "mcp_servers.web", "--host", "0.0.0.0", "--port", str(free_port())],
        env=clean_env(MCP_ALLOWED_HOSTS=ALLOWED_HOST), capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 2
    assert "refusing to listen on 0.0.0.0 without MCP_AUTH_TOKEN" in proc.stderr


def test_server_refuses_to_listen_beyond_loopback_without_an_allowed_host() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "mcp_servers.web", "--host", "0.0.0.0", "--port", str(free_port())],
        env=clean_env(MCP_AUTH_TOKEN=TOKEN), capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 2
    assert "HEROKU_APP_DEFAULT_DOMAIN_NAME" in proc.stderr and "MCP_ALLOWED_HOSTS" in proc.stderr
    assert TOKEN not in proc.stderr


def test_settings_take_the_heroku_domain_and_the_host_list_and_reject_a_short_token() -> None:
    settings = WebSettings.from_env(
        {"HEROKU_APP_DEFAULT_DOMAIN_NAME": "my-app-1234567890ab.herokuapp.com",
         "MCP_ALLOWED_HOSTS": "mcp.example.com:443, Other.Example.com", "MCP_AUTH_TOKEN": "short"},
        bind_host="0.0.0.0",
    )
    assert settings.allowed_hosts == ("my-app-1234567890ab.herokuapp.com", "mcp.example.com", "other.example.com")
    with pytest.raises(ValueError, match="MCP_AUTH_TOKEN is too short"):
        settings.check_safe_to_serve()
    with pytest.raises(ValueError, match="MCP_MAX_QUEUED must be a positive int"):
        WebSettings.from_env({"MCP_MAX_QUEUED": "lots"})


def _waiting_app(release: anyio.Event, entered: anyio.Event):
    """An ASGI peer whose calls finish only when the test says so."""

    async def app(scope, receive, send) -> None:
        entered.set()
        await release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"done"})

    return app


async def test_calls_beyond_the_running_and_queued_limits_get_503_and_queued_ones_finish() -> None:
    release, entered = anyio.Event(), anyio.Event()
    guard = Guard(_waiting_app(release, entered), WebSettings(max_concurrent=1, max_queued=1))
    statuses: dict[str, int] = {}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=guard), base_url="http://127.0.0.1") as http:

        async def call(name: str) -> None:
            statuses[name] = (await http.post("/postgres/mcp", content=b"{}")).status_code

        with anyio.fail_after(5):
            async with anyio.create_task_group() as tg:
                tg.start_soon(call, "running")
                await entered.wait()
                tg.start_soon(call, "queued")
                await wait_all_tasks_blocked()
                await call("rejected")
                release.set()
    assert statuses == {"running": 200, "queued": 200, "rejected": 503}


async def test_call_that_outlives_the_request_timeout_gets_504() -> None:
    guard = Guard(_waiting_app(anyio.Event(), anyio.Event()), WebSettings(request_timeout_s=0.2))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=guard), base_url="http://127.0.0.1") as http:
        with anyio.fail_after(5):
            response = await http.post("/postgres/mcp", content=b"{}")
    assert response.status_code == 504
    assert response.json()["error"] == "timeout"
