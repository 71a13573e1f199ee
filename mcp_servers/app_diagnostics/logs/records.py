"""The records a parsed Heroku log line becomes: NamedTuples, cheap to build and compare."""

from __future__ import annotations

from typing import NamedTuple

__all__ = [
    "AddonMetrics", "AppOutput", "DynoError", "DynoEvent", "DynoNotice", "Event", "LogplexError", "MemoryUse",
    "PostgresLog", "ProcessExit", "ReleaseEvent", "RouterLine", "RuntimeMetrics", "StateChange",
]


class RouterLine(NamedTuple):
    """A `heroku[router]` line. Numeric fields are ints (milliseconds, bytes) or None when empty."""

    ts: str
    at: str
    code: str | None
    desc: str | None
    method: str | None
    path: str | None
    host: str | None
    request_id: str | None
    fwd: str | None
    dyno: str | None
    connect: int | None
    service: int | None
    status: int | None
    bytes: int | None
    protocol: str | None
    tls_version: str | None = None
    sock: str | None = None
    cause: str | None = None
    agent: str | None = None
    extra: dict[str, str] | None = None


class StateChange(NamedTuple):
    ts: str
    dyno: str
    from_state: str
    to_state: str


class ProcessExit(NamedTuple):
    ts: str
    dyno: str
    status: int | None  # None: "Process exited" without a status (old format)


class DynoError(NamedTuple):
    """`Error R14 (Memory quota exceeded)` and friends, also H codes reported on dyno lines."""

    ts: str
    dyno: str
    code: str
    title: str
    detail: str | None


class MemoryUse(NamedTuple):
    """`Process running mem=1028MB(103.3%)`: memory in MB and percent of the dyno's quota."""

    ts: str
    dyno: str
    mem_mb: float
    percent: float


class DynoNotice(NamedTuple):
    """Lifecycle lines: starting, stopping (SIGTERM/SIGKILL), cycling, restarting, idling."""

    ts: str
    dyno: str
    kind: str
    detail: str


class RuntimeMetrics(NamedTuple):
    """`log-runtime-metrics` samples: `source=web.1 dyno=heroku.… sample#memory_total=21.00MB …`.

    Values are floats with the unit stripped (MB for memory, pages for pgpgin/out).
    """

    ts: str
    source: str
    dyno_id: str | None
    samples: dict[str, float]


class AddonMetrics(NamedTuple):
    """Heroku Postgres / Redis metrics lines (`app[heroku-postgres]: source=DATABASE sample#…`)."""

    ts: str
    service: str  # heroku-postgres, heroku-redis, ...
    source: str | None  # the attachment or database name, e.g. DATABASE, HEROKU_POSTGRESQL_SILVER
    addon: str | None
    samples: dict[str, float]


class PostgresLog(NamedTuple):
    """A Heroku Postgres service log line (`app[postgres.1234]: [DATABASE] [7-1] sql_error_code = 53300 FATAL: ...`).

    `session` and `part` are the `[n-m]` pair: one message split over several lines shares `n`
    (the STATEMENT or DETAIL of an ERROR arrives as `[n-2]`, `[n-3]`). `sql_code` is PostgreSQL's
    SQLSTATE (None on the older format without it); `level` is LOG, ERROR, FATAL, STATEMENT, DETAIL, ...
    """

    ts: str
    process: str  # postgres.1234
    database: str  # the attachment colour or name in brackets, e.g. DATABASE, HEROKU_POSTGRESQL_SILVER
    session: int
    part: int
    sql_code: str | None
    level: str
    message: str


class LogplexError(NamedTuple):
    ts: str
    code: str
    title: str
    dropped: int | None


class ReleaseEvent(NamedTuple):
    """`app[api]` lines: `Release v12 created by user …`, `Deploy 1a2b3c4 by user …`, `Rollback to v11 …`."""

    ts: str
    kind: str  # release | deploy | rollback | config | scale | build | other
    version: int | None
    detail: str
    by: str | None


class AppOutput(NamedTuple):
    """A line the app printed; its text is not interpreted."""

    ts: str
    process: str


DynoEvent = StateChange | ProcessExit | DynoError | MemoryUse | DynoNotice  # what a heroku[web.1] line becomes
Event = (RouterLine | StateChange | ProcessExit | DynoError | MemoryUse | DynoNotice | RuntimeMetrics
         | AddonMetrics | PostgresLog | LogplexError | ReleaseEvent | AppOutput)
