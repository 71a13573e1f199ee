"""Parse Heroku log lines (router, dyno, runtime metrics, add-on metrics, Postgres service logs, Logplex,
releases) into small records.

Written for speed: one precompiled regex per line shape, dispatch on the `source[process]` header,
records are NamedTuples (no validation per line; they live in `records.py`). Router lines are read in
`router_lines.py`, canonical ones on a fast path. `parse_line` never raises: a line it does not
understand gives `None`, and the caller counts it.

Accepted line shapes: the `heroku logs` / log-session form `TS source[proc]: message`, and the
RFC 5424 form a log drain receives (`<158>1 TS host source proc - message`, optionally octet-counted).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from mcp_servers.app_diagnostics.logs.records import (
    AddonMetrics,
    AppOutput,
    DynoError,
    DynoNotice,
    Event,
    LogplexError,
    MemoryUse,
    PostgresLog,
    ProcessExit,
    ReleaseEvent,
    RuntimeMetrics,
    StateChange,
)
from mcp_servers.app_diagnostics.logs.router_lines import canonical_router, parse_router

__all__ = ["iter_events", "parse_line"]


# --- line header -------------------------------------------------------------------------------
_HEADER = re.compile(r"(\d{4}-\d\d-\d\dT[\d:.]+(?:Z|[+-]\d\d:?\d\d)?) ([\w-]+)\[([^\]\s]+)\]: ?")
_SYSLOG = re.compile(
    r"(?:\d+ )?<\d{1,3}>1 (\d{4}-\d\d-\d\dT[\d:.]+(?:Z|[+-]\d\d:?\d\d)?) \S+ ([\w-]+) (\S+) - ?"
)

# --- metrics lines (runtime and add-on) --------------------------------------------------------
# Applied to " " + message: a leading literal lets the scan jump between candidates, where a look-behind
# (a token start) was tried at every position; the same matches, about twice as fast.
_SAMPLE = re.compile(r" sample#([\w.-]+)=(-?\d+(?:\.\d+)?)")
_FIELD = re.compile(r" (source|dyno|addon)=(\S+)")

# --- dyno (heroku[web.1]) ----------------------------------------------------------------------
_STATE = re.compile(r"State changed from (\w+) to (\w+)")
_EXIT = re.compile(r"Process exited(?: with status (-?\d+))?")
_ERROR = re.compile(r"Error ([HRL]\d\d)(?: \(([^)]*)\))?(?::| ->)? ?(.*)")
_MEM = re.compile(r"Process running mem=([\d.]+)([MG])B?\(([\d.]+)%\)")
_DROPPED = re.compile(r"(\d+) messages? (?:dropped|lost)")
_NOTICES = (
    ("Starting process", "starting"), ("Stopping all processes with SIGTERM", "sigterm"),
    ("Stopping process with SIGKILL", "sigkill"), ("Cycling", "cycling"), ("Restarting", "restarting"),
    ("Idling", "idling"), ("Unidling", "unidling"), ("Relocating", "relocating"),
)

# --- Heroku Postgres service logs (app[postgres.1234]) -------------------------------------------
# `[DATABASE] [7-1] sql_error_code = 53300 FATAL:  ...`; newer lines put key="value" fields (time_ms, pid,
# user, ...) between the SQLSTATE and the level, older ones have no sql_error_code at all.
_PG_SERVICE = re.compile(
    r"\[([\w-]+)\] \[(\d+)-(\d+)\] (?:sql_error_code = (\w{5}) )?(?:.*? )??"
    r"(LOG|ERROR|FATAL|PANIC|WARNING|NOTICE|INFO|DEBUG|STATEMENT|DETAIL|HINT|CONTEXT|QUERY):\s+(.*)$"
)

# --- releases (app[api]) -----------------------------------------------------------------------
_RELEASE = re.compile(r"Release v(\d+) created by (?:user )?(\S+)")
_ROLLBACK = re.compile(r"Rollback to v(\d+)(?: by (?:user )?(\S+))?")
_DEPLOY = re.compile(r"Deploy (\S+)(?: by (?:user )?(\S+))?")
_BY = re.compile(r" by (?:user )?(\S+)\s*$")


def _samples(message: str) -> dict[str, float]:
    """`sample#name=12.5MB` pairs as {name: 12.5} (units dropped; see the record's docstring)."""
    return {key: float(value) for key, value in _SAMPLE.findall(" " + message)}


def _fields(message: str) -> dict[str, str]:
    """The `source=`, `dyno=` and `addon=` fields of a metrics line."""
    return dict(_FIELD.findall(" " + message, 0, 301))


def _dyno(ts: str, dyno: str, message: str) -> Event | None:
    first = message[:1]
    if first == "S":
        m = _STATE.match(message)
        if m is not None:
            return StateChange(ts, dyno, m.group(1), m.group(2))
    elif first == "P":
        m = _EXIT.match(message)
        if m is not None:
            return ProcessExit(ts, dyno, int(m.group(1)) if m.group(1) else None)
        m = _MEM.match(message)
        if m is not None:
            mem = float(m.group(1)) * (1024 if m.group(2) == "G" else 1)
            return MemoryUse(ts, dyno, mem, float(m.group(3)))
    elif first == "E":
        m = _ERROR.match(message)
        if m is not None:
            if m.group(1)[0] == "L":
                return _logplex_error(ts, m)
            return DynoError(ts, dyno, m.group(1), m.group(2) or _title(m.group(1)), m.group(3).strip() or None)
    elif message.startswith("source="):
        samples = _samples(message)
        if samples:
            fields = _fields(message)
            return RuntimeMetrics(ts, fields.get("source", dyno), fields.get("dyno"), samples)
    for prefix, kind in _NOTICES:
        if message.startswith(prefix):
            return DynoNotice(ts, dyno, kind, message[:200])
    return None


def _logplex_error(ts: str, m: re.Match[str]) -> LogplexError:
    dropped = _DROPPED.search(m.group(3) or "")
    return LogplexError(ts, m.group(1), m.group(2) or _title(m.group(1)), int(dropped.group(1)) if dropped else None)


def _title(code: str) -> str:
    from mcp_servers.app_diagnostics.logs.codes import CODES

    entry = CODES.get(code)
    return entry.title if entry else "unknown"


def _api(ts: str, message: str) -> ReleaseEvent:
    m = _RELEASE.match(message)
    if m is not None:
        return ReleaseEvent(ts, "release", int(m.group(1)), message[:200], m.group(2))
    m = _ROLLBACK.match(message)
    if m is not None:
        return ReleaseEvent(ts, "rollback", int(m.group(1)), message[:200], m.group(2))
    m = _DEPLOY.match(message)
    if m is not None:
        return ReleaseEvent(ts, "deploy", None, message[:200], m.group(2))
    by = _BY.search(message)
    if message.startswith("Set ") or message.startswith("Remove ") or "config vars" in message:
        kind = "config"
    elif message.startswith("Scale") or message.startswith("Scaled"):
        kind = "scale"
    elif message.startswith("Build"):
        kind = "build"
    else:
        kind = "other"
    return ReleaseEvent(ts, kind, None, message[:200], by.group(1) if by else None)


def _dispatch(ts: str, source: str, process: str, message: str) -> Event | None:
    if source == "heroku":
        if process == "router":
            return parse_router(ts, message)
        if process == "logplex" or process == "log-shuttle":
            m = _ERROR.search(message)
            return _logplex_error(ts, m) if m is not None else None
        if process == "api":
            return _api(ts, message)
        return _dyno(ts, process, message)
    if source == "app":
        if process == "api":
            return _api(ts, message)
        if process.startswith("postgres."):
            m = _PG_SERVICE.match(message)
            if m is None:
                return AppOutput(ts, process)
            database, session, part, code, level, text = m.groups()
            return PostgresLog(ts, process, database, int(session), int(part), code, level, text)
        if process.startswith("heroku-"):  # heroku-postgres, heroku-redis, heroku-kafka metrics
            samples = _samples(message)
            if not samples:
                return AppOutput(ts, process)
            fields = _fields(message)
            return AddonMetrics(ts, process, fields.get("source"), fields.get("addon"), samples)
        if process == "log-shuttle" and message.startswith("Error L"):
            m = _ERROR.match(message)
            return _logplex_error(ts, m) if m is not None else None
        return AppOutput(ts, process)
    return None


_ROUTER_MARK = " heroku[router]: "
_new = tuple.__new__  # builds a NamedTuple without its Python-level __new__ (measurably faster)
_SPECIAL_APP = frozenset({"api", "log-shuttle"})


def _plain_app_output(process: str) -> bool:
    """An app line whose text is not interpreted (not api, log-shuttle, add-on metrics or Postgres logs)."""
    return process not in _SPECIAL_APP and not process.startswith("heroku-") and not process.startswith("postgres.")


def parse_line(line: str) -> Event | None:
    """One log line to a record, or None when the line is not a Heroku log line we understand."""
    sp = line.find(" ", 19, 40)
    if sp > 0 and line[4:5] == "-" and line[10:11] == "T":
        # Fast path: a router line in the canonical modern field order (most lines of a busy app).
        if line.startswith(_ROUTER_MARK, sp):
            router = canonical_router(line, sp + 17, line[:sp])
            if router is not None:
                return router
            return _guarded(line[:sp], "heroku", "router", line[sp + 17:])
        # Cheap header split for the other `TS source[process]: message` lines.
        br = line.find("[", sp, sp + 8)
        if br > 0:
            cl = line.find("]: ", br, br + 80)
            if cl > 0:
                source = line[sp + 1:br]
                process = line[br + 1:cl]
                if " " not in process:
                    if source == "app" and _plain_app_output(process):
                        return _new(AppOutput, (line[:sp], process))
                    if source == "app" or source == "heroku":
                        return _guarded(line[:sp], source, process, line[cl + 3:].rstrip("\r\n"))
    m = _HEADER.match(line)
    if m is None:
        m = _SYSLOG.match(line)
        if m is None:
            return None
    ts, source, process = m.groups()
    return _guarded(ts, source, process, line[m.end():].rstrip("\r\n"))


def _guarded(ts: str, source: str, process: str, message: str) -> Event | None:
    try:
        return _dispatch(ts, source, process, message)
    except (ValueError, IndexError, OverflowError):
        return None  # a damaged line: counted as not understood by the caller


def iter_events(lines: Iterable[str]) -> Iterator[Event | None]:
    """`parse_line` over many lines (None for each line not understood)."""
    return map(parse_line, lines)
