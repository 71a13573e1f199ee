"""Offline preflight: would Heroku register these servers, and can the configs be served by them?"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio

from heroku_agents.errors import AgentsError, ConfigError, McpServerError, PreflightError
from heroku_agents.models import MCPServerTool
from heroku_agents.procfile import Procfile, ProcfileError, load_procfile

__all__ = ["TOOL_NAME", "PreflightReport", "preflight"]

TOOL_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_LOOKS_MCP = re.compile(r"mcp", re.I)


@dataclass
class PreflightReport:
    procfile: Procfile
    tools: dict[str, list[MCPServerTool]] = field(default_factory=dict)  # process type -> its tools
    configs_checked: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def process_types(self) -> list[str]:
        return [p.name for p in self.procfile.mcp_servers()]


async def preflight(  # noqa: C901 (one pass of independent per-server checks; splitting them is a larger refactor)
    procfile_path: Path, *, config_dir: Path | None, env: Mapping[str, str], start_timeout: float = 30.0
) -> PreflightReport:
    """Start every `mcp*` process over STDIO, list its tools and check what Heroku and the configs need.

    Raises:
        PreflightError: listing every problem found (all checks run before it is raised).
    """
    from heroku_agents.mcp_stdio import listed_tool, open_server

    try:
        procfile = load_procfile(procfile_path)
    except FileNotFoundError:
        raise PreflightError([f"{procfile_path}: no Procfile; add a line like `mcp-postgres: python -m mcp_servers.postgres`"]) from None
    except ProcfileError as exc:
        raise PreflightError([str(exc)]) from None
    report = PreflightReport(procfile)
    problems = report.problems
    for entry in procfile.entries:
        if not entry.is_mcp and entry.name != "web" and (_LOOKS_MCP.search(entry.name) or "stdio" in entry.command):
            problems.append(
                f"{procfile.path}:{entry.line}: process type {entry.name!r} looks like an MCP server but does not "
                f"start with 'mcp'; Heroku registers only mcp* process types (rename it, e.g. 'mcp-{entry.name.lower().replace('mcp', '').strip('-_') or 'server'}')"
            )
    if not procfile.mcp_servers():
        problems.append(f"{procfile.path}: no mcp* process type; Heroku would register nothing")
    cwd = Path(procfile.path).resolve().parent
    listed_by: dict[str, list[MCPServerTool] | McpServerError] = {}

    async def list_one(process: Any) -> None:  # servers start in parallel: each pays its own cold start
        try:
            async with open_server(process, cwd=cwd, env=env, timeout=start_timeout) as (_, tools):
                listed_by[process.name] = [listed_tool(process.name, t) for t in tools]
        except McpServerError as exc:
            listed_by[process.name] = exc

    async with anyio.create_task_group() as tg:
        for process in procfile.mcp_servers():
            tg.start_soon(list_one, process)
    owners: dict[str, str] = {}
    for process in procfile.mcp_servers():
        listed = listed_by[process.name]
        if isinstance(listed, McpServerError):
            problems.append(str(listed))
            continue
        report.tools[process.name] = listed
        if not listed:
            problems.append(f"{process.name}: lists no tools")
        for tool in listed:
            where = f"{process.name}/{tool.name}"
            if not TOOL_NAME.match(tool.name):
                problems.append(f"{where}: tool name {tool.name!r} is not [A-Za-z0-9_-]{{1,64}}; models cannot call it")
            if not tool.description.strip():
                problems.append(f"{where}: no description; the model decides when to call a tool from it")
            if tool.input_schema.get("type") != "object":
                problems.append(f"{where}: no input schema (expected a JSON Schema with type 'object')")
            if tool.name in owners:
                problems.append(
                    f"{where}: tool name {tool.name!r} is also served by {owners[tool.name]}; a bare name in a request would be ambiguous"
                )
            else:
                owners[tool.name] = process.name
    if config_dir is not None:
        _check_configs(report, config_dir, env, owners)
    if problems:
        raise PreflightError(problems)
    return report


def _check_configs(report: PreflightReport, config_dir: Path, env: Mapping[str, str], owners: dict[str, str]) -> None:
    from heroku_agents.configs import load_config

    for path in sorted(config_dir.glob("*.yaml")):
        try:
            config = load_config(path, env, placeholders=True)
        except (ConfigError, AgentsError) as exc:
            report.problems.append(str(exc))
            continue
        report.configs_checked.append(config.name)
        for i, tool in enumerate(config.body.get("tools") or []):
            if tool.get("type") != "mcp":
                continue
            name = tool["name"]
            line = config.lines.get(("tools", i, "name"))
            where = f"{path}:{line}" if line else str(path)
            process_type, _, bare = name.rpartition("/")
            if process_type:
                served = {t.name for t in report.tools.get(process_type, [])}
                if process_type not in report.process_types:
                    report.problems.append(f"{where}: {name}: no process type {process_type!r} in {report.procfile.path}")
                elif process_type in report.tools and bare not in served:
                    report.problems.append(
                        f"{where}: {name}: {process_type} serves no tool {bare!r} (it serves: {', '.join(sorted(served)) or 'none'})"
                    )
            elif bare not in owners:
                report.problems.append(f"{where}: {name}: no mcp* server provides this tool")
