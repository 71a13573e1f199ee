"""The local built-ins that act for the model on the user's machine stay fenced (hostile round two).

code_exec_python is off unless enabled and, when on, cannot see the endpoint's environment or the
network and is bounded in memory and output; html_to_markdown fetches public addresses only and caps
the page; dyno_run_command never lets a value become an option.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import pytest
from local_support import serve_on_loopback
from starlette.applications import Starlette
from starlette.responses import RedirectResponse, StreamingResponse
from starlette.routing import Route

from heroku_agents.local.builtin_tools import MAX_OUTPUT, run_builtin
from heroku_agents.local.fetch import MAX_PAGE_BYTES
from heroku_agents.local.sandbox import _namespaces_work
from heroku_agents.local.settings import LocalSettings
from heroku_agents.models import Tool

pytestmark = pytest.mark.anyio

ON = LocalSettings(key="fence-key-0000", procfile=Path("none"), code_exec=True,
                   child_env={"DATABASE_URL": "postgres://u:fence-secret-pw@127.0.0.1:1/db"})


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _tool(name: str, **runtime: object) -> Tool:
    return Tool.model_validate({"type": "heroku_tool", "name": name, **({"runtime_params": runtime} if runtime else {})})


async def _python(code: str, settings: LocalSettings = ON, ttl: int = 10) -> dict:
    return await run_builtin(_tool("code_exec_python", ttl_seconds=ttl), {"code": code}, settings)


async def test_code_exec_python_is_off_unless_the_operator_turns_it_on() -> None:
    result = await _python("print('ran')", LocalSettings(key="fence-key-0000", procfile=Path("none")))
    assert result["isError"] is True
    assert "LOCAL_CODE_EXEC=1" in result["content"][0]["text"] and "ran" not in json.dumps(result)
    assert LocalSettings.from_env({"LOCAL_CODE_EXEC": "1"}).code_exec is True


async def test_a_snippet_sees_neither_the_endpoint_environment_nor_the_database_url() -> None:
    code = (
        "import os\n"
        f"try:\n    print('READ', open('/proc/{os.getpid()}/environ', 'rb').read()[:40])\n"
        "except OSError as exc:\n    print('BLOCKED', type(exc).__name__)\n"
        "print(sorted(os.environ))\n"
    )
    result = await _python(code)
    out = result["structuredContent"]["stdout"]
    assert "BLOCKED" in out and "READ" not in out, out
    assert "DATABASE_URL" not in out and "fence-secret-pw" not in json.dumps(result)


async def test_a_snippet_has_no_network_where_namespaces_work() -> None:
    if not _namespaces_work():
        pytest.skip("unprivileged user namespaces are not available here")
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        code = f"import socket\ntry:\n    socket.create_connection(('127.0.0.1', {port}), timeout=2); print('CONNECTED')\nexcept OSError as exc:\n    print('NO NETWORK', exc)"
        result = await _python(code)
    assert "NO NETWORK" in result["structuredContent"]["stdout"]


async def test_a_snippet_is_bounded_in_memory_and_output() -> None:
    memory = await _python("x = bytearray(3 * 1024 ** 3)\nprint('allocated')")
    flood = await _python("while True:\n    print('x' * 4096)", ttl=5)
    assert "MemoryError" in memory["structuredContent"]["stderr"]
    assert "allocated" not in memory["structuredContent"]["stdout"]
    assert flood["structuredContent"]["returncode"] != 0
    assert len(flood["structuredContent"]["stdout"]) <= MAX_OUTPUT


async def test_dyno_run_command_refuses_option_like_and_nul_values() -> None:
    tool = _tool("dyno_run_command", tool_params={
        "cmd": "printf '%s|'", "parameters": {"type": "object", "properties": {"name": {"type": "string"}}}})
    dash = await run_builtin(tool, {"name": "--help"}, ON)
    nul = await run_builtin(tool, {"name": "a\x00b"}, ON)
    fine = await run_builtin(tool, {"name": "a-b"}, ON)
    assert dash["isError"] and "starts with '-'" in dash["content"][0]["text"]
    assert nul["isError"] and "NUL byte" in nul["content"][0]["text"]
    assert fine["structuredContent"]["stdout"] == "a-b|"


async def _endless(request):
    async def body() -> AsyncIterator[bytes]:
        for _ in range(10_000):  # 650 MB if nobody stops reading
            yield b"<p>" + b"y" * 65_536 + b"</p>"
            await anyio.sleep(0)  # let a disconnect be noticed

    return StreamingResponse(body(), media_type="text/html")


SITE = Starlette(routes=[
    Route("/endless", _endless),
    Route("/to-credentials", lambda request: RedirectResponse("http://user:pw@example.com/")),
    Route("/to-file", lambda request: RedirectResponse("file:///etc/passwd")),
])


@pytest.fixture
async def site_url() -> AsyncIterator[str]:
    async with serve_on_loopback(SITE) as url:
        yield url


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/", "http://localhost:9/x", "http://[::1]:9/", "http://169.254.169.254/latest/meta-data/",
                                 "http://10.0.0.1/", "http://0.0.0.0:9/"])
async def test_html_to_markdown_refuses_non_public_addresses_after_dns(url: str) -> None:
    result = await run_builtin(_tool("html_to_markdown"), {"url": url}, ON)
    assert result["isError"] and "not a public address" in result["content"][0]["text"]


async def test_html_to_markdown_checks_every_redirect_and_caps_the_page(site_url: str) -> None:
    private_ok = LocalSettings(key="fence-key-0000", procfile=Path("none"), fetch_allow_private=True)
    to_credentials = await run_builtin(_tool("html_to_markdown"), {"url": f"{site_url}/to-credentials"}, private_ok)
    to_file = await run_builtin(_tool("html_to_markdown"), {"url": f"{site_url}/to-file"}, private_ok)
    with anyio.fail_after(30):
        endless = await run_builtin(_tool("html_to_markdown"), {"url": f"{site_url}/endless"}, private_ok)
    assert to_credentials["isError"] and "credentials" in to_credentials["content"][0]["text"]
    assert to_file["isError"] and "only http:// and https://" in to_file["content"][0]["text"]
    text = endless["content"][0]["text"]
    assert not endless["isError"] and text.endswith("(page cut at 2 MB)\n")
    assert len(text) <= MAX_PAGE_BYTES
