"""Database access for the checks: a lazy `psycopg_pool` pool of read-only, time-boxed sessions.

Nothing connects when the server starts: it lists tools with the database down, and the first call
that needs the database gets a clear `ToolError` naming the host and the cause, never a traceback
or the password.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from mcp.server.mcpserver.exceptions import ToolError

from mcp_servers.common.redact import redact_text
from mcp_servers.postgres.settings import APPLICATION_NAME, PostgresSettings

if TYPE_CHECKING:
    import psycopg
    from psycopg_pool import AsyncConnectionPool

__all__ = ["Database", "DatabaseUnavailable"]

logger = logging.getLogger(__name__)


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

    def _conninfo(self) -> str:
        if self._url is None:
            from mcp_servers.common.embedded_pg import EmbeddedPostgres

            try:
                pg = EmbeddedPostgres(self.settings.embedded_data_dir).start()
            except (RuntimeError, OSError) as exc:
                raise DatabaseUnavailable(
                    f"cannot start the embedded PostgreSQL in {self.settings.embedded_data_dir}: {exc}; "
                    "set DATABASE_URL to use another database"
                ) from None
            self._url = pg.url()
        return self._url

    async def _configure(self, conn: "psycopg.AsyncConnection[Any]") -> None:
        s = self.settings
        await conn.set_autocommit(True)
        # Bind-free SET statements: the values are integers from our own settings, not user input.
        await conn.execute(
            f"SET statement_timeout = {int(s.statement_timeout_ms)};"
            f"SET lock_timeout = {int(s.lock_timeout_ms)};"
            f"SET idle_in_transaction_session_timeout = {int(s.idle_in_transaction_timeout_ms)};"
            "SET default_transaction_read_only = on;"
        )
        if self.server_version_num is None:
            self.server_version_num = conn.info.server_version

    def unavailable(self, exc: BaseException) -> DatabaseUnavailable:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if self._url is not None and not _is_url(self._url):
            # libpq quotes the part it could not parse, which for a mangled URL holds the password.
            reason = "DATABASE_URL is not a postgres:// URL with user, password, host, port and database (value not shown)"
        reason = redact_text(reason, _password(self._url) + _url_pieces(self._url))
        return DatabaseUnavailable(
            f"cannot reach database at host {self.settings.host_label}: {reason}. "
            "Check DATABASE_URL (on Heroku: `heroku pg:info`), or unset it to use the embedded database."
        )

    async def _open(self) -> "AsyncConnectionPool":
        import psycopg
        from psycopg.rows import dict_row
        from psycopg_pool import AsyncConnectionPool

        conninfo = self._conninfo()
        kwargs = {
            "row_factory": dict_row,
            "application_name": APPLICATION_NAME,
            "connect_timeout": self.settings.connect_timeout_s,
            "prepare_threshold": None,
        }
        # One direct attempt first: a pool that cannot connect only says "timeout", and we want the cause.
        try:
            probe = await psycopg.AsyncConnection.connect(conninfo, **kwargs)
        except psycopg.Error as exc:
            raise self.unavailable(exc) from None
        await probe.close()
        pool = AsyncConnectionPool(
            conninfo, kwargs=kwargs, min_size=1, max_size=self.settings.pool_max,
            configure=self._configure, open=False, name="mcp-postgres",
        )
        await pool.open(wait=True, timeout=self.settings.connect_timeout_s + 1)
        return pool

    @asynccontextmanager
    async def connection(self) -> AsyncIterator["psycopg.AsyncConnection[dict[str, Any]]"]:
        """A pooled connection. Raises `DatabaseUnavailable` when the database cannot be reached."""
        import psycopg
        from psycopg_pool import PoolTimeout

        if self._pool is None:
            self._pool = await self._open()
        try:
            async with self._pool.connection(timeout=self.settings.connect_timeout_s + 1) as conn:
                yield conn
        except PoolTimeout as exc:
            raise self.unavailable(exc) from None
        except psycopg.OperationalError as exc:
            # Class 08 (connection exception) or no SQLSTATE at all: the link, not the query, failed.
            if exc.sqlstate is None or exc.sqlstate.startswith("08"):
                raise self.unavailable(exc) from None
            raise

    async def fetch(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Run one read and return its rows as dicts."""
        async with self.connection() as conn:
            cur = await conn.execute(sql, params)
            return await cur.fetchall() if cur.description else []

    @asynccontextmanager
    async def read_only_transaction(self) -> AsyncIterator["psycopg.AsyncConnection[dict[str, Any]]"]:
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
        if self._pool is not None:
            await self._pool.close()
            self._pool = None
