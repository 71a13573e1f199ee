"""The official MCP Inspector (2.12.0, CLI mode) as an independent client of both servers, in both protocol eras.

The session fixture installs the pinned Inspector and its Node 22 from npm into tools/inspector/node_modules
(cached by lockfile digest); if that install fails, every test here fails with npm's message.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from mcp import Client
from web_process import clean_env, running_web

from mcp_servers.postgres.server import build_server as build_postgres
from mcp_servers.postgres.settings import PostgresSettings

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "inspector-token-0123456789abcdef"
ERA_VERSIONS = {"legacy": "2025-11-25", "modern": "2026-07-28"}
CALL_TIMEOUT_S = 120


@pytest.fixture(scope="session")
def inspector_bin() -> Path:
    """The folder with `mcp-inspector` and the Node 22 it runs on, installed by the same script `make inspect` uses."""
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "inspector.py"), "install"],
        capture_output=True, text=True, timeout=900,
    )
    if proc.returncode != 0:
        pytest.fail(f"installing the MCP Inspector failed ({proc.returncode}):\n{proc.stderr}")
    return Path(proc.stdout.strip())


def inspector(bin_dir: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, dict]:
    """Run `mcp-inspector --cli ... --format json` and return its exit code and its one JSON document."""
    run_env = {**(env or os.environ), "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
               "MCP_INSPECTOR_SECRET_STORE": "memory"}
    proc = subprocess.run(
        [str(bin_dir / "mcp-inspector"), "--cli", *args, "--format", "json", "-q"],
        capture_output=True, text=True, timeout=CALL_TIMEOUT_S, env=run_env, cwd=ROOT,
    )
    out = proc.stdout.strip() or (proc.stderr.strip().splitlines() or [""])[-1]
    try:
        document = json.loads(out)
    except json.JSONDecodeError:
        pytest.fail(f"Inspector printed no JSON (rc {proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    if proc.returncode not in (0, 3):
        print(f"Inspector rc {proc.returncode}; stderr:\n{proc.stderr}", file=sys.stderr)  # shown on failure
    return proc.returncode, document


@pytest.fixture(scope="module")
def inspected_db(embedded_pg) -> Iterator[str]:
    with embedded_pg.database("insp", "CREATE TABLE invoices (id bigserial PRIMARY KEY, amount numeric(12,2) NOT NULL)") as url:
        yield url


def postgres_target(db_url: str) -> list[str]:
    return ["-e", f"DATABASE_URL={db_url}", sys.executable, "-m", "mcp_servers.postgres"]


APPDIAG_TARGET = ["-e", "HEROKU_API_URL=http://127.0.0.1:9", sys.executable, "-m", "mcp_servers.app_diagnostics"]


@pytest.mark.parametrize("era", ["legacy", "modern"])
async def test_inspector_lists_the_same_postgres_tools_as_the_sdk_client(
    inspector_bin: Path, inspected_db: str, era: str
) -> None:
    rc, listed = inspector(inspector_bin, *postgres_target(inspected_db), "--method", "tools/list",
                           "--protocol-era", era)
    async with Client(build_postgres(PostgresSettings(database_url=inspected_db))) as client:
        expected = sorted(tool.name for tool in (await client.list_tools()).tools)
    assert rc == 0
    tools = listed["result"]["tools"]
    assert sorted(tool["name"] for tool in tools) == expected
    assert "pg_schema" in expected
    assert all(tool["annotations"]["readOnlyHint"] is True for tool in tools)


@pytest.mark.parametrize("era", ["legacy", "modern"])
def test_inspector_calls_pg_schema_against_the_embedded_database(
    inspector_bin: Path, inspected_db: str, era: str
) -> None:
    rc, called = inspector(inspector_bin, *postgres_target(inspected_db), "--method", "tools/call",
                           "--tool-name", "pg_schema", "--tool-arg", "table=invoices", "--protocol-era", era)
    assert rc == 0
    result = called["result"]
    assert result["isError"] is False
    table = result["structuredContent"]["table"]
    assert (table["schema"], table["table"]) == ("public", "invoices")
    assert [(c["name"], c["type"]) for c in table["columns"]] == [("id", "bigint"), ("amount", "numeric(12,2)")]


@pytest.mark.parametrize("era", ["legacy", "modern"])
def test_inspector_negotiates_each_era_with_appdiag(inspector_bin: Path, era: str) -> None:
    rc, init = inspector(inspector_bin, *APPDIAG_TARGET, "--method", "initialize", "--protocol-era", era)
    assert rc == 0
    assert init["result"]["serverInfo"]["name"] == "mcp-appdiag"
    assert init["result"]["protocolVersion"] == ERA_VERSIONS[era]


@pytest.mark.parametrize("era", ["legacy", "modern"])
def test_inspector_calls_explain_error_code_on_appdiag(inspector_bin: Path, era: str) -> None:
    rc, called = inspector(inspector_bin, *APPDIAG_TARGET, "--method", "tools/call", "--tool-name",
                           "explain_error_code", "--tool-arg", "code=h12", "--protocol-era", era)
    assert rc == 0
    info = called["result"]["structuredContent"]
    assert (info["code"], info["kind"], info["http_status"]) == ("H12", "router", 503)
    assert "30 seconds" in info["meaning"]


def test_inspector_wrapper_passes_the_server_environment_through_its_config_file(
    inspected_db: str, inspector_bin: Path
) -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "inspector.py"), "cli", "postgres", "--method", "tools/call",
         "--tool-name", "pg_schema", "--format", "json", "-q"],
        capture_output=True, text=True, timeout=CALL_TIMEOUT_S, env=clean_env(DATABASE_URL=inspected_db),
    )
    assert proc.returncode == 0, proc.stderr
    overview = json.loads(proc.stdout)["result"]["structuredContent"]["overview"]
    assert [t["table"] for t in overview["tables"]] == ["invoices"]


def test_inspector_reaches_the_web_process_over_http_only_with_the_bearer_token(
    inspector_bin: Path, inspected_db: str, tmp_path: Path
) -> None:
    env = clean_env(DATABASE_URL=inspected_db, MCP_AUTH_TOKEN=TOKEN)
    with running_web(env, tmp_path / "web.log") as web:
        url = f"{web.base_url}/postgres/mcp"
        rc_ok, called = inspector(inspector_bin, url, "--header", f"Authorization: Bearer {TOKEN}",
                                  "--method", "tools/call", "--tool-name", "pg_schema", "--protocol-era", "modern")
        rc_denied, denied = inspector(inspector_bin, url, "--method", "tools/list", "--stored-auth-only")
    assert rc_ok == 0
    assert called["result"]["structuredContent"]["overview"]["tables"][0]["table"] == "invoices"
    assert rc_denied == 3  # the Inspector's "auth required" exit code
    assert denied["error"]["code"] == "auth_required"
