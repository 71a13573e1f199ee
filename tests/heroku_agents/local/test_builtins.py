"""The built-in heroku_tools run locally: code_exec_python, dyno_run_command, html_to_markdown, Postgres."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import psycopg
import pytest
from local_support import KEY, ROOT, events_of, serve_on_loopback, user
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

from heroku_agents.local.app import create_app
from heroku_agents.local.backends import PlannedCall, ScriptedBackend, Step
from heroku_agents.local.htmlmd import html_to_markdown
from heroku_agents.local.settings import LocalSettings
from heroku_agents.procfile import parse_procfile

pytestmark = pytest.mark.anyio


def _results(body: bytes) -> list[dict]:
    out = []
    for event in events_of(body):
        if not event.is_done and json.loads(event.data)["object"] == "tool.completion":
            out.append(json.loads(json.loads(event.data)["choices"][0]["message"]["content"].split(" returned result: ", 1)[1]))
    return out


async def _run(client: httpx.AsyncClient, app, tool: dict, arguments: dict) -> dict:
    app.state.local.backend = ScriptedBackend([Step("", (PlannedCall(tool["name"], arguments),)), Step("done")])
    response = await client.post("/v1/agents/heroku", json={"model": "m", "messages": [user("go")], "tools": [tool]})
    assert response.status_code == 200, response.text
    (result,) = _results(response.content)
    return result


async def test_code_exec_python_returns_returncode_stdout_and_stderr(app, client: httpx.AsyncClient) -> None:
    code = "import hashlib, sys\nprint(hashlib.sha256(b'Heroku Rocks').hexdigest())\nprint('warn', file=sys.stderr)\nsys.exit(3)"
    result = await _run(client, app, {"type": "heroku_tool", "name": "code_exec_python"}, {"code": code})
    expected = {"returncode": 3, "stdout": "7ebc92bcf8f51f0b623a18f0a357639410a409340043c7a670bb180acd138e6b\n", "stderr": "warn\n"}
    assert result == {"content": [{"type": "text", "text": json.dumps(expected, indent=2)}], "structuredContent": expected, "isError": False}


async def test_code_exec_python_times_out_at_ttl_seconds(app, client: httpx.AsyncClient) -> None:
    result = await _run(client, app, {"type": "heroku_tool", "name": "code_exec_python", "runtime_params": {"ttl_seconds": 1}},
                        {"code": "import time; time.sleep(30)"})
    assert result["structuredContent"] == {"returncode": -2, "stdout": "", "stderr": "Error: Execution timed out"}


async def test_dyno_run_command_passes_model_values_as_arguments_never_as_shell_text(app, client: httpx.AsyncClient, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    tool = {"type": "heroku_tool", "name": "dyno_run_command", "runtime_params": {
        "target_app_name": "local-app",
        "tool_params": {"cmd": "printf '%s|' hello", "description": "Greets the given name.", "parameters": {
            "type": "object", "properties": {"name": {"type": "string"}, "times": {"type": "integer"}}, "required": ["name"]}},
    }}
    hostile = f"$(touch {marker}); `touch {marker}`"
    result = await _run(client, app, tool, {"name": hostile, "times": 2, "undeclared": "ignored"})
    assert result["structuredContent"] == {"returncode": 0, "stdout": f"hello|{hostile}|2|", "stderr": ""}
    assert not marker.exists()


async def test_dyno_run_command_offers_the_declared_description_and_parameters(app, client: httpx.AsyncClient) -> None:
    backend = ScriptedBackend([Step("nothing to run")])
    app.state.local.backend = backend
    await client.post("/v1/agents/heroku", json={"model": "m", "messages": [user("x")], "tools": [{
        "type": "heroku_tool", "name": "dyno_run_command",
        "runtime_params": {"target_app_name": "a", "tool_params": {"cmd": "date", "description": "Tell the time."}},
    }]})
    assert backend.calls[0]["tools"] == ["dyno_run_command"]


async def test_html_to_markdown_fetches_a_page_and_converts_it(app, client: httpx.AsyncClient) -> None:
    page = ("<html><head><title>t</title><script>evil()</script></head><body><nav>menu</nav><h1>Hello</h1>"
            "<p>This is <strong>markdown</strong> with <a href='/x'>a link</a>.</p><ul><li>one</li><li>two</li></ul>"
            "<pre>code  block</pre></body></html>")
    site = Starlette(routes=[Route("/page", lambda request: HTMLResponse(page))])
    async with serve_on_loopback(site) as url:
        result = await _run(client, app, {"type": "heroku_tool", "name": "html_to_markdown"}, {"url": f"{url}/page"})
    assert result == {"content": [{"type": "text", "text": (
        "# Hello\n\nThis is **markdown** with [a link](/x).\n\n- one\n- two\n\n```\ncode  block\n```\n"
    )}], "isError": False}


def test_html_conversion_keeps_headings_lists_and_code() -> None:
    assert html_to_markdown("<h2>T</h2><ol><li>a</li></ol><p>x<br>y <code>z</code> <em>e</em></p>") == "## T\n\n1. a\n\nx\ny `z` *e*\n"


async def test_postgres_builtins_read_schema_and_run_read_only_queries_through_mcp_postgres(fresh_db: str) -> None:
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute("CREATE TABLE orders (id bigint PRIMARY KEY, total numeric)")
        conn.execute("INSERT INTO orders VALUES (1, 9.5), (2, 20)")
    settings = LocalSettings(key=KEY, procfile=Path("none"), app_dir=ROOT, child_env={"DATABASE_URL": fresh_db})
    app = create_app(settings, procfile=parse_procfile("", path="empty"))
    pg = {"target_app_name": "local-app"}
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://local",
                                     headers={"Authorization": f"Bearer {KEY}"}, timeout=60) as client:
            schema = await _run(client, app, {"type": "heroku_tool", "name": "postgres_get_schema", "runtime_params": pg}, {})
            query = await _run(client, app, {"type": "heroku_tool", "name": "postgres_run_query", "runtime_params": pg},
                               {"query": "SELECT id, total FROM orders ORDER BY id"})
            write = await _run(client, app, {"type": "heroku_tool", "name": "postgres_run_query", "runtime_params": pg},
                               {"query": "DELETE FROM orders"})
    assert schema["isError"] is False
    assert [t["table"] for t in schema["structuredContent"]["overview"]["tables"]] == ["orders"]
    assert query["isError"] is False
    assert query["structuredContent"]["rows"] == [{"id": 1, "total": 9.5}, {"id": 2, "total": 20}]
    assert write["isError"] is True and "refused" in write["content"][0]["text"]
