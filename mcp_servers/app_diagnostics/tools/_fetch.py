"""Concurrent Platform API reads for one tool call, bounded so a tool never hammers the API."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import anyio
from mcp.server.mcpserver.exceptions import ToolError

__all__ = ["MAX_CONCURRENT_CALLS", "gather"]

MAX_CONCURRENT_CALLS = 4


async def gather(*calls: Callable[[], Awaitable[Any]], limit: int = MAX_CONCURRENT_CALLS) -> list[Any]:
    """Run the calls at most `limit` at a time; results in order. The first `ToolError` is raised
    as itself (not wrapped in an exception group) so the model reads its message."""
    results: list[Any] = [None] * len(calls)
    errors: list[ToolError] = []
    limiter = anyio.CapacityLimiter(limit)

    async def run(index: int, call: Callable[[], Awaitable[Any]]) -> None:
        async with limiter:
            try:
                results[index] = await call()
            except ToolError as exc:
                errors.append(exc)

    async with anyio.create_task_group() as tg:
        for index, call in enumerate(calls):
            tg.start_soon(run, index, call)
    if errors:
        raise errors[0]
    return results
