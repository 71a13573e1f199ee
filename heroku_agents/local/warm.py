"""An optional warm pool: a few connected server processes per registry entry, reused across calls.

Heroku starts a one-off dyno per call; locally that cold start (interpreter + imports) dominates a
fast tool, so `--warm N` keeps N idle processes per server. A lease that ends in an error, a
timeout or a cancellation kills its process and a fresh one takes its place. With no idle process
the caller falls back to a cold start.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import anyio
from anyio.abc import TaskGroup

from heroku_agents.local.process import ServerProcess, mcp_client

if TYPE_CHECKING:
    from heroku_agents.local.registry import Registry, ServerEntry

__all__ = ["WarmPool"]

logger = logging.getLogger(__name__)


@dataclass
class _Warm:
    client: Any
    server: ServerProcess
    stop: anyio.Event = field(default_factory=anyio.Event)


class WarmPool:
    def __init__(self, registry: Registry, *, size: int) -> None:
        self.registry = registry
        self.size = size
        self._idle: dict[str, list[_Warm]] = {}
        self._tg: TaskGroup | None = None

    @asynccontextmanager
    async def running(self) -> AsyncIterator[WarmPool]:
        """Hold the pool's processes for the lifetime of the app."""
        async with anyio.create_task_group() as tg:
            self._tg = tg
            for entry in self.registry.servers.values():
                if entry.primitives_status == "synced":
                    for _ in range(self.size):
                        tg.start_soon(self._hold, entry)
            try:
                yield self
            finally:
                self._tg = None
                tg.cancel_scope.cancel()

    async def _hold(self, entry: ServerEntry) -> None:
        settings = self.registry.settings
        try:
            async with mcp_client(
                entry.process.command, env=self.registry.env(), cwd=settings.workdir, timeout=settings.mcp_ttl_cap
            ) as (client, server):
                await client.list_tools()  # type: ignore[attr-defined]  # output schemas cached up front
                warm = _Warm(client, server)
                self._idle.setdefault(entry.process.name, []).append(warm)
                await warm.stop.wait()
        except Exception as exc:
            logger.warning("warm process for %s did not start: %s", entry.process.name, type(exc).__name__)

    async def wait_ready(self, timeout: float = 30) -> None:
        """Wait until every synced server has its idle processes (benchmarks and tests)."""
        wanted = {e.process.name for e in self.registry.servers.values() if e.primitives_status == "synced"}
        with anyio.fail_after(timeout):
            while any(len(self._idle.get(name, [])) < self.size for name in wanted):
                await anyio.sleep(0.01)

    @asynccontextmanager
    async def lease(self, entry: ServerEntry) -> AsyncIterator[tuple[Any, ServerProcess] | None]:
        idle = self._idle.get(entry.process.name) or []
        while idle and idle[-1].server.process.returncode is not None:  # died while idle: replace it
            self._retire(idle.pop(), entry)
        if not idle or self._tg is None:
            yield None
            return
        warm = idle.pop()
        ok = False
        try:
            yield warm.client, warm.server
            ok = True
        finally:
            if ok and warm.server.process.returncode is None:
                idle.append(warm)
            else:
                self._retire(warm, entry)

    def _retire(self, warm: _Warm, entry: ServerEntry) -> None:
        """Kill a process that failed, timed out, was cancelled or died; start its replacement."""
        warm.server.kill()
        warm.stop.set()
        if self._tg is not None:
            self._tg.start_soon(self._hold, entry)

    async def aclose(self) -> None:
        for idle in self._idle.values():
            for warm in idle:
                warm.stop.set()
        self._idle.clear()
