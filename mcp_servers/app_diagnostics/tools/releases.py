"""`recent_releases`: what changed, release by release: config-var names added/removed/changed (never
values), the build behind each release, failed builds that released nothing, and a rollback candidate."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit, urlunsplit

from mcp.server import MCPServer
from mcp.types import CallToolResult
from pydantic import BaseModel, Field

from mcp_servers.app_diagnostics.platform_api import AppArgument, PlatformAPI, PlatformAPIError, app_path, resolve_app
from mcp_servers.app_diagnostics.settings import AppDiagSettings
from mcp_servers.app_diagnostics.tools._fetch import gather
from mcp_servers.common.annotations import read_only_tool
from mcp_servers.common.redact import redact_text, truncate
from mcp_servers.common.results import Finding, Status, render_findings, tool_result, worst

__all__ = ["RecentReleases", "build_releases", "config_diff", "names_from_description", "register", "render_releases"]

DEFAULT_LIMIT = 10
MAX_LIMIT = 50
BUILDS_TO_READ = 30
ReleaseKind = Literal["deploy", "config", "rollback", "add-on", "initial", "promote", "other"]
# Heroku's own release descriptions: "Set FOO, BAR config vars", "Remove FOO config vars"
_SET = re.compile(r"\bSet ([A-Za-z0-9_, ]+?) config vars?", re.I)
_REMOVE = re.compile(r"\bRemove ([A-Za-z0-9_, ]+?) config vars?", re.I)


class ConfigChange(BaseModel):
    """Config-var names that changed from the previous release. Values are never read out."""

    added: list[str] = Field(default_factory=list)
    removed: list[str] = Field(default_factory=list)
    changed: list[str] = Field(default_factory=list, description="Names whose value changed (or, from a "
                               "description, were set: added or changed)")
    source: Literal["release config-vars", "release description"] = Field(
        description="Compared from each release's config vars, or read from Heroku's description when those were unavailable")


class BuildBrief(BaseModel):
    id: str
    status: str = Field(description="succeeded, failed or pending")
    version: str | None = Field(description="The source version (usually the commit) that was built")
    created_at: str | None
    output_stream_url: str | None = Field(description="Build log stream (query string removed)")


class ReleaseDetail(BaseModel):
    version: int
    status: str
    current: bool
    kind: ReleaseKind
    description: str | None
    created_at: str | None
    eligible_for_rollback: bool | None
    config_changes: ConfigChange | None = Field(description="None when neither source could tell")
    build: BuildBrief | None = None
    output_stream_url: str | None = Field(default=None, description="Release-phase output, for failed or pending releases")


class RecentReleases(BaseModel):
    status: Status
    app: str
    releases: list[ReleaseDetail] = Field(description="Newest first")
    failed_builds: list[BuildBrief] = Field(description="Failed builds that produced no release (the deploy never went out)")
    rollback_candidate: int | None = Field(description="The newest succeeded, rollback-eligible release older than the current one")
    findings: list[Finding]
    notes: list[str] = Field(default_factory=list)
    rate_limit_remaining: int | None


def _split(names: str) -> list[str]:
    return sorted({n.strip() for n in names.split(",") if n.strip()})


def names_from_description(description: str | None) -> ConfigChange | None:
    """Names Heroku's description says were set or removed (`Set FOO, BAR config vars`)."""
    if not description:
        return None
    set_names = [n for m in _SET.finditer(description) for n in _split(m[1])]
    removed = [n for m in _REMOVE.finditer(description) for n in _split(m[1])]
    if not set_names and not removed:
        return None
    return ConfigChange(changed=sorted(set(set_names)), removed=sorted(set(removed)), source="release description")


def config_diff(before: dict[str, Any], after: dict[str, Any]) -> ConfigChange:
    """Names added, removed and changed between two config-var maps; the values stay here."""
    return ConfigChange(
        added=sorted(set(after) - set(before)),
        removed=sorted(set(before) - set(after)),
        changed=sorted(k for k in set(before) & set(after) if before[k] != after[k]),
        source="release config-vars",
    )


def _kind(description: str | None, version: int) -> ReleaseKind:
    text = (description or "").strip()
    lowered = text.lower()
    if version == 1 or lowered.startswith("initial release"):
        return "initial"
    if lowered.startswith("deploy"):
        return "deploy"
    if lowered.startswith("rollback"):
        return "rollback"
    if lowered.startswith("promote"):
        return "promote"
    if "config var" in lowered:
        return "config"
    if lowered.startswith(("attach", "detach", "add ", "remove ", "update ")) or "add-on" in lowered:
        return "add-on"
    return "other"


def _no_query(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url)
    return urlunsplit(parts._replace(query="", fragment=""))


def _build_brief(build: dict[str, Any]) -> BuildBrief:
    blob = build.get("source_blob") or {}
    return BuildBrief(id=build.get("id", "?"), status=build.get("status", "unknown"), version=blob.get("version"),
                      created_at=build.get("created_at"), output_stream_url=_no_query(build.get("output_stream_url")))


async def _config_of(api: PlatformAPI, app: str, version: int) -> dict[str, Any] | None:
    try:
        config = await api.get(app_path(app, "releases", version, "config-vars"), app=app)
    except PlatformAPIError as exc:
        if exc.status in (403, 404):
            return None  # expired or not visible: fall back to the description
        raise
    return config if isinstance(config, dict) else None


async def build_releases(api: PlatformAPI, app: str, limit: int = DEFAULT_LIMIT) -> RecentReleases:
    await api.get(app_path(app), app=app)  # a clear "app not found" before anything else
    releases, builds = await gather(
        lambda: api.list(app_path(app, "releases"), range_field="version", order="desc", max_items=limit + 1, app=app),
        lambda: api.list(app_path(app, "builds"), range_field="started_at", order="desc", max_items=BUILDS_TO_READ, app=app),
    )
    configs = await gather(*(lambda v=r["version"]: _config_of(api, app, v) for r in releases))
    secrets = tuple(str(v) for c in configs if c for v in c.values() if v and len(str(v)) >= 6)
    build_by_release = {(b.get("release") or {}).get("id"): b for b in builds if b.get("release")}
    details: list[ReleaseDetail] = []
    notes: list[str] = []
    for index, release in enumerate(releases[:limit]):
        version = int(release.get("version", 0))
        description = redact_text(truncate(release.get("description"), 200) or "", secrets) or None
        change: ConfigChange | None = None
        if index + 1 < len(releases) and configs[index] is not None and configs[index + 1] is not None:
            change = config_diff(configs[index + 1], configs[index])
        elif version == 1 and configs[index] is not None:
            change = config_diff({}, configs[index])
        else:
            change = names_from_description(release.get("description"))
        build = build_by_release.get(release.get("id"))
        details.append(ReleaseDetail(
            version=version, status=release.get("status", "unknown"), current=bool(release.get("current")),
            kind=_kind(release.get("description"), version), description=description,
            created_at=release.get("created_at"), eligible_for_rollback=release.get("eligible_for_rollback"),
            config_changes=change, build=_build_brief(build) if build else None,
            output_stream_url=_no_query(release.get("output_stream_url")) if release.get("status") != "succeeded" else None,
        ))
    if any(c is None for c in configs):
        notes.append("some releases' config vars were not readable (expired releases, or a token without the "
                     "read-protected scope); their changes come from Heroku's release description, which names "
                     "set and removed variables only")
    current = next((d for d in details if d.current), None)
    candidate = None
    if current is not None:
        candidate = next((d.version for d in details if d.version < current.version and d.status == "succeeded"
                          and d.eligible_for_rollback), None)
        if candidate is not None:
            notes.append(f"to roll back: heroku rollback v{candidate} -a {app} (this server makes no changes)")
    newest_release_at = max((r.get("created_at") or "" for r in releases if r.get("current")), default="")
    failed = [_build_brief(b) for b in builds if b.get("status") == "failed" and not b.get("release")
              and (b.get("created_at") or "") >= newest_release_at]
    findings = _findings(details, failed, current)
    return RecentReleases(
        status=worst([f.status for f in findings]), app=app, releases=details, failed_builds=failed,
        rollback_candidate=candidate, findings=findings, notes=notes, rate_limit_remaining=api.rate_limit_remaining,
    )


def _findings(details: list[ReleaseDetail], failed: list[BuildBrief], current: ReleaseDetail | None) -> list[Finding]:
    findings = []
    if not details:
        return [Finding(check="latest_release", status="skipped", summary="no releases", reason="the app has no releases yet")]
    latest = details[0]
    current_label = f"v{current.version}" if current else "no release"
    if latest.status == "failed":
        findings.append(Finding(check="latest_release", status="red", value=f"v{latest.version}",
                                summary=f"v{latest.version} ({latest.description}) failed; {current_label} is still current",
                                remediation="read the release-phase output at output_stream_url, fix, and release again"))
    elif latest.status == "pending":
        findings.append(Finding(check="latest_release", status="yellow", value=f"v{latest.version}",
                                summary=f"v{latest.version} is pending: its release phase is still running"))
    else:
        findings.append(Finding(check="latest_release", status="green", value=f"v{latest.version}",
                                summary=f"v{latest.version} is {latest.status}"))
    if failed:
        findings.append(Finding(check="failed_builds", status="yellow", value=len(failed),
                                rows=[{"build": b.id, "version": b.version, "at": b.created_at} for b in failed],
                                summary=f"{len(failed)} build(s) failed since the current release; nothing was released",
                                remediation="read the build log at output_stream_url"))
    return findings


def render_releases(r: RecentReleases) -> str:
    """The compact text the model reads first: one line per release, then the findings."""
    lines = [f"{r.app} releases (newest first): {r.status.upper()}"]
    for d in r.releases:
        text = f"v{d.version} {d.status}{' (current)' if d.current else ''} {d.kind}: {d.description or ''}"
        change = d.config_changes
        if change and (change.added or change.removed or change.changed):
            parts = [f"+{n}" for n in change.added] + [f"-{n}" for n in change.removed] + [f"~{n}" for n in change.changed]
            text += f" | config {' '.join(parts)}"
        if d.build:
            text += f" | build {d.build.status}"
        lines.append(text)
    for b in r.failed_builds:
        lines.append(f"failed build {b.version or b.id} at {b.created_at}: nothing released")
    if r.rollback_candidate is not None:
        lines.append(f"rollback candidate: v{r.rollback_candidate}")
    lines += r.notes
    lines.append(render_findings(r.findings))
    return "\n".join(lines)


def register(server: MCPServer, api: PlatformAPI, settings: AppDiagSettings) -> None:
    @read_only_tool(server, "Recent Heroku releases", open_world=True, idempotent=True)
    async def recent_releases(
        app: AppArgument = None,
        limit: Annotated[int, Field(ge=1, le=MAX_LIMIT, description="How many releases, newest first.")] = DEFAULT_LIMIT,
    ) -> Annotated[CallToolResult, RecentReleases]:
        """Use when errors started "recently" or after a deploy. Lists the newest releases with status
        and kind (deploy, config, rollback, add-on), the config-var NAMES each one added, removed or
        changed (values are never shown), the build behind it, failed builds that released nothing, and
        the newest release you could roll back to. Needs HEROKU_API_KEY."""
        releases = await build_releases(api, resolve_app(app, settings), limit)
        return tool_result(releases, render_releases(releases))
