"""The MCP server registry: every `mcp*` Procfile process type, its tools listed over STDIO.

What the Managed Inference add-on does when an app is attached: register each `mcp*` process type
(`server_status: registered`), then sync its tools (`primitives_status: syncing` -> `synced`, or
`error` with the reason). One server failing leaves the others serving.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

import anyio

from heroku_agents.errors import first_line
from heroku_agents.local.process import ServerFailed, child_environment, mcp_client
from heroku_agents.local.settings import LocalSettings
from heroku_agents.mcp_stdio import listed_tool
from heroku_agents.model_tools import NO_ARGUMENTS
from heroku_agents.models import MCPServerRecord, MCPServerTool
from heroku_agents.procfile import ProcessType, Procfile
from heroku_agents.redaction import redact

__all__ = ["Registry", "ServerEntry"]

logger = logging.getLogger(__name__)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class ServerEntry:
    process: ProcessType
    app_id: str
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    created_at: str = field(default_factory=_now)
    updated_at: str = field(default_factory=_now)
    primitives_status: Literal["syncing", "synced", "error"] = "syncing"
    error: str | None = None
    tools: list[MCPServerTool] = field(default_factory=list)
    settled: anyio.Event = field(default_factory=anyio.Event)  # set once the first sync ended, either way

    def record(self) -> MCPServerRecord:
        return MCPServerRecord(
            id=self.id, app_id=self.app_id, process_type=self.process.name, process_command=self.process.command,
            created_at=self.created_at, updated_at=self.updated_at, namespace=self.process.name,
            server_status="registered", primitives_status=self.primitives_status,
            tools=list(self.tools),
            **({"error": self.error} if self.error else {}),
        )


class Registry:
    """Servers by process type; `resolve()` accepts bare tool names and `process_type/tool`."""

    def __init__(self, procfile: Procfile, settings: LocalSettings) -> None:
        self.settings = settings
        self.servers = {p.name: ServerEntry(p, settings.app_id) for p in procfile.mcp_servers()}

    def env(self) -> dict[str, str]:
        return child_environment(self.settings.child_env)

    async def sync_all(self) -> None:
        """List every server's tools concurrently; each failure is recorded on its own entry."""
        async with anyio.create_task_group() as tg:
            for entry in self.servers.values():
                tg.start_soon(self.sync, entry)

    async def sync(self, entry: ServerEntry) -> None:
        entry.primitives_status, entry.error = "syncing", None
        reason: str | None = None
        with anyio.move_on_after(self.settings.registry_timeout) as scope:
            try:
                async with mcp_client(
                    entry.process.command, env=self.env(), cwd=self.settings.workdir,
                    timeout=self.settings.registry_timeout,
                ) as (client, _):
                    listed = await client.list_tools()  # type: ignore[attr-defined]
                    entry.tools = [listed_tool(entry.process.name, tool, NO_ARGUMENTS) for tool in listed.tools]
            # The server is arbitrary user code: whatever it does, record why and keep the others serving.
            except Exception as exc:
                reason = str(exc) if isinstance(exc, ServerFailed) else first_line(exc)
        if scope.cancelled_caught:
            reason = f"tools/list did not answer within {self.settings.registry_timeout:g}s"
        entry.updated_at = _now()
        entry.settled.set()
        if reason is None:
            entry.primitives_status = "synced"
            logger.info("%s: synced %d tools", entry.process.name, len(entry.tools))
        else:
            entry.primitives_status, entry.error, entry.tools = "error", self._redact(reason), []
            logger.warning("%s: tool sync failed: %s", entry.process.name, entry.error)

    def _redact(self, text: str) -> str:
        return redact(text, self.settings.secrets)

    async def wait_for(self, names: list[str], timeout: float) -> None:
        """Wait (bounded) until the servers that could provide these tool names have synced: the named
        namespace for `ns/tool`, every server for a bare name."""
        wanted: dict[str, ServerEntry] = {}
        for name in names:
            namespace = name.partition("/")[0] if "/" in name else None
            if namespace is None:
                wanted.update(self.servers)
            elif namespace in self.servers:
                wanted[namespace] = self.servers[namespace]
        with anyio.move_on_after(timeout):
            for entry in wanted.values():
                await entry.settled.wait()

    def records(self) -> list[MCPServerRecord]:
        return [entry.record() for entry in self.servers.values()]

    def resolve(self, name: str) -> tuple[ServerEntry, MCPServerTool] | None:
        """`ns/tool` exactly, or a bare tool name: the first server (Procfile order) that has it."""
        if "/" in name:
            namespace, _, bare = name.partition("/")
            entry = self.servers.get(namespace)
            candidates = [entry] if entry else []
        else:
            bare, candidates = name, list(self.servers.values())
        for entry in candidates:
            for tool in entry.tools:
                if tool.name == bare:
                    return entry, tool
        return None
