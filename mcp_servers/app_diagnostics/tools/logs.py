"""`analyze_logs` (a log session or pasted text -> error codes, latency, paths, dynos, releases) and
`explain_error_code` (any H/R/L code)."""

from __future__ import annotations

import logging
from typing import Annotated, Literal

from mcp.server import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, TextContent
from pydantic import Field

from mcp_servers.app_diagnostics.log_sessions import app_generation, open_log_session, read_log_stream, split_dyno
from mcp_servers.app_diagnostics.logs.codes import CODES, lookup, nearest_codes
from mcp_servers.app_diagnostics.logs.models import ErrorCodeInfo, LogAnalysis, ReleaseRef
from mcp_servers.app_diagnostics.logs.render import render_analysis, render_code
from mcp_servers.app_diagnostics.platform_api import PlatformAPI, PlatformAPIError, app_path, resolve_app
from mcp_servers.app_diagnostics.settings import AppDiagSettings
from mcp_servers.common.annotations import read_only_tool
from mcp_servers.common.redact import redact_text
from mcp_servers.common.results import Finding

__all__ = ["MAX_PASTED_LINES", "MAX_SESSION_LINES", "analyze", "explain", "register"]

logger = logging.getLogger(__name__)

MAX_SESSION_LINES = 1500  # Logplex keeps the last 1500 lines of an app (see L15)
MAX_PASTED_LINES = 100_000  # pasted text beyond this is cut to its most recent lines
MAX_PASTED_CHARS = 20_000_000
RECENT_RELEASES = 10  # releases fetched to tie error bursts to the deploy before them


def _result(text: str, model: LogAnalysis | ErrorCodeInfo, secrets: tuple[str, ...]) -> CallToolResult:
    return CallToolResult(
        content=[TextContent(type="text", text=redact_text(text, secrets))],
        structured_content=model.model_dump(mode="json"),
    )


async def _api_releases(api: PlatformAPI, app: str) -> list[ReleaseRef]:
    try:
        items = await api.list(app_path(app, "releases"), range_field="version", order="desc",
                               max_items=RECENT_RELEASES, app=app)
    except PlatformAPIError as exc:  # the logs alone still answer; say why releases are missing
        logger.warning("releases of %s unavailable for burst correlation: %s", app, exc)
        return []
    refs = []
    for item in items:
        created = str(item.get("created_at") or "")
        if created:
            refs.append(ReleaseRef(kind="release", version=item.get("version"), at=created.replace("Z", "")[:19],
                                   by=(item.get("user") or {}).get("email")))
    return refs


async def analyze(api: PlatformAPI, settings: AppDiagSettings, *, app: str | None, log_text: str | None,
                  lines: int, source: str | None, dyno: str | None) -> LogAnalysis:
    """Analyse pasted text when given (no API key needed), else fetch the app's recent lines."""
    from mcp_servers.app_diagnostics.logs.analysis import analyze_lines  # at call time: keeps cold start short

    secrets = settings.secrets
    if log_text is not None:
        if not log_text.strip():
            raise ToolError("log_text is empty; paste `heroku logs` output, or leave log_text out to fetch the app's logs")
        if len(log_text) > MAX_PASTED_CHARS:
            raise ToolError(f"log_text is {len(log_text)} characters; paste at most {MAX_PASTED_CHARS} "
                            "(the most recent part of the log is what matters)")
        text_lines = log_text.splitlines()
        cut = len(text_lines) > MAX_PASTED_LINES
        text_lines = text_lines[-MAX_PASTED_LINES:]
        label = "pasted text" + (f" (last {MAX_PASTED_LINES} lines)" if cut else "")
        return analyze_lines(text_lines, source=label, secrets=secrets)
    name = resolve_app(app, settings)
    dyno_name, process_type = split_dyno(dyno)
    generation = await app_generation(api, name)
    url = await open_log_session(api, name, generation=generation, lines=lines, source=source, dyno=dyno_name,
                                 process_type=process_type)
    read = await read_log_stream(api, url, max_lines=lines, timeout=settings.log_timeout_s, generation=generation)
    releases = await _api_releases(api, name)
    scope = ", ".join(x for x in (f"source={source}" if source else "", f"dyno={dyno}" if dyno else "") if x)
    note, cut = read.note(), read.cut_short()
    result = analyze_lines(read.lines, source=f"log session of {name}" + (f" ({scope})" if scope else ""),
                           releases=releases, secrets=secrets, notes=[note] if note else [])
    if cut:
        ended_early = ("Logplex sent its whole buffer" if read.generation == "cedar"
                       else "the live tail reached its time budget")
        result.findings.append(Finding(
            check="log_stream_cut_short", status="yellow", summary=cut,
            reason=f"the log stream ended before {ended_early}",
            remediation="Counts are lower bounds: fetch again" + (
                ", or raise HEROKU_LOG_TIMEOUT_S." if read.ended == "timeout" else ".")))
    return result


def explain(code: str) -> ErrorCodeInfo:
    """The table entry for `code`.

    Raises:
        ToolError: the code is not a known Heroku H, R or L code (the message names the nearest ones).
    """
    entry = lookup(code)
    if entry is None:
        near = ", ".join(nearest_codes(code))
        raise ToolError(
            f"{code.strip()[:20]!r} is not a Heroku error code; nearest known codes: {near}. Known codes are "
            f"H10-H99 (router), R10-R99 (runtime) and L10-L15 (logging), {len(CODES)} in all."
        )
    return ErrorCodeInfo(code=entry.code, title=entry.title, kind=entry.kind, level=entry.level,
                         http_status=entry.status, meaning=entry.meaning, likely_causes=list(entry.causes),
                         first_action=entry.first_action, next_checks=list(entry.next_checks),
                         retired=entry.retired, note=entry.note)


def register(server: MCPServer, api: PlatformAPI, settings: AppDiagSettings) -> None:
    @read_only_tool(server, "Analyze Heroku logs", open_world=True, idempotent=False)
    async def analyze_logs(
        app: Annotated[str | None, Field(description="Heroku app name (default HEROKU_APP_NAME). Ignored when log_text is given.")] = None,
        log_text: Annotated[str | None, Field(description="Log lines pasted as text (`heroku logs` output or a drain's syslog lines). When given, nothing is fetched and no API key is needed.")] = None,
        lines: Annotated[int, Field(ge=1, le=MAX_SESSION_LINES, description="How many recent lines to fetch (Heroku keeps at most 1500; Fir apps stream live lines only, for up to HEROKU_LOG_TIMEOUT_S).")] = MAX_SESSION_LINES,
        source: Annotated[Literal["app", "heroku"] | None, Field(description="Only lines from `app` (your processes) or `heroku` (router, dyno manager).")] = None,
        dyno: Annotated[str | None, Field(description="Only one dyno (`web.1`, or a Fir dyno name) or process type (`web`, `mcp-postgres`).")] = None,
    ) -> Annotated[CallToolResult, LogAnalysis]:
        """Find out what the logs say is wrong with a Heroku app. Fetches the app's recent log lines
        (or analyses pasted ones) and returns: counts per H/R/L error code with its meaning and first
        action, HTTP statuses, p50/p95/p99 of router service and connect times, the slowest and most
        failing paths (ids normalised), a per-minute timeline, memory against quota per dyno, crashes,
        the release each burst of errors followed, and findings from what Heroku itself logs: Heroku
        Postgres and Redis metrics (load, IOPS, memory, connections, temp disk, WAL, cache hit) and dyno
        runtime metrics judged over the window, and Postgres service logs (too many connections,
        deadlocks, timeouts, slow statements, temp files, checkpoints). Findings come first, worst first."""
        result = await analyze(api, settings, app=app, log_text=log_text, lines=lines, source=source, dyno=dyno)
        return _result(render_analysis(result), result, settings.secrets)

    @read_only_tool(server, "Explain a Heroku error code", idempotent=True)
    async def explain_error_code(
        code: Annotated[str, Field(description="A Heroku error code such as H12, R14 or L10 (case-insensitive).")],
    ) -> Annotated[CallToolResult, ErrorCodeInfo]:
        """Explain a Heroku router (H), runtime (R) or logging (L) error code: what it means, its likely
        causes, the first thing to do and what to check next. Works offline; no API key needed."""
        info = explain(code)
        return _result(render_code(info), info, settings.secrets)
