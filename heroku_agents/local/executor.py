"""Running one MCP tool call the way Heroku does: a fresh STDIO process per call, killed at ttl_seconds.

Every outcome is an MCP `CallToolResult` wire dict (`{"content": [...], "isError": ...}`), failures
included, so the agent loop can always report it in a `tool.completion` and go on. With a warm pool
(`LocalSettings.warm_pool > 0`) idle processes are reused instead; a call that fails, times out or
is cancelled still kills the process it ran on.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import anyio

from heroku_agents.errors import first_line
from heroku_agents.local.process import ServerFailed, ServerProcess, mcp_client
from heroku_agents.local.registry import Registry, ServerEntry
from heroku_agents.local.warm import WarmPool
from heroku_agents.redaction import redact
from heroku_agents.wire import error_result

__all__ = ["QUEUE_NOTICE", "CallStats", "ToolExecutor", "wire_result"]

logger = logging.getLogger(__name__)

# Set by whoever streams a run: told, in words, when one of its calls waits for a free process slot.
QUEUE_NOTICE: ContextVar[Callable[[str], None] | None] = ContextVar("QUEUE_NOTICE", default=None)


def wire_result(result: Any) -> dict[str, Any]:
    """An SDK `CallToolResult` as Heroku forwards it: content, structuredContent when present, isError."""
    wire: dict[str, Any] = {"content": [c.model_dump(mode="json", by_alias=True, exclude_none=True) for c in result.content]}
    if result.structured_content is not None:
        wire["structuredContent"] = result.structured_content
    wire["isError"] = bool(result.is_error)
    return wire


@dataclass
class CallStats:
    """Timing of the tool calls of one executor (the benchmark reads it)."""

    calls: int = 0
    cold: int = 0
    warm: int = 0
    queued: int = 0  # calls that waited for a free process slot
    peak_running: int = 0  # most calls running at once
    seconds: list[float] = field(default_factory=list)


class ToolExecutor:
    def __init__(self, registry: Registry, *, warm_pool: int = 0) -> None:
        self.registry = registry
        self.settings = registry.settings
        self.pool = WarmPool(registry, size=warm_pool) if warm_pool > 0 else None
        self.stats = CallStats()
        self.slots = anyio.CapacityLimiter(self.settings.max_tool_processes)

    async def call(self, entry: ServerEntry, tool: str, arguments: dict[str, Any], *, ttl_seconds: int) -> dict[str, Any]:
        """Run `tool` on `entry`'s process; never raises for a tool failure (cancellation propagates).

        At most `max_tool_processes` calls run at once; a call past that waits (its ttl starts when it runs)
        and the run's stream is told why it is quiet.
        """
        name = f"{entry.process.name}/{tool}"
        if self.slots.available_tokens < 1:
            self.stats.queued += 1
            notice = QUEUE_NOTICE.get()
            if notice is not None:
                notice(f"{name} is queued: all {self.slots.total_tokens:g} tool process slots are busy "
                       "(LOCAL_AGENTS_MAX_PROCESSES)")
        async with self.slots:
            self.stats.peak_running = max(self.stats.peak_running, int(self.slots.borrowed_tokens))
            return await self._call(entry, tool, arguments, ttl_seconds=ttl_seconds)

    async def _call(self, entry: ServerEntry, tool: str, arguments: dict[str, Any], *, ttl_seconds: int) -> dict[str, Any]:
        ttl = min(ttl_seconds, self.settings.mcp_ttl_cap)
        name = f"{entry.process.name}/{tool}"
        started = time.perf_counter()
        outcome: dict[str, Any] | None = None
        used: ServerProcess | None = None
        with anyio.move_on_after(ttl) as scope:
            try:
                async with self._client(entry, ttl) as (client, used):
                    result = await client.call_tool(tool, arguments)  # type: ignore[attr-defined]
                    outcome = wire_result(result)
            # A tool process is arbitrary code: whatever breaks becomes an isError result the model reads.
            except Exception as exc:
                detail = redact(await _failure_detail(exc, used), self.settings.secrets)
                logger.warning("%s failed: %s", name, detail)
                outcome = error_result(f"the process of {entry.process.name} failed while running {tool}: {detail}")
        if scope.cancelled_caught:
            outcome = error_result(
                f"{name} did not finish within ttl_seconds={ttl}; its process was killed. Try narrower arguments."
            )
        self.stats.calls += 1
        self.stats.seconds.append(time.perf_counter() - started)
        assert outcome is not None
        return _redacted(outcome, self.settings.secrets)

    @asynccontextmanager
    async def _client(self, entry: ServerEntry, ttl: int) -> AsyncIterator[tuple[Any, ServerProcess]]:
        if self.pool is not None:
            async with self.pool.lease(entry) as leased:
                if leased is not None:
                    self.stats.warm += 1
                    yield leased
                    return
        self.stats.cold += 1
        async with mcp_client(entry.process.command, env=self.registry.env(), cwd=self.settings.workdir, timeout=ttl) as pair:
            yield pair

    async def aclose(self) -> None:
        if self.pool is not None:
            await self.pool.aclose()



async def _failure_detail(exc: Exception, server: ServerProcess | None) -> str:
    """The error with the process's last stderr lines. A cold start's `ServerFailed` has them already;
    a warm process fails inside the caller's lease, so its stderr is read here (once it is drained)."""
    if isinstance(exc, ServerFailed) or server is None:
        return str(exc) if isinstance(exc, ServerFailed) else first_line(exc)
    with anyio.move_on_after(0.5, shield=True):
        await server.drained.wait()
    tail = server.stderr_tail()
    return first_line(exc) + (f" (stderr: {tail})" if tail else "")


def _redacted(result: dict[str, Any], secrets: tuple[str, ...]) -> dict[str, Any]:
    """Mask secrets in text content (a tool may echo DATABASE_URL in an error)."""
    for block in result.get("content", []):
        if block.get("type") == "text" and isinstance(block.get("text"), str):
            block["text"] = redact(block["text"], secrets)
    return result
