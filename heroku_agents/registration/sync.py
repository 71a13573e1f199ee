"""Poll `GET /v1/mcp/servers` until every local process type is registered and synced, then diff tools."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import anyio

from heroku_agents.client import AgentsClient
from heroku_agents.errors import RegistrationError, RegistrationTimeout
from heroku_agents.models import MCPServerRecord, MCPServerTool

__all__ = ["DEFAULT_POLL_INTERVAL", "DEFAULT_POLL_TIMEOUT", "ServerDiff", "diff_tools", "wait_until_synced"]

DEFAULT_POLL_TIMEOUT = 180.0  # seconds; Heroku syncs tools after the attach, usually within a minute
DEFAULT_POLL_INTERVAL = 3.0


@dataclass
class ServerDiff:
    process_type: str
    missing: list[str] = field(default_factory=list)  # local tools Heroku has not registered
    extra: list[str] = field(default_factory=list)  # registered tools the local server no longer has
    changed: list[str] = field(default_factory=list)  # description or arguments differ

    @property
    def clean(self) -> bool:
        return not (self.missing or self.extra or self.changed)

    def lines(self) -> list[str]:
        out = [f"{self.process_type}: registered but not served locally: {n}" for n in self.extra]
        out += [f"{self.process_type}: served locally but not registered: {n}" for n in self.missing]
        out += [f"{self.process_type}: {n}" for n in self.changed]
        return out


def _status(record: MCPServerRecord | None) -> str:
    return "not listed" if record is None else f"{record.server_status}/{record.primitives_status} ({len(record.tools)} tools)"


async def wait_until_synced(
    client: AgentsClient,
    process_types: Sequence[str],
    *,
    timeout: float = DEFAULT_POLL_TIMEOUT,
    interval: float = DEFAULT_POLL_INTERVAL,
    progress: Callable[[str], None] = lambda _: None,
) -> dict[str, MCPServerRecord]:
    """Records of `process_types`, once each is `registered` and `synced`.

    Raises:
        RegistrationError: a server's primitives_status is `error`.
        RegistrationTimeout: still not there after `timeout` seconds (says which and their status).
    """
    deadline = time.monotonic() + timeout
    last: dict[str, str] = {}
    while True:
        records = {r.process_type: r for r in await client.list_mcp_servers()}
        state = {p: _status(records.get(p)) for p in process_types}
        for p, s in state.items():
            if last.get(p) != s:
                progress(f"{p}: {s}")
        last = state
        failed = [p for p in process_types if p in records and records[p].primitives_status == "error"]
        if failed:
            raise RegistrationError(
                f"tool sync failed for {', '.join(failed)}; check `heroku logs -a APP` and run the process "
                "locally (`python scripts/register_servers.py` preflight)"
            )
        if all(p in records and records[p].server_status == "registered" and records[p].primitives_status == "synced"
               for p in process_types):
            return {p: records[p] for p in process_types}
        if time.monotonic() >= deadline:
            waiting = ", ".join(f"{p} ({state[p]})" for p in process_types if not state[p].startswith("registered/synced"))
            raise RegistrationTimeout(
                f"after {timeout:.0f}s still waiting for {waiting}; is the add-on attached to the app that runs "
                "these process types? (`heroku addons -a APP`)"
            )
        await anyio.sleep(interval)


def _shape(schema: dict[str, Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """What matters to a caller: argument names and which are required (titles and such are ignored)."""
    return tuple(sorted((schema.get("properties") or {}).keys())), tuple(sorted(schema.get("required") or ()))


def diff_tools(local: dict[str, list[MCPServerTool]], registered: dict[str, MCPServerRecord]) -> list[ServerDiff]:
    """Per process type: tools missing on either side, and tools whose description or arguments differ."""
    diffs = []
    for process_type, tools in local.items():
        diff = ServerDiff(process_type)
        remote = {t.name: t for t in registered[process_type].tools} if process_type in registered else {}
        mine = {t.name: t for t in tools}
        diff.missing = sorted(set(mine) - set(remote))
        diff.extra = sorted(set(remote) - set(mine))
        for name in sorted(set(mine) & set(remote)):
            if mine[name].description.strip() != (remote[name].description or "").strip():
                diff.changed.append(f"{name}: description differs (redeploy, then wait for the sync)")
            if _shape(mine[name].input_schema) != _shape(remote[name].input_schema):
                diff.changed.append(f"{name}: arguments differ: local {_shape(mine[name].input_schema)}, "
                                    f"registered {_shape(remote[name].input_schema)}")
        diffs.append(diff)
    return diffs
