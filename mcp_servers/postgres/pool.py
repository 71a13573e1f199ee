"""The connection pool, started from the connection that proved the database reachable.

`Database` connects once directly before it opens the pool, because a pool that cannot connect only
says "timeout" and the user needs the cause. The pool takes that connection as its first one instead
of opening another: on Heroku every tool call runs in a fresh one-off dyno, so the first call is
usually the only one, and it costs one TLS handshake and one connection slot, not two.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import psycopg
from psycopg_pool import AsyncConnectionPool

__all__ = ["POOL_CLOSE_S", "close_pool", "open_pool"]

POOL_CLOSE_S = 2.0  # a pool dropped after an outage gets this long to close its connections

Connection = psycopg.AsyncConnection[Any]


def _first_then_new(first: list[Connection]) -> type[Connection]:
    """A connection class whose first `connect` hands out the connection in `first`; later ones connect."""

    class FirstThenNew(psycopg.AsyncConnection):  # type: ignore[type-arg]
        @classmethod
        async def connect(cls, conninfo: str = "", **kwargs: Any) -> Connection:  # type: ignore[override]
            if first:
                return first.pop()
            return await psycopg.AsyncConnection.connect(conninfo, **kwargs)

    return FirstThenNew


async def open_pool(first: Connection, conninfo: str, kwargs: dict[str, Any], *, max_size: int,
                    configure: Callable[[Connection], Awaitable[None]], timeout: float) -> AsyncConnectionPool:
    """An open pool (`min_size=1`) whose first connection is `first`, configured like any other.

    Raises:
        PoolTimeout: the pool was not ready within `timeout`; the pool and `first` are closed.
    """
    unclaimed = [first]
    pool = AsyncConnectionPool(
        conninfo, connection_class=_first_then_new(unclaimed), kwargs=kwargs, min_size=1, max_size=max_size,
        configure=configure, open=False, name="mcp-postgres",
    )
    try:
        await pool.open(wait=True, timeout=timeout)
    except BaseException:  # a timeout, or cancelled by the caller's deadline: no pool workers may outlive it
        await close_pool(pool)
        raise
    finally:
        for conn in unclaimed:  # only when opening failed before the pool took it
            await conn.close()
    return pool


async def close_pool(pool: AsyncConnectionPool) -> None:
    """Close a pool within `POOL_CLOSE_S`, even when cancelled or when its server is frozen."""
    with anyio.move_on_after(POOL_CLOSE_S, shield=True):
        await pool.close(timeout=POOL_CLOSE_S)
