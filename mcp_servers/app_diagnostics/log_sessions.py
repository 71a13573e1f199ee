"""Heroku log sessions for both generations: open one, read its stream, and say how the reading ended.

Cedar apps take `lines` and `tail: false`, and the stream ends once Logplex has sent the buffered lines
(at most 1500). Fir apps keep no history a session can ask for: Heroku's CLI omits `lines` and `tail` on
Fir, always tails, and reads the session URL as a server-sent event stream (heroku/cli
`packages/cli/src/lib/run/log-displayer.ts`). So on Fir we read what arrives within the time budget.
Either stream may be an event stream (`data:` lines) or plain text; the answer's content type decides.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

import anyio

from mcp_servers.app_diagnostics.platform_api import USER_AGENT, PlatformAPI, PlatformAPIError, app_path

__all__ = ["LogRead", "app_generation", "open_log_session", "read_log_stream", "split_dyno"]

Ended = Literal["complete", "max_lines", "timeout", "dropped"]
# Dyno names: Cedar `web.1`, `run.1234`; Fir `web-58f7c9d4b6-x7k2p` (deployment hash, then pod suffix).
_CEDAR_DYNO = re.compile(r"^[A-Za-z0-9_-]+\.\d+$")
_FIR_DYNO = re.compile(r"^[A-Za-z0-9_-]+-[0-9a-f]{8,10}-[0-9a-z]{5}$")


def split_dyno(dyno: str | None) -> tuple[str | None, str | None]:
    """(dyno_name, process_type): `web.1` or a Fir dyno name is a dyno; anything else (`web`,
    `mcp-postgres`) is a process type, dashes included."""
    if not dyno or not dyno.strip():
        return None, None
    dyno = dyno.strip()
    return (dyno, None) if _CEDAR_DYNO.match(dyno) or _FIR_DYNO.match(dyno) else (None, dyno)


@dataclass(frozen=True, slots=True)
class LogRead:
    """The lines of one log session and how the reading ended."""

    lines: list[str]
    ended: Ended
    generation: str  # cedar | fir
    timeout_s: float

    def cut_short(self) -> str | None:
        """A sentence when the stream ended before it had said everything, else None. A Fir tail always
        runs to its time budget, so only a dropped connection cuts it short."""
        n = len(self.lines)
        if self.ended == "dropped":
            return f"stream cut short: the connection dropped after {n} lines; counts are lower bounds"
        if self.ended == "timeout" and self.generation == "cedar":
            return (f"stream cut short: still open after {self.timeout_s:g} s with {n} lines read; counts are lower "
                    "bounds (HEROKU_LOG_TIMEOUT_S gives the stream more time)")
        return None

    def note(self) -> str | None:
        """A sentence for the result when the lines are not the whole story, else None."""
        cut = self.cut_short()
        if self.generation != "fir":
            return cut
        fir = (f"Fir app: log sessions only stream live lines (no history), so these are the {len(self.lines)} lines "
               f"that arrived within {self.timeout_s:g} s; ask again while the problem happens, or use a log drain. "
               "Fir apps get no Heroku Postgres metrics or log-runtime-metrics lines in their logs.")
        return f"{cut}. {fir}" if cut else fir


async def app_generation(api: PlatformAPI, app: str) -> str:
    """`fir` or `cedar`, from the app's `generation` (apps created before the field existed are Cedar)."""
    data = await api.get(app_path(app), app=app)
    generation = (data.get("generation") or {}) if isinstance(data, dict) else {}
    name = generation.get("name") if isinstance(generation, dict) else None
    return "fir" if name == "fir" else "cedar"


async def open_log_session(api: PlatformAPI, app: str, *, generation: str, lines: int, source: str | None = None,
                           dyno: str | None = None, process_type: str | None = None) -> str:
    """`POST /apps/{app}/log-sessions` and return its `logplex_url`. Cedar: `lines` and `tail: false`;
    Fir: neither (the session always tails)."""
    body: dict[str, object] = {} if generation == "fir" else {"lines": lines, "tail": False}
    if source:
        body["source"] = source
    if dyno:
        body["dyno_name"] = dyno
    if process_type:
        body["type"] = process_type
    data = await api.post(app_path(app, "log-sessions"), body, app=app)
    url = data.get("logplex_url") if isinstance(data, dict) else None
    if not url:
        raise PlatformAPIError(f"the log session for app {app} came back without a logplex_url")
    return str(url)


def _event_data(line: str) -> str | None:
    """The log line an event-stream line carries (`data: ...`), or None for event/id/comment/blank lines."""
    if not line.startswith("data:"):
        return None
    return line[6:] if line.startswith("data: ") else line[5:]


async def read_log_stream(api: PlatformAPI, url: str, *, max_lines: int, timeout: float,
                          generation: str = "cedar") -> LogRead:
    """Read up to `max_lines` lines from a log-session URL within `timeout` seconds. The URL carries its
    own token, so the API key is not sent.

    Raises:
        PlatformAPIError: the stream cannot be reached, answers an error status, or drops before any line.
    """
    import httpx

    host = urlsplit(url).hostname or "the log stream"
    lines: list[str] = []
    ended: Ended = "complete"
    try:
        with anyio.move_on_after(timeout):
            async with api.http().stream("GET", url, headers={"User-Agent": USER_AGENT, "Accept": "text/event-stream"},
                                         timeout=httpx.Timeout(timeout)) as response:
                if response.status_code >= 400:
                    raise PlatformAPIError(
                        f"the log stream at {host} answered HTTP {response.status_code}; log sessions "
                        "expire after a few minutes, so fetch the logs again", status=response.status_code,
                    )
                events = response.headers.get("content-type", "").startswith("text/event-stream")
                ended = "complete"
                async for raw in response.aiter_lines():
                    line = _event_data(raw) if events else raw
                    if line is None or not line.strip():
                        continue
                    lines.append(line.rstrip("\r\n"))
                    if len(lines) >= max_lines:
                        ended = "max_lines"
                        break
            return LogRead(lines, ended, generation, timeout)
    except httpx.TimeoutException:
        pass
    except (httpx.TransportError, httpx.StreamError) as exc:
        if not lines:
            raise PlatformAPIError(f"cannot read the log stream at {host} ({type(exc).__name__})") from None
        return LogRead(lines, "dropped", generation, timeout)
    return LogRead(lines, "timeout", generation, timeout)
