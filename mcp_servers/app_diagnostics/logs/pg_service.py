"""Heroku Postgres service logs (`app[postgres.NNNN]`) counted by kind and turned into findings.

What the lines look like and what each means come from Heroku Dev Center "Understanding Heroku Postgres
Log Statements and Common Errors" (https://devcenter.heroku.com/articles/postgres-logs-errors) and the
PostgreSQL manual (SQLSTATE codes, appendix A; `log_min_duration_statement`, `log_temp_files`,
`checkpoint_warning`, `log_autovacuum_min_duration`); each kind's label, status and remediation are in
`postgres_log_kinds.json`. Statements are quoted with their literals replaced by `?`, so values (and any
secret in them) never leave the server.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, Field

from mcp_servers.app_diagnostics.logs.records import PostgresLog
from mcp_servers.common.redact import redact_text, truncate
from mcp_servers.common.results import Finding

__all__ = ["DOC_PG_LOGS", "PgEventCount", "PgServiceSummary", "PgServiceTally", "statement_shape"]

DOC_PG_LOGS = "https://devcenter.heroku.com/articles/postgres-logs-errors"
MAX_STATEMENTS = 5
STATEMENT_CHARS = 200
SLOW_RED_MS = 30_000  # a statement past the router's 30 s limit turns a web request into an H12
_DURATION = re.compile(r"duration: ([\d.]+) ms(?:\s+(?:statement|execute [^:]*|parse [^:]*|bind [^:]*): (.*))?", re.S)
_TEMP_FILE = re.compile(r'temporary file: path "[^"]*", size (\d+)')
_CHECKPOINTS = re.compile(r"checkpoints are occurring too frequently \((\d+) seconds? apart\)")
_AUTOVACUUM = re.compile(r'automatic (vacuum|analyze) of table "([^"]+)"')
_ELAPSED = re.compile(r"elapsed: ([\d.]+) s")
_STRING = re.compile(r"'(?:[^']|'')*'")
_NUMBER = re.compile(r"(?<![\w$])-?\d+(?:\.\d+)?\b")


def statement_shape(sql: str) -> str:
    """SQL with string and number literals replaced by `?`, redacted and cut to a readable length."""
    shaped = _NUMBER.sub("?", _STRING.sub("'?'", " ".join(sql.split())))
    return truncate(redact_text(shaped), STATEMENT_CHARS) or ""


@dataclass(frozen=True, slots=True)
class _Kind:
    """One kind of service-log event: how it is named in a finding, how bad it is, what to do."""

    name: str
    label: str
    status: str  # red | yellow | green
    remediation: str


_KINDS_DATA = Path(__file__).with_name("postgres_log_kinds.json")
KINDS: dict[str, _Kind] = {name: _Kind(name, **row)
                           for name, row in json.loads(_KINDS_DATA.read_text(encoding="utf-8")).items()}


# SQLSTATEs from PostgreSQL's appendix A; messages as the server writes them.
def _classify(ev: PostgresLog) -> tuple[str | None, float | None]:
    """The kind of a service-log line and its number (ms, bytes, seconds), or (None, None)."""
    code, text = ev.sql_code, ev.message
    if code == "53300" or "too many connections" in text or "connection slots are reserved" in text:
        return "too_many_connections", None
    if code == "40P01" or text.startswith("deadlock detected"):
        return "deadlock", None
    if "canceling statement due to statement timeout" in text:
        return "statement_timeout", None
    if "canceling statement due to lock timeout" in text:
        return "lock_timeout", None
    if code == "53200" or text.startswith("out of memory"):
        return "out_of_memory", None
    if code == "53100" or "No space left on device" in text:
        return "disk_full", None
    if ev.level == "LOG":
        m = _DURATION.match(text)
        if m is not None:
            return "slow_statement", float(m.group(1))
        m = _TEMP_FILE.match(text)
        if m is not None:
            return "temp_file", float(m.group(1))
        m = _CHECKPOINTS.match(text)
        if m is not None:
            return "checkpoints_too_frequent", float(m.group(1))
        if _AUTOVACUUM.match(text):
            elapsed = _ELAPSED.search(text)
            return "autovacuum", float(elapsed.group(1)) if elapsed else None
    return None, None


class PgEventCount(BaseModel):
    kind: str
    count: int
    worst: float | None = Field(None, description="slowest ms, largest temp file bytes, shortest checkpoint gap s")
    statements: list[str] = Field(default_factory=list, description="statement shapes, literals replaced by ?")
    tables: list[str] = Field(default_factory=list, description="autovacuum: the tables reported")


class PgServiceSummary(BaseModel):
    """What the Postgres service logs in the window say, by kind."""

    lines: int
    databases: list[str]
    events: list[PgEventCount]


@dataclass(slots=True)
class _Tally:
    count: int = 0
    worst: float | None = None
    statements: Counter[str] = field(default_factory=Counter)
    tables: Counter[str] = field(default_factory=Counter)


class PgServiceTally:
    """Counts service-log events as lines arrive; a STATEMENT line names the event of its `[n-1]` line."""

    def __init__(self) -> None:
        self.lines = 0
        self.databases: set[str] = set()
        self.kinds: dict[str, _Tally] = {}
        self._open: dict[tuple[str, int], _Tally] = {}  # (process, session n) -> the tally awaiting its STATEMENT

    def add(self, ev: PostgresLog) -> None:
        self.lines += 1
        self.databases.add(ev.database)
        key = (ev.process, ev.session)
        if ev.part > 1:  # DETAIL, HINT, CONTEXT or the STATEMENT of an earlier [n-1] line
            pending = self._open.pop(key, None) if ev.level == "STATEMENT" else None
            if pending is not None:
                pending.statements[statement_shape(ev.message)] += 1
            return
        kind, number = _classify(ev)
        if kind is None:
            return
        tally = self.kinds.get(kind)
        if tally is None:
            tally = self.kinds[kind] = _Tally()
        tally.count += 1
        if number is not None:
            lower_is_worse = kind == "checkpoints_too_frequent"
            if tally.worst is None or (number < tally.worst if lower_is_worse else number > tally.worst):
                tally.worst = number
        if kind == "slow_statement":
            m = _DURATION.match(ev.message)
            if m is not None and m.group(2):
                tally.statements[statement_shape(m.group(2))] += 1
                return
        elif kind == "autovacuum":
            table = _AUTOVACUUM.match(ev.message)
            if table is not None:
                tally.tables[table.group(2)] += 1
            return
        self._open[key] = tally

    def summary(self) -> PgServiceSummary | None:
        if not self.lines:
            return None
        events = [PgEventCount(kind=name, count=t.count, worst=t.worst,
                               statements=[s for s, _ in t.statements.most_common(MAX_STATEMENTS)],
                               tables=[s for s, _ in t.tables.most_common(MAX_STATEMENTS)])
                  for name, t in sorted(self.kinds.items(), key=lambda item: -item[1].count)]
        return PgServiceSummary(lines=self.lines, databases=sorted(self.databases), events=events)


def service_findings(summary: PgServiceSummary | None) -> list[Finding]:
    """One finding per kind of event seen (autovacuum reports stay green: they are information)."""
    if summary is None:
        return []
    out = []
    for ev in summary.events:
        kind = KINDS[ev.kind]
        status = kind.status
        if ev.kind == "slow_statement" and ev.worst is not None and ev.worst >= SLOW_RED_MS:
            status = "red"
        out.append(Finding(
            check=f"postgres_log_{ev.kind}", status=status,
            summary=f"{ev.count} {kind.label} in the Postgres logs{_worst(ev)}",
            value=ev.count, threshold=f"any ({DOC_PG_LOGS})",
            rows=[{"statement": s} for s in ev.statements] + [{"table": t} for t in ev.tables],
            remediation=kind.remediation if status != "green" else None,
        ))
    return out


def _worst(ev: PgEventCount) -> str:
    if ev.worst is None:
        return ""
    if ev.kind == "slow_statement":
        return f", slowest {ev.worst:,.0f} ms"
    if ev.kind == "temp_file":
        return f", largest {ev.worst / 1048576:,.0f} MB"
    if ev.kind == "checkpoints_too_frequent":
        return f", as little as {ev.worst:g} s apart"
    if ev.kind == "autovacuum":
        return f", longest {ev.worst:g} s"
    return ""
