"""Checks as declarative records, the facts they depend on, and the runner that evaluates them.

A check is data: its SQL (binds only, never formatted thresholds), its thresholds (a frozen model
with documented defaults), its preconditions, and a pure `evaluate(rows, limits, facts) -> Finding`
(which leaves `check` unset: the runner stamps each finding with its check's name).
The runner gathers `DbFacts` once, skips checks whose preconditions fail (with the fix), runs the
rest, and turns driver errors into `skipped` findings that say why.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from mcp_servers.common.redact import redact_text
from mcp_servers.common.results import Finding
from mcp_servers.postgres.db import Database

__all__ = ["FACTS_SQL", "Check", "DbFacts", "Limits", "Requires", "gather_facts", "run_checks"]

logger = logging.getLogger(__name__)


class Limits(BaseModel):
    """Base of every check's thresholds: frozen, with defaults whose origin a comment gives."""

    model_config = ConfigDict(frozen=True)


class NoLimits(Limits):
    pass


@dataclass(frozen=True)
class Requires:
    """Preconditions, checked once by the runner (never by the check itself)."""

    extensions: tuple[str, ...] = ()
    min_server_version: int | None = None  # server_version_num, e.g. 130000
    not_in_recovery: bool = False


FACTS_SQL = """
SELECT current_setting('server_version_num')::int AS server_version_num,
       current_database() AS database,
       current_setting('max_connections')::int AS max_connections,
       pg_is_in_recovery() AS in_recovery,
       (SELECT stats_reset FROM pg_stat_database WHERE datname = current_database()) AS stats_reset,
       now() AS now,
       coalesce((SELECT json_object_agg(e.extname, n.nspname)
                 FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace), '{}'::json) AS extensions,
       pg_has_role(current_user, 'pg_read_all_stats', 'USAGE') AS can_read_all_stats,
       pg_postmaster_start_time() AS postmaster_start,
       (SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()) AS transactions
"""

# Statistics never reset (stats_reset NULL) count from the database's creation or the server's last crash
# recovery, neither of which the catalogs date. Server uptime is then the age signal, trusted only once
# the database has run this many transactions (our choice: a day of a quiet app), so a database created
# an hour ago on a server up for weeks does not pass for mature.
MIN_TRANSACTIONS_FOR_UPTIME = 10_000


@dataclass(frozen=True)
class DbFacts:
    """What every check may need to know about the server, read in one query."""

    server_version_num: int
    database: str
    max_connections: int
    in_recovery: bool
    stats_reset: datetime | None
    now: datetime
    extensions: dict[str, str] = field(default_factory=dict)  # name -> schema it lives in
    can_read_all_stats: bool = True
    postmaster_start: datetime | None = None
    transactions: int | None = None

    @property
    def evidence_age_hours(self) -> float | None:
        """How long the usage counters have been counting: since the reset, else (never reset) the server's
        uptime once the database has run MIN_TRANSACTIONS_FOR_UPTIME transactions; None when unknown."""
        if self.stats_reset is not None:
            return self.stats_age_hours
        if self.postmaster_start is None or (self.transactions or 0) < MIN_TRANSACTIONS_FOR_UPTIME:
            return None
        return (self.now - self.postmaster_start).total_seconds() / 3600

    def extension_schema(self, name: str) -> str | None:
        return self.extensions.get(name)

    @property
    def stats_age_hours(self) -> float | None:
        if self.stats_reset is None:
            return None
        return (self.now - self.stats_reset).total_seconds() / 3600


async def gather_facts(db: Database) -> DbFacts:
    row = (await db.fetch(FACTS_SQL))[0]
    return DbFacts(**row)


SqlSource = str | Callable[[DbFacts], str]
Evaluate = Callable[[list[dict[str, Any]], Any, DbFacts], Finding]

_ENABLE_HINT = {
    "pg_stat_statements": (
        "CREATE EXTENSION pg_stat_statements; (on Heroku it lives in schema heroku_ext; "
        "self-hosted servers also need shared_preload_libraries = 'pg_stat_statements')"
    ),
}


@dataclass(frozen=True)
class Check:
    """One health check. `sql` may depend on the facts (version gates, extension schema)."""

    name: str
    area: str
    sql: SqlSource
    evaluate: Evaluate
    limits: Limits = field(default_factory=NoLimits)
    requires: Requires = Requires()
    remediation: str | None = None
    description: str = ""

    def query(self, facts: DbFacts) -> str:
        return self.sql(facts) if callable(self.sql) else self.sql

    def params(self) -> dict[str, Any]:
        return self.limits.model_dump()

    def with_limits(self, **overrides: Any) -> Check:
        """This check with some thresholds replaced (validated by the limits model).

        Raises:
            ValueError: a name is not one of this check's limits, or a value has the wrong type.
        """
        fields = type(self.limits).model_fields
        unknown = sorted(set(overrides) - set(fields))
        if unknown:
            known = ", ".join(fields) or "none"
            raise ValueError(f"check {self.name!r} has no limit {', '.join(unknown)}; its limits: {known}")
        limits = type(self.limits).model_validate({**self.limits.model_dump(), **overrides})
        return replace(self, limits=limits)

    def unmet(self, facts: DbFacts) -> Finding | None:
        """A `skipped` finding when a precondition fails, else None."""
        for ext in self.requires.extensions:
            if facts.extension_schema(ext) is None:
                hint = _ENABLE_HINT.get(ext, f"CREATE EXTENSION {ext};")
                return Finding(
                    check=self.name, status="skipped", summary=f"extension {ext} is not installed",
                    reason=f"needs the {ext} extension", remediation=f"Enable it: {hint}",
                )
        if self.requires.min_server_version and facts.server_version_num < self.requires.min_server_version:
            need = self.requires.min_server_version // 10000
            return Finding(
                check=self.name, status="skipped", summary=f"needs PostgreSQL {need} or newer",
                reason=f"server is {facts.server_version_num}",
            )
        if self.requires.not_in_recovery and facts.in_recovery:
            return Finding(check=self.name, status="skipped", summary="not meaningful on a replica",
                           reason="the server is in recovery (a follower)")
        return None


async def run_check(db: Database, check: Check, facts: DbFacts) -> Finding:
    import psycopg

    skipped = check.unmet(facts)
    if skipped is not None:
        return skipped
    try:
        rows = await db.fetch(check.query(facts), check.params())
    except psycopg.errors.InsufficientPrivilege:
        return Finding(
            check=check.name, status="skipped", summary="permission denied",
            reason="the database role lacks a privilege this check needs",
            remediation="GRANT pg_read_all_stats (or pg_monitor) TO the role the server connects as.",
        )
    except psycopg.errors.ObjectNotInPrerequisiteState:
        # e.g. pg_stat_statements installed but not in shared_preload_libraries
        ext = next(iter(check.requires.extensions), None)
        return Finding(
            check=check.name, status="skipped", summary="extension installed but not loaded",
            reason=f"{ext or 'a required module'} is installed but not in shared_preload_libraries",
            remediation=f"Add {ext} to shared_preload_libraries and restart PostgreSQL (Heroku does this for you)."
            if ext else None,
        )
    except psycopg.errors.QueryCanceled:
        return Finding(check=check.name, status="skipped", summary="timed out",
                       reason="the check's query exceeded statement_timeout (PG_STATEMENT_TIMEOUT_MS)")
    except psycopg.Error as exc:
        if exc.sqlstate is None or exc.sqlstate.startswith("08"):
            raise db.unavailable(exc) from None
        logger.warning("check %s failed: %s", check.name, exc.sqlstate)
        first_line = redact_text(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        return Finding(check=check.name, status="skipped", summary="query failed", reason=first_line)
    try:
        finding = check.evaluate(rows, check.limits, facts).model_copy(update={"check": check.name})
    except Exception:  # a bug in one check's judgement must not take the whole diagnosis down
        logger.exception("check %s could not judge its %d row(s)", check.name, len(rows))
        return Finding(check=check.name, status="skipped", summary="check failed",
                       reason="this check could not judge what it read (a bug, logged on the server's stderr); "
                       "the other checks are unaffected")
    if finding.remediation is None and finding.status in ("red", "yellow"):
        finding = finding.model_copy(update={"remediation": check.remediation})
    return finding


async def run_checks(db: Database, checks: Sequence[Check], facts: DbFacts | None = None) -> list[Finding]:
    """Run `checks` in order on one database; never raises for a single failing check."""
    from mcp_servers.postgres.checks.consistency import reconcile

    facts = facts or await gather_facts(db)
    return reconcile([await run_check(db, check, facts) for check in checks])
