"""Start a Procfile `mcp*` process over STDIO with the MCP SDK's client, as a Heroku one-off dyno would.

Used by the driver's chat mode (the client runs the tools itself) and by the registration
preflight (list every server's tools before Heroku does).
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import AsyncIterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

from heroku_agents.errors import McpServerError, redact
from heroku_agents.procfile import ProcessType

__all__ = ["open_server", "server_environment", "START_TIMEOUT"]

START_TIMEOUT = 30.0  # seconds for the handshake and tools/list of one server
CALL_TIMEOUT = 120.0  # seconds for one tools/call (Heroku's ttl_seconds default)


def server_environment(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """What an MCP process gets besides the SDK's allow-list (HOME, PATH, ...): the app's config vars
    that the local endpoint also passes (DATABASE_URL, HEROKU_API_KEY, PG_*, APPDIAG_*, ...), and
    our interpreter's folder first on PATH so `python -m ...` finds the project."""
    from heroku_agents.local.settings import CHILD_ENV_PREFIXES, CHILD_ENV_VARS

    env = os.environ if env is None else env
    out = {k: v for k, v in env.items() if k in CHILD_ENV_VARS or k.startswith(CHILD_ENV_PREFIXES)}
    out["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", os.defpath)])
    out.setdefault("PYTHONUNBUFFERED", "1")
    return out


@asynccontextmanager
async def open_server(
    process: ProcessType, *, cwd: Path, env: Mapping[str, str], timeout: float = START_TIMEOUT
) -> AsyncIterator[tuple[Any, list[Any]]]:
    """Yield a connected `mcp.Client` for `process` and its listed tools; the process ends on exit.

    Raises:
        McpServerError: the process could not start, shake hands or list its tools within
            `timeout`; the message names the process type, its command and its last stderr lines.
    """
    import anyio
    from mcp import Client, MCPError, StdioServerParameters
    from mcp.client.stdio import stdio_client

    params = StdioServerParameters(command="/bin/sh", args=["-c", f"exec {process.command}"], env=dict(env), cwd=str(cwd))
    with tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace") as errlog:

        def failure(reason: str) -> McpServerError:
            errlog.flush()
            errlog.seek(0)
            tail = " | ".join(line.strip() for line in errlog.read().splitlines()[-3:] if line.strip())
            secrets = [v for k, v in env.items() if "KEY" in k or "TOKEN" in k or k == "DATABASE_URL"]
            stderr = f"; stderr: {redact(tail, secrets)[:400]}" if tail else ""
            return McpServerError(
                f"{process.name} (`{process.command}`, Procfile line {process.line}) {reason}{stderr}; "
                f"try it alone: `{process.command}` and check its stderr"
            )

        try:
            async with AsyncExitStack() as stack:
                try:  # read_timeout bounds the handshake and tools/list; calls pass their own timeout
                    client = await stack.enter_async_context(
                        # handshake era (`initialize` first), as Heroku's one-off dynos are driven
                        Client(stdio_client(params, errlog=errlog), mode="legacy", read_timeout_seconds=timeout)
                    )
                    tools = (await client.list_tools()).tools
                except MCPError as exc:
                    reason = "timed out" if exc.code == -32001 else f"answered an MCP error ({exc})"
                    raise failure(f"failed to list its tools: {reason}") from None
                except (OSError, anyio.BrokenResourceError, anyio.ClosedResourceError, anyio.EndOfStream) as exc:
                    raise failure(f"exited or broke the STDIO pipe before listing its tools ({type(exc).__name__})") from None
                except BaseExceptionGroup as group:  # the SDK's task groups wrap transport failures
                    first = _first(group)
                    if isinstance(first, MCPError) and first.code == -32001:
                        raise failure(f"did not answer the MCP handshake within {timeout:.0f}s") from None
                    raise failure(
                        f"exited or broke the STDIO pipe before listing its tools ({type(first).__name__})"
                    ) from None
                yield client, list(tools)
        except BaseExceptionGroup as group:
            # the SDK's task groups wrap whatever the caller raised inside the block: hand back the
            # caller's own exception when it is the only one
            leaf = _first(group)
            if _count(group) == 1 and isinstance(leaf, Exception):
                raise leaf from None
            raise


def _first(group: BaseExceptionGroup) -> BaseException:
    exc: BaseException = group
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


def _count(group: BaseExceptionGroup) -> int:
    return sum(_count(e) if isinstance(e, BaseExceptionGroup) else 1 for e in group.exceptions)
