"""`app_overview`: the app, its formation against the dynos actually running, releases, add-ons,
features, and flags for what is wrong (web=0, crashed dynos, crash loops, failed releases, add-ons)."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server import MCPServer
from mcp.types import CallToolResult
from pydantic import BaseModel, Field

from mcp_servers.app_diagnostics.platform_api import AppArgument, PlatformAPI, app_path, resolve_app
from mcp_servers.app_diagnostics.settings import AppDiagSettings
from mcp_servers.app_diagnostics.tools._fetch import gather
from mcp_servers.common.annotations import read_only_tool
from mcp_servers.common.redact import truncate
from mcp_servers.common.results import Finding, Status, render_findings, tool_result, worst

__all__ = ["FEATURES_THAT_MATTER", "AppOverview", "build_overview", "register", "render_overview"]

RECENT_RELEASES = 5
DYNO_STATES = ("up", "starting", "crashed", "idle", "down")
# Features worth knowing about while diagnosing, and why (Dev Center: Labs and Router 2.0 pages).
FEATURES_THAT_MATTER = {
    "log-runtime-metrics": "dyno memory and load samples in the log stream (analyze_logs reads them); Cedar only",
    "http-routing-2-dot-0": "Router 2.0: HTTP/2 to the router; a few router error codes differ",
    "preboot": "new dynos boot before old ones stop on deploys, so no boot gap (and no H20/R10 window)",
    "runtime-dyno-metadata": "HEROKU_RELEASE_VERSION and friends in the dyno environment",
}


class AppInfo(BaseModel):
    name: str
    id: str
    generation: str | None = Field(description="cedar or fir")
    stack: str | None
    region: str | None
    maintenance: bool
    released_at: str | None
    web_url: str | None
    space: str | None = None


class ProcessState(BaseModel):
    """One process type: the quantity the formation asks for against the dynos that exist."""

    type: str
    size: str | None
    desired: int
    up: int = 0
    starting: int = 0
    crashed: int = 0
    idle: int = 0
    down: int = 0
    crashed_dynos: list[str] = Field(default_factory=list)


class ReleaseBrief(BaseModel):
    version: int
    status: str = Field(description="succeeded, failed, pending or expired")
    current: bool
    description: str | None
    created_at: str | None


class AddonBrief(BaseModel):
    name: str
    service: str | None
    plan: str | None
    state: str = Field(description="provisioning, provisioned or deprovisioned")


class FeatureState(BaseModel):
    name: str
    enabled: bool | None = Field(description="None when the API does not list the feature for this app")
    why_it_matters: str


class AppOverview(BaseModel):
    status: Status = Field(description="The worst status among the findings")
    app: AppInfo
    formation: list[ProcessState]
    one_off_dynos: int = Field(description="run.* dynos (heroku run), not part of the formation")
    releases: list[ReleaseBrief] = Field(description=f"The {RECENT_RELEASES} most recent releases, newest first")
    addons: list[AddonBrief]
    features: list[FeatureState]
    findings: list[Finding]
    rate_limit_remaining: int | None = Field(description="Heroku API calls left in this account's pool")


def _name(ref: Any) -> str | None:
    return ref.get("name") if isinstance(ref, dict) else None


def _processes(formation: list[dict[str, Any]], dynos: list[dict[str, Any]]) -> tuple[list[ProcessState], int]:
    states = {f["type"]: ProcessState(type=f["type"], size=_name(f.get("dyno_size")) or f.get("size"),
                                      desired=int(f.get("quantity") or 0)) for f in formation}
    one_off = 0
    for dyno in sorted(dynos, key=lambda d: d.get("name", "")):
        ptype = dyno.get("type") or dyno.get("name", "").split(".")[0]
        if ptype not in states:
            if ptype == "run" or ptype.startswith("run"):
                one_off += 1
                continue
            states[ptype] = ProcessState(type=ptype, size=dyno.get("size"), desired=0)
        state = states[ptype]
        value = dyno.get("state")
        if value in DYNO_STATES:
            setattr(state, value, getattr(state, value) + 1)
        if value == "crashed":
            state.crashed_dynos.append(dyno.get("name", "?"))
    return sorted(states.values(), key=lambda s: (s.type != "web", s.type)), one_off


def _formation_findings(app: dict[str, Any], processes: list[ProcessState], dynos: list[dict[str, Any]],
                        releases: list[dict[str, Any]]) -> list[Finding]:
    findings = []
    web = next((p for p in processes if p.type == "web"), None)
    if web is None:
        findings.append(Finding(check="web_formation", status="yellow",
                                summary="no web process type: HTTP requests get H14 (fine for a worker-only app)",
                                remediation="add a `web:` line to the Procfile if the app serves HTTP"))
    elif web.desired == 0:
        findings.append(Finding(check="web_formation", status="red", value=0, threshold=">= 1",
                                summary="web is scaled to 0: every HTTP request gets H14 (No web processes running)",
                                remediation="heroku ps:scale web=1"))
    else:
        findings.append(Finding(check="web_formation", status="green", value=web.desired,
                                summary=f"web is scaled to {web.desired}"))
    if app.get("maintenance"):
        findings.append(Finding(check="maintenance", status="yellow", value="on",
                                summary="maintenance mode is on: the router answers every request with H80 (503)",
                                remediation="heroku maintenance:off once the work is done"))
    crashed = [d for d in dynos if d.get("state") == "crashed"]
    if crashed:
        rows = [{"dyno": d.get("name"), "release": (d.get("release") or {}).get("version"),
                 "since": d.get("updated_at")} for d in crashed]
        findings.append(Finding(
            check="crashed_dynos", status="red", value=len(crashed), rows=rows,
            summary=f"{len(crashed)} crashed dyno(s): {', '.join(str(r['dyno']) for r in rows[:5])}",
            remediation="analyze_logs with the dyno name shows the exit status and R10/R14/R15 lines before the crash",
        ))
    else:
        findings.append(Finding(check="crashed_dynos", status="green", value=0, summary="no crashed dynos"))
    loops = [p for p in processes if p.desired > 0 and p.up == 0 and p.crashed > 0]
    current = next((r for r in releases if r.get("current")), None)
    for process in loops:
        hint = ""
        if current is not None:
            hint = f"; they run v{current.get('version')} ({truncate(current.get('description'), 60)})"
        findings.append(Finding(
            check="crash_loop", status="red", value=process.type,
            summary=f"no {process.type} dyno is up: {process.crashed} crashed, {process.starting} starting{hint}",
            remediation="read the crash in analyze_logs (dyno " + process.type + "); if it began with the "
                        "current release, recent_releases names a rollback candidate",
        ))
    short = [p for p in processes if p.up + p.starting + p.crashed + p.idle < p.desired]
    if short:
        rows = [{"type": p.type, "desired": p.desired, "existing": p.up + p.starting + p.crashed + p.idle} for p in short]
        findings.append(Finding(check="dyno_count", status="yellow", rows=rows,
                                summary="fewer dynos exist than the formation asks for: "
                                        + ", ".join(f"{r['type']} {r['existing']}/{r['desired']}" for r in rows),
                                remediation="dynos may be restarting; look again in a minute, then check the logs"))
    return findings


def _release_findings(releases: list[dict[str, Any]]) -> list[Finding]:
    if not releases:
        return [Finding(check="latest_release", status="skipped", summary="no releases", reason="the app has no releases yet")]
    latest = releases[0]
    version, status = latest.get("version"), latest.get("status")
    current = next((r.get("version") for r in releases if r.get("current")), None)
    if status == "failed":
        return [Finding(check="latest_release", status="red", value=f"v{version}",
                        summary=f"the latest release v{version} failed; v{current} is still current",
                        remediation="read its release-phase output (recent_releases) and fix, then release again")]
    if status == "pending":
        return [Finding(check="latest_release", status="yellow", value=f"v{version}",
                        summary=f"release v{version} is pending (its release phase is still running)")]
    return [Finding(check="latest_release", status="green", value=f"v{version}",
                    summary=f"the latest release v{version} is {status}")]


def _addon_findings(addons: list[dict[str, Any]]) -> list[Finding]:
    bad = [a for a in addons if a.get("state") != "provisioned"]
    if not bad:
        return [Finding(check="addons", status="green", value=len(addons), summary=f"{len(addons)} add-on(s) provisioned")]
    rows = [{"addon": a.get("name"), "plan": _name(a.get("plan")), "state": a.get("state")} for a in bad]
    status: Status = "red" if any(a.get("state") == "deprovisioned" for a in bad) else "yellow"
    return [Finding(check="addons", status=status, rows=rows, value=len(bad),
                    summary="add-on(s) not provisioned: " + ", ".join(f"{r['addon']} ({r['state']})" for r in rows),
                    remediation="heroku addons:info <name>; provisioning usually finishes in minutes, config vars "
                                "such as REDIS_URL are missing until it does")]


def _feature_states(app: dict[str, Any], features: list[dict[str, Any]]) -> tuple[list[FeatureState], list[Finding]]:
    enabled = {f.get("name"): bool(f.get("enabled")) for f in features}
    states = [FeatureState(name=n, enabled=enabled.get(n), why_it_matters=w) for n, w in FEATURES_THAT_MATTER.items()]
    generation = _name(app.get("generation"))
    if generation == "fir":
        finding = Finding(check="runtime_metrics", status="skipped", summary="runtime metrics in logs",
                          reason="log-runtime-metrics is not available on Fir-generation apps")
    elif enabled.get("log-runtime-metrics"):
        finding = Finding(check="runtime_metrics", status="green", summary="log-runtime-metrics is enabled")
    else:
        finding = Finding(check="runtime_metrics", status="yellow", summary="log-runtime-metrics is off, so "
                          "memory per dyno cannot be read from the logs",
                          remediation="heroku labs:enable log-runtime-metrics && heroku restart")
    return states, [finding]


async def build_overview(api: PlatformAPI, app: str) -> AppOverview:
    info = await api.get(app_path(app), app=app)
    formation, dynos, releases, addons, features = await gather(
        lambda: api.list(app_path(app, "formation"), app=app),
        lambda: api.list(app_path(app, "dynos"), app=app),
        lambda: api.list(app_path(app, "releases"), range_field="version", order="desc",
                         max_items=RECENT_RELEASES, app=app),
        lambda: api.list(app_path(app, "addons"), app=app),
        lambda: api.list(app_path(app, "features"), app=app),
    )
    processes, one_off = _processes(formation, dynos)
    feature_states, feature_findings = _feature_states(info, features)
    findings = (_formation_findings(info, processes, dynos, releases) + _release_findings(releases)
                + _addon_findings(addons) + feature_findings)
    space = info.get("space")
    return AppOverview(
        status=worst([f.status for f in findings]),
        app=AppInfo(
            name=info.get("name", app), id=info.get("id", ""), generation=_name(info.get("generation")),
            stack=_name(info.get("stack")), region=_name(info.get("region")),
            maintenance=bool(info.get("maintenance")), released_at=info.get("released_at"),
            web_url=info.get("web_url"), space=_name(space),
        ),
        formation=processes,
        one_off_dynos=one_off,
        releases=[ReleaseBrief(version=r.get("version", 0), status=r.get("status", "unknown"),
                               current=bool(r.get("current")), description=truncate(r.get("description"), 160),
                               created_at=r.get("created_at")) for r in releases],
        addons=[AddonBrief(name=a.get("name", "?"), service=_name(a.get("addon_service")), plan=_name(a.get("plan")),
                           state=a.get("state", "unknown")) for a in sorted(addons, key=lambda a: a.get("name", ""))],
        features=feature_states,
        findings=findings,
        rate_limit_remaining=api.rate_limit_remaining,
    )


def render_overview(o: AppOverview) -> str:
    """The compact text the model reads first: one line per part, then the findings."""
    a = o.app
    head = f"{a.name} ({a.generation or '?'}, {a.stack or '?'}, {a.region or '?'}): {o.status.upper()}"
    if a.maintenance:
        head += " - maintenance ON"
    procs = []
    for p in o.formation:
        text = f"{p.type} {p.up}/{p.desired} up"
        if p.crashed_dynos:
            text += f" (crashed: {', '.join(p.crashed_dynos[:5])})"
        if p.starting:
            text += f" ({p.starting} starting)"
        procs.append(text)
    lines = [head, "dynos: " + ("; ".join(procs) or "no formation") + (f"; {o.one_off_dynos} one-off" if o.one_off_dynos else "")]
    lines.append("releases: " + "; ".join(
        f"v{r.version} {r.status}{' (current)' if r.current else ''} \"{r.description or ''}\"" for r in o.releases[:3]))
    if o.addons:
        lines.append("add-ons: " + "; ".join(f"{d.plan or d.name} {d.state}" for d in o.addons))
    lines.append("features: " + ", ".join(
        f"{f.name} {'on' if f.enabled else 'off' if f.enabled is False else 'n/a'}" for f in o.features))
    lines.append(render_findings(o.findings))
    return "\n".join(lines)


def register(server: MCPServer, api: PlatformAPI, settings: AppDiagSettings) -> None:
    @read_only_tool(server, "Heroku app overview", open_world=True, idempotent=True)
    async def app_overview(
        app: AppArgument = None,
    ) -> Annotated[CallToolResult, AppOverview]:
        """Start here for "what is wrong with my app?". Returns the app (generation, stack, region,
        maintenance), each process type's desired quantity against its dynos (up/starting/crashed/idle),
        the last releases with status, add-ons with state and plan, the features that matter, and red/
        yellow findings: web scaled to 0 (H14), crashed dynos, crash loops, failed or pending releases,
        add-ons not provisioned, runtime metrics off. Needs HEROKU_API_KEY."""
        overview = await build_overview(api, resolve_app(app, settings))
        return tool_result(overview, render_overview(overview))
