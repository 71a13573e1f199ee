"""The built-in `heroku_tool`s, run locally.

* `postgres_get_schema` / `postgres_run_query`: mcp-postgres's own `pg_schema` / `pg_query`, over MCP
  STDIO (`python -m mcp_servers.postgres`) against DATABASE_URL or the embedded default.
* `code_exec_python`: off unless the operator sets LOCAL_CODE_EXEC=1 (it runs model-written code on this
  machine); then fenced by `sandbox.run_snippet`; `{returncode, stdout, stderr}` as in heroku/mcp-code-exec-python.
* `html_to_markdown`: `fetch.fetch_page` (public addresses only, checked after DNS and every redirect,
  size-capped) and a small conversion.
* `dyno_run_command`: `tool_params.cmd` (written by the request's author, like a Procfile line) in the
  app folder; the model's arguments reach it only as positional parameters (`"$@"`), never as shell text,
  and a value that starts with `-` (it would become an option) or holds a NUL byte is refused.

Each returns a `CallToolResult` wire dict; failures are `isError` results.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import anyio

from heroku_agents.local.executor import wire_result
from heroku_agents.local.process import child_environment, mcp_client
from heroku_agents.local.settings import LocalSettings
from heroku_agents.models import HEROKU_TOOLS, Tool
from heroku_agents.wire import error_result, text_result

__all__ = ["HEROKU_TOOL_TTL_MAX", "LOCAL_BUILTINS", "builtin_description", "builtin_schema", "run_builtin"]

HEROKU_TOOL_TTL_MAX = 120  # Mintlify: ttl_seconds max 120 for heroku_tools
POSTGRES_SERVER_COMMAND = f"{shlex.quote(sys.executable)} -m mcp_servers.postgres"
MAX_OUTPUT = 20_000  # characters of stdout/stderr kept per stream
CODE_EXEC_OFF = (
    "code_exec_python is off on the local endpoint: it would run model-written code on this machine. The operator "
    "can enable it with LOCAL_CODE_EXEC=1 (fenced: no environment, no network where namespaces work, 10 s, 512 MB)"
)
LOCAL_BUILTINS = ("postgres_get_schema", "postgres_run_query", "code_exec_python", "html_to_markdown", "dyno_run_command")


def builtin_schema(tool: Tool) -> dict[str, Any]:
    if tool.name == "dyno_run_command":
        params = tool.runtime_params.tool_params if tool.runtime_params else None
        return (params.parameters if params and params.parameters else None) or {"type": "object", "properties": {}}
    return HEROKU_TOOLS[tool.name].input_schema


def builtin_description(tool: Tool) -> str:
    params = tool.runtime_params.tool_params if tool.runtime_params else None
    if tool.name == "dyno_run_command" and params and params.description:
        return params.description
    return tool.description or HEROKU_TOOLS[tool.name].description


async def run_builtin(tool: Tool, arguments: dict[str, Any], settings: LocalSettings) -> dict[str, Any]:
    ttl = min(tool.ttl_seconds, HEROKU_TOOL_TTL_MAX)
    with anyio.move_on_after(ttl + 5):  # a backstop: each tool enforces ttl itself and says how it ended
        if tool.name == "postgres_get_schema":
            return await _postgres(settings, "pg_schema", {}, ttl)
        if tool.name == "postgres_run_query":
            sql = arguments.get("query", arguments.get("sql"))
            if not isinstance(sql, str) or not sql.strip():
                return error_result("postgres_run_query needs a 'query' argument: one read-only SQL statement")
            return await _postgres(settings, "pg_query", {"sql": sql}, ttl)
        if tool.name == "code_exec_python":
            if not settings.code_exec:
                return error_result(CODE_EXEC_OFF)
            return await _code_exec_python(arguments, ttl)
        if tool.name == "html_to_markdown":
            return await _html_to_markdown(arguments, ttl, settings.fetch_allow_private)
        if tool.name == "dyno_run_command":
            return await _dyno_run_command(tool, arguments, settings, ttl)
        return error_result(f"{tool.name} is not available on the local endpoint")
    return error_result(f"{tool.name} did not finish within ttl_seconds={ttl} and was stopped")


async def _postgres(settings: LocalSettings, tool: str, arguments: dict[str, Any], ttl: int) -> dict[str, Any]:
    env = child_environment(settings.child_env)
    try:
        async with mcp_client(POSTGRES_SERVER_COMMAND, env=env, cwd=settings.workdir, timeout=ttl) as (client, _):
            return wire_result(await client.call_tool(tool, arguments))  # type: ignore[attr-defined]
    except Exception as exc:
        return error_result(f"mcp-postgres could not run {tool}: {type(exc).__name__}")


async def _subprocess(argv: list[str], *, timeout: float, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str] | None:
    """Run argv (no shell) in its own session; None on timeout, with the process group killed."""
    with anyio.move_on_after(timeout):
        result = await anyio.run_process(argv, cwd=str(cwd), env=env, check=False, start_new_session=True)
        return subprocess.CompletedProcess(
            argv, result.returncode, result.stdout.decode("utf-8", "replace"), result.stderr.decode("utf-8", "replace")
        )
    return None


async def _code_exec_python(arguments: dict[str, Any], ttl: int) -> dict[str, Any]:
    from heroku_agents.local.sandbox import run_snippet

    code = arguments.get("code")
    if not isinstance(code, str):
        return error_result("code_exec_python needs a 'code' argument (a Python snippet as a string)")
    packages = arguments.get("packages") or []
    with tempfile.TemporaryDirectory(prefix="code-exec-") as tmp:
        if packages:
            # Wheels only: a source distribution would run its build code here, outside the fence.
            install = await _subprocess(
                [sys.executable, "-m", "pip", "install", "--quiet", "--only-binary=:all:", "--target", tmp,
                 *map(str, packages)],
                timeout=ttl, cwd=Path(tmp), env=child_environment({}),
            )
            if install is None or install.returncode != 0:
                detail = install.stderr if install is not None else "timed out"
                payload = {"returncode": 1, "stdout": "", "stderr": f"Dependency install failed:\n{detail[-MAX_OUTPUT:]}"}
                return text_result(json.dumps(payload, indent=2), structured=payload)
        run = await run_snippet(code, timeout_s=ttl, site_dir=Path(tmp), max_output=MAX_OUTPUT)
    payload = {"returncode": run.returncode, "stdout": run.stdout, "stderr": run.stderr}
    return text_result(json.dumps(payload, indent=2), structured=payload, is_error=False)


async def _html_to_markdown(arguments: dict[str, Any], ttl: int, allow_private: bool) -> dict[str, Any]:
    import httpx

    from heroku_agents.local.fetch import FetchRefused, fetch_page
    from heroku_agents.local.htmlmd import html_to_markdown

    url = arguments.get("url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        return error_result("html_to_markdown needs a 'url' argument starting with http:// or https://")
    try:
        page = await fetch_page(url, timeout_s=min(ttl, 30), allow_private=allow_private)
    except FetchRefused as exc:
        return error_result(f"html_to_markdown refused {url[:200]}: {exc}")
    except httpx.HTTPError as exc:
        return error_result(f"could not fetch {url[:200]}: {type(exc).__name__}")
    if page.status >= 400:
        return error_result(f"fetching {url[:200]} returned HTTP {page.status}")
    text = html_to_markdown(page.text)[:MAX_OUTPUT * 5]
    return text_result(text + ("\n(page cut at 2 MB)\n" if page.truncated else ""))


async def _dyno_run_command(tool: Tool, arguments: dict[str, Any], settings: LocalSettings, ttl: int) -> dict[str, Any]:
    params = tool.runtime_params.tool_params if tool.runtime_params else None
    if params is None or not params.cmd:
        return error_result("dyno_run_command needs runtime_params.tool_params.cmd")
    declared = list(((params.parameters or {}).get("properties") or {}).keys())
    values = [_argument_text(arguments[name]) for name in declared if name in arguments]
    for name, value in zip([n for n in declared if n in arguments], values, strict=True):
        if value.startswith("-"):
            return error_result(f"dyno_run_command refused argument {name!r}: it starts with '-' and the command "
                                "would read it as an option; pass the value without a leading dash")
        if "\x00" in value:
            return error_result(f"dyno_run_command refused argument {name!r}: it contains a NUL byte")
    # The author's cmd runs in a shell (it may use `&&`); model values arrive only as "$1", "$2", ...
    argv = ["/bin/sh", "-c", f'{params.cmd} "$@"', "dyno_run_command", *values]
    env = child_environment(settings.child_env) | {"DYNO": "run.local"}
    if "DATABASE_URL" in params.cmd and not env.get("DATABASE_URL"):
        # libpq reads an empty "$DATABASE_URL" as "use the defaults": on a laptop, whatever listens locally.
        return error_result(
            "dyno_run_command: the command reads $DATABASE_URL, but the local endpoint was started without "
            "DATABASE_URL, so it would run against libpq's defaults (a local PostgreSQL, not the app's database). "
            "Set DATABASE_URL before starting the endpoint or the driver (on Heroku it is the app's config var)."
        )
    proc = await _subprocess(argv, timeout=ttl, cwd=settings.workdir, env=env)
    if proc is None:
        return error_result(f"the command did not finish within ttl_seconds={ttl}; it was killed")
    output = (proc.stdout + (f"\n{proc.stderr}" if proc.stderr else "")).strip()[-MAX_OUTPUT:]
    structured = {"returncode": proc.returncode, "stdout": proc.stdout[-MAX_OUTPUT:], "stderr": proc.stderr[-MAX_OUTPUT:]}
    return text_result(output, structured=structured, is_error=proc.returncode != 0)


def _argument_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)

