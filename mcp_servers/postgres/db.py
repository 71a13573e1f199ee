"""Database access for the checks: a lazy `psycopg_pool` pool of read-only, time-boxed sessions.

Nothing connects when the server starts: it lists tools with the database down, and the first call
that needs the database gets a clear `ToolError` naming the host and the cause, never a traceback
or the password.

Every step has a client-side deadline, because `statement_timeout` is enforced by the server and a
frozen or unreachable server enforces nothing: connecting (name resolution included) and waiting
for a pooled connection are bounded by `PG_CONNECT_TIMEOUT_S`, and holding a connection by
`PG_STATEMENT_TIMEOUT_MS` plus `QUERY_GRACE_S`. When a deadline passes, the connection is closed
(psycopg's own bounded cancel goes first) and the pool is dropped, so the next call probes afresh and
recovers as soon as the database answers again.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import anyio
from mcp.server.mcpserver.exceptions import ToolError

from mcp_servers.common.redact import redact_text
from mcp_servers.postgres.settings import APPLICATION_NAME, PostgresSettings

if TYPE_CHECKING:
    import psycopg
    from psycopg_pool import AsyncConnectionPool

__all__ = ["Database", "DatabaseUnavailable"]

logger = logging.getLogger(__name__)

QUERY_GRACE_S = 5.0  # how long past statement_timeout we wait for a server that should have cancelled itself


class DatabaseUnavailable(ToolError):
    """The database could not be reached; the message says where and why."""


def _password(url: str | None) -> list[str]:
    from urllib.parse import urlsplit

    if not url:
        return []
    try:
        pw = urlsplit(url).password
    except ValueError:
        return []
    return [pw] if pw else []


def _is_url(url: str) -> bool:
    """Whether libpq will read the setting as a URL (anything else it parses as `key=value` words)."""
    return url.startswith(("postgres://", "postgresql://"))


def _url_pieces(url: str | None) -> list[str]:
    """Every word of the setting, so no fragment libpq quotes back can carry it out."""
    return [piece for piece in (url or "").split() if len(piece) >= 4]


class Database:
    """A pool opened on first use; each connection is read-only with our timeouts."""

    def __init__(self, settings: PostgresSettings) -> None:
        self.settings = settings
        self._pool: AsyncConnectionPool | None = None
        self._url: str | None = settings.database_url
        self.server_version_num: int | None = None
        self._opening = anyio.Lock()

    @property
    def acquire_seconds(self) -> float:
        """Deadline for getting a connection: resolve, connect, authenticate, or wait for a pooled one."""
        return float(self.settings.connect_timeout_s) + 1.0

    @property
    def use_seconds(self) -> float:
        """Deadline for holding a connection: the server's statement_timeout, plus a grace period."""
        return self.settings.statement_timeout_ms / 1000 + QUERY_GRACE_S

    def _conninfo(self) -> str:
        if self._url is None:  # no URL: the embedded demo database, or a refusal on a dyno (database_source.py)
            from mcp_servers.postgres.database_source import resolve_url

            self._url = resolve_url(self.settings, self._start_embedded)
        return self._url

    def _start_embedded(self) -> str:
        from mcp_servers.common.embedded_pg import EmbeddedPostgres
        from mcp_servers.postgres.seed.demo import ensure_demo_database

        try:
            return ensure_demo_database(EmbeddedPostgres(self.settings.embedded_data_dir).start().url()).url
        except (RuntimeError, OSError) as exc:
            raise DatabaseUnavailable(
                f"cannot start the embedded PostgreSQL in {self.settings.embedded_data_dir}: {exc}; "
                "set DATABASE_URL to use another database"
            ) from None

    async def _configure(self, conn: psycopg.AsyncConnection[Any]) -> None:
        s = self.settings
        await conn.set_autocommit(True)
        # One statement (only a string's last statement would carry the marker, own_statements.py);
        # set_config(..., false) is SET. The values are integers from our own settings, not user input.
        await conn.execute(
            "SELECT pg_catalog.set_config('statement_timeout', %s, false),"
            " pg_catalog.set_config('lock_timeout', %s, false),"
            " pg_catalog.set_config('idle_in_transaction_session_timeout', %s, false),"
            " pg_catalog.set_config('default_transaction_read_only', 'on', false)",
            (str(int(s.statement_timeout_ms)), str(int(s.lock_timeout_ms)), str(int(s.idle_in_transaction_timeout_ms))),
        )
        if self.server_version_num is None:
            self.server_version_num = conn.info.server_version

    def unavailable(self, exc: BaseException) -> DatabaseUnavailable:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if self._url is not None and not _is_url(self._url):
            # libpq quotes the part it could not parse, which for a mangled URL holds the password.
            reason = "DATABASE_URL is not a postgres:// URL with user, password, host, port and database (value not shown)"
        reason = redact_text(reason, _password(self._url) + _url_pieces(self._url))
        # On a dyno there is no embedded fallback (database_source.py): only point at it where it exists.
        fallback = "" if self.settings.dyno else ", or unset it to use the embedded demo database"
        return DatabaseUnavailable(
            f"cannot reach database at host {self.settings.host_label}: {reason}. "
            f"Check DATABASE_URL (on Heroku: `heroku pg:info`){fallback}."
        )

    def silent(self, seconds: float, doing: str) -> DatabaseUnavailable:
        """The error for a deadline that passed: the server accepted nothing or answered nothing."""
        return DatabaseUnavailable(
            f"database at host {self.settings.host_label} did not answer within {seconds:g} s while {doing}; "
            "it may be stopped, overloaded or unreachable. Check `heroku pg:info` (or the server's host), "
            "or raise PG_CONNECT_TIMEOUT_S / PG_STATEMENT_TIMEOUT_MS if it is only slow."
        )

    async def _ready_pool(self) -> AsyncConnectionPool:
        """The pool, opened (from a direct connection that reports the cause of a failure) within `acquire_seconds`."""
        async with self._opening:
            if self._pool is None:
                conninfo = self._conninfo()  # may start the embedded server: not part of the deadline
                with anyio.move_on_after(self.acquire_seconds) as scope:
                    self._pool = await self._open(conninfo)
                if scope.cancelled_caught:
                    raise self.silent(self.acquire_seconds, "connecting")
            return self._pool

    async def _drop_pool(self) -> None:
        """Forget the pool after an outage: its connections are suspect and its reconnect backoff slow."""
        pool, self._pool = self._pool, None
        if pool is not None:
            from mcp_servers.postgres.pool import close_pool

            await close_pool(pool)

    async def _open(self, conninfo: str) -> AsyncConnectionPool:
        import psycopg
        from psycopg.rows import dict_row
        from psycopg_pool import PoolTimeout

        from mcp_servers.postgres.own_statements import marked_cursor
        from mcp_servers.postgres.pool import open_pool

        kwargs = {
            "row_factory": dict_row,
            "cursor_factory": marked_cursor(),  # every statement we send carries the marker (own_statements.py)
            "application_name": APPLICATION_NAME,
            "connect_timeout": self.settings.connect_timeout_s,
            "prepare_threshold": None,
        }
        # Connect directly first: a pool that cannot connect only says "timeout", and we want the cause.
        # The pool then starts from this connection (pool.py): one connection on the first call, not two.
        try:
            first = await psycopg.AsyncConnection.connect(conninfo, **kwargs)
        except psycopg.Error as exc:
            raise self.unavailable(exc) from None
        try:
            return await open_pool(first, conninfo, kwargs, max_size=self.settings.pool_max,
                                   configure=self._configure, timeout=self.acquire_seconds)
        except PoolTimeout:
            raise self.silent(self.acquire_seconds, "opening the connection pool") from None

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[psycopg.AsyncConnection[dict[str, Any]]]:
        """A pooled connection, held for at most `use_seconds`.

        Raises:
            DatabaseUnavailable: the database cannot be reached, or stopped answering (a deadline passed).
        """
        import psycopg
        from psycopg_pool import PoolTimeout

        pool = await self._ready_pool()
        try:
            async with pool.connection(timeout=self.acquire_seconds) as conn:
                with anyio.CancelScope(deadline=anyio.current_time() + self.use_seconds) as scope:
                    yield conn
                if scope.cancelled_caught:
                    # psycopg already tried a bounded cancel and closed the socket; make sure it is closed so
                    # the pool discards it rather than lending a connection stuck mid-query.
                    conn.pgconn.finish()
                    raise self.silent(self.use_seconds, "running a query")
        except PoolTimeout:
            await self._drop_pool()
            raise self.silent(self.acquire_seconds, "waiting for a connection") from None
        except DatabaseUnavailable:
            await self._drop_pool()
            raise
        except psycopg.OperationalError as exc:
            # Class 08 (connection exception) or no SQLSTATE at all: the link, not the query, failed.
            if exc.sqlstate is None or exc.sqlstate.startswith("08"):
                await self._drop_pool()
                raise self.unavailable(exc) from None
            raise

    async def fetch(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Run one read and return its rows as dicts."""
        async with self.connection() as conn:
            cur = await conn.execute(sql, params)
            return await cur.fetchall() if cur.description else []

    @asynccontextmanager
    async def read_only_transaction(self) -> AsyncIterator[psycopg.AsyncConnection[dict[str, Any]]]:
        """A connection inside `BEGIN READ ONLY` with local timeouts, always rolled back afterwards.

        `standard_conforming_strings` is forced on so the server tokenises string literals the way
        the pglast guard did (backslash tricks depend on it).
        """
        s = self.settings
        async with self.connection() as conn:
            await conn.execute("BEGIN TRANSACTION READ ONLY")
            try:
                await conn.execute(
                    "SELECT pg_catalog.set_config('statement_timeout', %s, true),"
                    " pg_catalog.set_config('lock_timeout', %s, true),"
                    " pg_catalog.set_config('standard_conforming_strings', 'on', true)",
                    (str(int(s.statement_timeout_ms)), str(int(s.lock_timeout_ms))),
                )
                yield conn
            finally:
                if not conn.closed:
                    await conn.execute("ROLLBACK")

    async def version_num(self) -> int:
        if self.server_version_num is None:
            async with self.connection():
                pass
        assert self.server_version_num is not None
        return self.server_version_num

    async def close(self) -> None:
        await self._drop_pool()

