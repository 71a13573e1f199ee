"""Start a Procfile `mcp*` process over STDIO, as a Heroku one-off dyno would, for the driver's own use.

Used by the driver's chat mode (the client runs the tools itself) and by the registration
preflight (list every server's tools before Heroku does); `listed_tool` is how the local registry and
the preflight both record a listed tool. It is the local endpoint's STDIO stack
(`heroku_agents.local.process`: one process group per server, killed on exit; one environment
builder; one rule for secrets), with errors that name the Procfile line.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from heroku_agents.errors import McpServerError, innermost
from heroku_agents.models import MCPServerTool
from heroku_agents.procfile import ProcessType
from heroku_agents.redaction import redact, secret_values

__all__ = ["CALL_TIMEOUT", "START_TIMEOUT", "listed_tool", "open_server", "server_environment"]

START_TIMEOUT = 30.0  # seconds for the handshake and tools/list of one server
CALL_TIMEOUT = 120.0  # seconds for one tools/call (Heroku's ttl_seconds default)


def server_environment(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """What an MCP process gets: the MCP SDK's allow-list (HOME, PATH, ...), the app's config vars that
    the local endpoint also passes (DATABASE_URL, HEROKU_API_KEY, PG_*, APPDIAG_*, ...), and our
    interpreter's folder first on PATH so `python -m ...` finds the project."""
    from heroku_agents.local.process import child_environment, config_vars

    return child_environment(config_vars(os.environ if env is None else env))


@asynccontextmanager
async def open_server(
    process: ProcessType, *, cwd: Path, env: Mapping[str, str], timeout: float = START_TIMEOUT
) -> AsyncIterator[tuple[Any, list[Any]]]:
    """Yield a connected `mcp.Client` for `process` and its listed tools; the process group ends on exit.

    `env` is the whole environment of the process (see `server_environment`).

    Raises:
        McpServerError: the process could not start, shake hands or list its tools within
            `timeout`; the message names the process type, its command and its last stderr lines.
    """
    from mcp import MCPError

    from heroku_agents.local.process import ServerFailed, mcp_client

    secrets = secret_values(env)
    listed = False
    try:
        async with mcp_client(process.command, env=env, cwd=cwd, timeout=timeout) as (client, _):
            tools = (await client.list_tools()).tools  # type: ignore[attr-defined]
            listed = True
            yield client, list(tools)
    except ServerFailed as failed:
        if listed:
            raise McpServerError(_named(process, f"failed while in use: {failed.reason}", failed.stderr, secrets)) from None
        cause = innermost(failed.__cause__) if failed.__cause__ else failed
        if isinstance(cause, MCPError) and cause.code == -32001:
            reason = f"did not answer the MCP handshake or tools/list within {timeout:.0f}s"
        elif isinstance(cause, MCPError) and cause.code != -32000:  # -32000: the connection closed
            reason = f"failed to list its tools: answered an MCP error ({cause})"
        else:
            reason = f"exited or broke the STDIO pipe before listing its tools ({failed.reason})"
        raise McpServerError(_named(process, reason, failed.stderr, secrets)) from None


def listed_tool(namespace: str, tool: Any, empty_schema: Mapping[str, Any] | None = None) -> MCPServerTool:
    """An MCP `tools/list` entry as Heroku records it under `namespace` (the process type).

    `empty_schema` stands in for a missing input schema (the preflight leaves it empty, to report it).
    """
    annotations = tool.annotations.model_dump(by_alias=True, exclude_none=True) if tool.annotations else {}
    return MCPServerTool(
        name=tool.name, namespaced_name=f"{namespace}/{tool.name}", description=tool.description or "",
        input_schema=dict(tool.input_schema or empty_schema or {}), annotations=annotations,
    )


def _named(process: ProcessType, reason: str, stderr: str, secrets: tuple[str, ...]) -> str:
    tail = f"; stderr: {redact(stderr, secrets)[:400]}" if stderr else ""
    return (
        f"{process.name} (`{process.command}`, Procfile line {process.line}) {reason}{tail}; "
        f"try it alone: `{process.command}` and check its stderr"
    )
