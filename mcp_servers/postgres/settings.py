"""Settings of the PostgreSQL checks server, read from the environment when the server is built."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict

from mcp_servers.common.env import Env, env_fields
from mcp_servers.common.schemas import full_output_schemas_requested

__all__ = ["DEFAULT_STATEMENT_TIMEOUT_MS", "PROJECT_DATA_DIR", "PostgresSettings"]

DEFAULT_STATEMENT_TIMEOUT_MS = 15_000  # long enough for catalog scans of 10k tables, short enough for an agent
DEFAULT_LOCK_TIMEOUT_MS = 1_000  # our reads must never queue behind a DDL lock for long
DEFAULT_IDLE_IN_TX_TIMEOUT_MS = 30_000
DEFAULT_CONNECT_TIMEOUT_S = 5
DEFAULT_POOL_MAX = 4
APPLICATION_NAME = "heroku-mcp-toolkit/mcp-postgres"
PROJECT_DATA_DIR = Path(__file__).resolve().parents[2] / ".data" / "postgres"


class PostgresSettings(BaseModel):
    """Where the database is and how our own sessions behave.

    `database_url=None` means "the embedded default": the seeded database `demo` (seed/demo.py) of a local
    PostgreSQL under `.data/postgres`, started on first use, but only off Heroku (`dyno` unset) and with the
    `embedded` extra installed; otherwise every database tool refuses with how to attach a database (`database_source.py`).
    """

    model_config = ConfigDict(frozen=True)

    database_url: str | None = None
    statement_timeout_ms: Annotated[int, Env("PG_STATEMENT_TIMEOUT_MS")] = DEFAULT_STATEMENT_TIMEOUT_MS
    lock_timeout_ms: Annotated[int, Env("PG_LOCK_TIMEOUT_MS")] = DEFAULT_LOCK_TIMEOUT_MS
    idle_in_transaction_timeout_ms: int = DEFAULT_IDLE_IN_TX_TIMEOUT_MS
    connect_timeout_s: Annotated[int, Env("PG_CONNECT_TIMEOUT_S")] = DEFAULT_CONNECT_TIMEOUT_S
    pool_max: Annotated[int, Env("PG_POOL_MAX")] = DEFAULT_POOL_MAX
    allow_explain_analyze: Annotated[bool, Env("PG_ALLOW_EXPLAIN_ANALYZE")] = False
    embedded_data_dir: Path = PROJECT_DATA_DIR
    check_limits: dict[str, dict[str, float | int | str]] = {}
    full_output_schemas: bool = False  # MCP_FULL_OUTPUT_SCHEMAS: publish nested row models too
    dyno: str | None = None  # DYNO, which Heroku sets on every dyno (`run.1234`, `web.1`): no embedded fallback
    heroku_app_name: str | None = None  # HEROKU_APP_NAME, only to name the app in advice

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> PostgresSettings:
        env = os.environ if env is None else env

        raw_limits = env.get("PG_CHECK_LIMITS") or "{}"
        try:
            check_limits = json.loads(raw_limits)
        except json.JSONDecodeError as exc:
            raise ValueError(f"PG_CHECK_LIMITS must be a JSON object of check name -> limits: {exc}") from None
        if not isinstance(check_limits, dict) or not all(isinstance(v, dict) for v in check_limits.values()):
            raise ValueError('PG_CHECK_LIMITS must look like {"long_running_queries": {"yellow_seconds": 30}}')
        return cls(
            check_limits=check_limits,
            # MCP_DATABASE_URL lets a dyno use a dedicated read-only credential while the app keeps DATABASE_URL.
            database_url=env.get("MCP_DATABASE_URL") or env.get("DATABASE_URL") or None,
            full_output_schemas=full_output_schemas_requested(env),
            **env_fields(cls, env),
            embedded_data_dir=Path(env.get("EMBEDDED_PG_DATA_DIR") or PROJECT_DATA_DIR),
            dyno=(env.get("DYNO") or "").strip() or None,
            heroku_app_name=(env.get("HEROKU_APP_NAME") or "").strip() or None,
        )

    @property
    def host_label(self) -> str:
        """The host (and port) to name in error messages: never the password."""
        if not self.database_url:
            return "embedded PostgreSQL"
        try:
            parts = urlsplit(self.database_url)
        except ValueError:  # e.g. an unclosed IPv6 bracket; psycopg's own error then names the fault
            return "(unparsable DATABASE_URL)"
        host = parts.hostname or "localhost"
        try:
            port = parts.port
        except ValueError:  # not a number: psycopg's own error then names the bad port
            return host
        return f"{host}:{port}" if port else host
