"""The three steps of `scripts/register_servers.py`, in order, each reported as it completes."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from heroku_agents.client import AgentsClient
from heroku_agents.endpoint import open_endpoint
from heroku_agents.errors import RegistrationError
from heroku_agents.registration.platform import (
    DEFAULT_ALIAS,
    DEFAULT_PLATFORM_URL,
    Attachment,
    app_config_vars,
    attach_inference,
)
from heroku_agents.registration.preflight import PreflightReport, preflight
from heroku_agents.registration.sync import (
    DEFAULT_POLL_INTERVAL,
    DEFAULT_POLL_TIMEOUT,
    ServerDiff,
    diff_tools,
    wait_until_synced,
)

__all__ = ["RegistrationResult", "register"]


@dataclass
class RegistrationResult:
    report: PreflightReport
    attachment: Attachment | None = None
    endpoint: str = ""
    local: bool = False
    diffs: list[ServerDiff] = field(default_factory=list)


async def register(
    *,
    procfile: Path,
    config_dir: Path | None,
    env: Mapping[str, str],
    app: str | None = None,
    addon: str | None = None,
    alias: str = DEFAULT_ALIAS,
    poll_timeout: float = DEFAULT_POLL_TIMEOUT,
    poll_interval: float = DEFAULT_POLL_INTERVAL,
    out: Callable[[str], None] = lambda _: None,
    platform_http: httpx.AsyncClient | None = None,
) -> RegistrationResult:
    """Preflight, attach (with `app` and HEROKU_API_KEY), then poll `/v1/mcp/servers` and diff the tools.

    Without INFERENCE_URL (and no app to read it from) the local endpoint is started and polled.

    Raises:
        PreflightError, PlatformAPIError, RegistrationTimeout, RegistrationError: see heroku_agents.errors.
    """
    from heroku_agents.mcp_stdio import server_environment

    api_key = env.get("HEROKU_API_KEY")
    if app and not api_key:  # before the slow preflight: fail fast on what the user must fix first
        raise RegistrationError(
            "--app needs HEROKU_API_KEY to attach the add-on: `export HEROKU_API_KEY=$(heroku auth:token)`"
        )
    report = await preflight(procfile, config_dir=config_dir, env=server_environment(env))
    count = sum(len(t) for t in report.tools.values())
    out(f"preflight ok: {len(report.tools)} server(s), {count} tool(s); configs checked: "
        f"{', '.join(report.configs_checked) or 'none'}")
    for process_type, tools in report.tools.items():
        out(f"  {process_type}: {', '.join(t.name for t in tools)}")
    result = RegistrationResult(report)

    url, key = env.get(f"{alias}_URL"), env.get(f"{alias}_KEY")
    if app and api_key:
        base = env.get("HEROKU_API_URL") or DEFAULT_PLATFORM_URL
        result.attachment = await attach_inference(app, api_key, addon=addon, alias=alias, base_url=base, http=platform_http)
        out(result.attachment.describe())
        if not url:
            config = await app_config_vars(app, api_key, base_url=base, http=platform_http)
            name = result.attachment.name  # an add-on attached earlier may carry another alias
            url, key = config.get(f"{name}_URL"), config.get(f"{name}_KEY")
            if not url:
                raise RegistrationError(f"{app} has no {name}_URL config var yet; rerun in a minute")
    else:
        out("no --app: skipping the add-on attachment (pass --app APP with HEROKU_API_KEY to attach)")

    if url:
        result.endpoint = url
        async with AgentsClient(url, key) as client:
            records = await wait_until_synced(client, report.process_types, timeout=poll_timeout,
                                              interval=poll_interval, progress=lambda m: out(f"  {m}"))
    else:
        local_env = {k: v for k, v in env.items() if k not in ("INFERENCE_URL", "INFERENCE_KEY")}
        async with open_endpoint(local_env, procfile=procfile) as endpoint:
            out(endpoint.note)
            result.endpoint, result.local = endpoint.url, True
            async with AgentsClient(endpoint.url, endpoint.key) as client:
                records = await wait_until_synced(client, report.process_types, timeout=poll_timeout,
                                                  interval=poll_interval, progress=lambda m: out(f"  {m}"))
    result.diffs = diff_tools(report.tools, records)
    problems = [line for d in result.diffs for line in d.lines()]
    if problems:
        raise RegistrationError("registered tools differ from the local servers:\n" + "\n".join(f"  - {p}" for p in problems))
    out(f"registered and synced at {result.endpoint}: " + ", ".join(
        f"{d.process_type} ({len(report.tools[d.process_type])} tools)" for d in result.diffs))
    return result
