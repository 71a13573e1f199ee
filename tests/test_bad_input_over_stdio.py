"""Bad input through the real servers over STDIO gets a clear, actionable error, no secret."""

from __future__ import annotations

import json
import sys
import tempfile

import anyio
import pytest
from mcp import Client, StdioServerParameters, stdio_client

pytestmark = pytest.mark.anyio

PASSWORD = "Rt-S3cretPW-9z"


async def _call_postgres(database_url: str, tool: str, arguments: dict, extra_env: dict | None = None) -> tuple[str, bool, str]:
    """One tool call to `python -m mcp_servers.postgres` over STDIO: (text, is_error, the server's stderr)."""
    env = {"PATH": "/usr/bin:/bin", "DATABASE_URL": database_url, "PG_CONNECT_TIMEOUT_S": "2", **(extra_env or {})}
    params = StdioServerParameters(command=sys.executable, args=["-m", "mcp_servers.postgres", "--log-level", "DEBUG"], env=env)
    with tempfile.TemporaryFile(mode="w+") as errlog:
        with anyio.fail_after(60):
            async with Client(stdio_client(params, errlog=errlog)) as client:
                result = await client.call_tool(tool, arguments)
        errlog.seek(0)
        stderr = errlog.read()
    return result.content[0].text, result.is_error, stderr


async def test_database_url_with_a_non_numeric_port_is_named_as_the_problem_without_the_password() -> None:
    text, is_error, stderr = await _call_postgres(f"postgresql://app:{PASSWORD}@127.0.0.1:notaport/db", "pg_schema", {})
    assert is_error
    assert "cannot reach database at host 127.0.0.1" in text
    assert "port" in text and "DATABASE_URL" in text
    assert PASSWORD not in text and PASSWORD not in stderr
    assert "Traceback" not in stderr


async def test_pg_diagnose_limit_of_the_wrong_type_names_the_check_the_limit_and_the_problem() -> None:
    text, is_error, _ = await _call_postgres(
        "postgresql://app:pw@127.0.0.1:1/db", "pg_diagnose",
        {"checks": ["long_running_queries"], "limits": {"long_running_queries": {"yellow_seconds": "soon"}}},
    )
    assert is_error
    assert "'long_running_queries'" in text and "yellow_seconds" in text and "number" in text


async def test_the_limits_example_the_model_and_the_operator_are_shown_is_a_valid_override() -> None:
    # The example in pg_diagnose's `limits` description (and in PG_CHECK_LIMITS' error) must be accepted.
    from mcp_servers.postgres.server import build_server
    from mcp_servers.postgres.settings import PostgresSettings

    async with Client(build_server(PostgresSettings(database_url="postgresql://app:pw@127.0.0.1:1/db"))) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
    description = tools["pg_diagnose"].input_schema["properties"]["limits"]["description"]
    example = description.split("e.g. ", 1)[1].rstrip(".")
    with pytest.raises(ValueError) as refused:
        PostgresSettings.from_env({"PG_CHECK_LIMITS": "[1]"})
    assert example in str(refused.value)
    text, is_error, _ = await _call_postgres(
        "postgresql://app:pw@127.0.0.1:1/db", "pg_diagnose", {"checks": ["long_running_queries"], "limits": json.loads(example)},
    )
    assert is_error and "cannot reach database" in text, text  # the limits passed; only the database is missing


@pytest.mark.parametrize(("command", "env", "named"), [
    (["-m", "mcp_servers.postgres"], {"PG_CHECK_LIMITS": "{bad"}, "PG_CHECK_LIMITS"),
    (["-m", "mcp_servers.postgres"], {"PG_STATEMENT_TIMEOUT_MS": "15s"}, "PG_STATEMENT_TIMEOUT_MS"),
    (["-m", "mcp_servers.web", "--port", "0"], {"PG_CHECK_LIMITS": "[1]"}, "PG_CHECK_LIMITS"),
])
def test_a_malformed_server_setting_stops_the_process_with_one_line_naming_it(command: list, env: dict, named: str) -> None:
    import subprocess

    proc = subprocess.run([sys.executable, *command], input="", capture_output=True, text=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin", "DATABASE_URL": f"postgresql://app:{PASSWORD}@127.0.0.1:1/db", **env})
    assert proc.returncode == 2, proc.stderr
    assert named in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and proc.stdout == ""
    assert PASSWORD not in proc.stderr
