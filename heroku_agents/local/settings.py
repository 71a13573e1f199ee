"""Settings of the local Agents endpoint, read from the environment once, passed in explicitly."""

from __future__ import annotations

import os
import uuid
from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from mcp_servers.common.env import env_flag, env_number

__all__ = ["CHILD_ENV_VARS", "DEFAULT_MAX_STEPS", "DEFAULT_PORT", "LocalSettings", "generate_key"]

DEFAULT_PORT = 8787
DEFAULT_MAX_STEPS = 12  # model steps per run; Heroku's own cap is unpublished (spec 6.6)
DEFAULT_MCP_TTL_CAP = 300  # "Each individual tool call is capped at 300 seconds" (Heroku blog)
DEFAULT_REGISTRY_TIMEOUT = 30.0  # seconds to list one server's tools at start
# Tool processes running calls at once; more calls wait in a queue. 50 unbounded runs started 101
# Python processes (3.2 GB); 8 keeps a laptop responsive and still overlaps a run's slow tools.
DEFAULT_MAX_TOOL_PROCESSES = 8
DEFAULT_UPSTREAM_STEP_TIMEOUT_S = 120.0  # one model step: an upstream silent this long gets a 504, not retried
# What a Heroku one-off dyno would see from the app's config vars. The MCP SDK's STDIO child only
# inherits HOME/LOGNAME/PATH/SHELL/TERM/USER, so these are passed explicitly.
CHILD_ENV_VARS = (
    "DATABASE_URL", "HEROKU_API_KEY", "HEROKU_APP_NAME", "APP_NAME", "EMBEDDED_PG_DATA_DIR",
    "PYTHONPATH", "LANG", "LC_ALL", "TZ", "SSL_CERT_FILE", "SSL_CERT_DIR",
)
CHILD_ENV_PREFIXES = ("PG_", "APPDIAG_", "HEROKU_", "MCP_", "HTTP_PROBE_")


def _url_password(url: str) -> str:
    from urllib.parse import unquote, urlsplit

    try:
        return unquote(urlsplit(url.strip()).password or "")
    except ValueError:
        return ""


def generate_key() -> str:
    """A key shaped like Heroku's: `inf-` + a UUID."""
    return f"inf-{uuid.uuid4()}"


class LocalSettings(BaseModel):
    """How the local endpoint runs.

    `upstream_url`/`upstream_key` select the OpenAI-compatible model backend; without them the
    deterministic offline planner answers. `child_env` is what every MCP process gets on top of the
    SDK's allow-listed environment (a one-off dyno's config vars).
    """

    model_config = ConfigDict(frozen=True)

    key: str = Field(default_factory=generate_key)
    procfile: Path = Path("Procfile")
    app_dir: Path | None = None  # defaults to the Procfile's folder
    app_id: str = Field(default_factory=lambda: str(uuid.uuid5(uuid.NAMESPACE_URL, "heroku-mcp-toolkit/local")))
    upstream_url: str | None = None
    upstream_key: str | None = None
    upstream_model: str | None = None
    max_steps: int = Field(default=DEFAULT_MAX_STEPS, ge=1)
    mcp_ttl_cap: int = Field(default=DEFAULT_MCP_TTL_CAP, ge=1)
    registry_timeout: float = DEFAULT_REGISTRY_TIMEOUT
    warm_pool: int = Field(default=0, ge=0, description="Idle processes kept per server (0: one process per call, like Heroku).")
    upstream_step_timeout: float = Field(
        default=DEFAULT_UPSTREAM_STEP_TIMEOUT_S, gt=0,
        description="Seconds one model step may take upstream (UPSTREAM_STEP_TIMEOUT_S); past it the run ends with a 504.",
    )
    max_tool_processes: int = Field(
        default=DEFAULT_MAX_TOOL_PROCESSES, ge=1,
        description="Tool calls running at once (LOCAL_AGENTS_MAX_PROCESSES); further calls queue and the stream says so.",
    )
    child_env: dict[str, str] = Field(default_factory=dict)
    code_exec: bool = Field(
        default=False, description="Run code_exec_python's model-written code on this machine (fenced: see sandbox.py). LOCAL_CODE_EXEC=1."
    )
    fetch_allow_private: bool = Field(
        default=False, description="Let html_to_markdown fetch loopback/private addresses (tests only). LOCAL_FETCH_ALLOW_PRIVATE=1."
    )
    heartbeat_seconds: float | None = Field(
        default=None, gt=0, description="Write a `:heartbeat` SSE comment after this much silence (off by default, as on Heroku's documented stream)."
    )

    @property
    def workdir(self) -> Path:
        return (self.app_dir or self.procfile.resolve().parent).resolve()

    @property
    def secrets(self) -> tuple[str, ...]:
        """Values that must never appear in an event, a log line or an error."""
        from heroku_agents.redaction import secret_values

        values = [self.key, self.upstream_key or "", *secret_values(self.child_env)]
        values += [_url_password(self.upstream_url)] if self.upstream_url else []
        return tuple(v for v in values if v and len(v) >= 4)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> LocalSettings:
        """Read the environment.

        The model upstream is UPSTREAM_INFERENCE_URL/_KEY/_MODEL_ID, else INFERENCE_URL/_KEY/_MODEL_ID
        (a real Heroku model add-on); with neither, the offline planner. LOCAL_AGENTS_KEY fixes the key
        (else one is generated), LOCAL_AGENTS_WARM_POOL keeps warm processes; DATABASE_URL, HEROKU_API_KEY
        and the other CHILD_ENV_VARS are passed to the MCP processes.
        """
        env = os.environ if env is None else env
        child = {k: v for k, v in env.items() if k in CHILD_ENV_VARS or k.startswith(CHILD_ENV_PREFIXES)}
        prefix = "UPSTREAM_INFERENCE" if env.get("UPSTREAM_INFERENCE_URL") else "INFERENCE"
        values: dict[str, object] = {
            "upstream_url": env.get(f"{prefix}_URL") or None,
            "upstream_key": env.get(f"{prefix}_KEY") or None,
            "upstream_model": env.get(f"{prefix}_MODEL_ID") or None,
            "child_env": child,
        }
        if env.get("LOCAL_AGENTS_KEY"):
            values["key"] = env["LOCAL_AGENTS_KEY"]
        numbers = (("warm_pool", "LOCAL_AGENTS_WARM_POOL", int), ("upstream_step_timeout", "UPSTREAM_STEP_TIMEOUT_S", float),
                   ("max_tool_processes", "LOCAL_AGENTS_MAX_PROCESSES", int))
        for name, var, kind in numbers:
            if env.get(var):
                values[name] = env_number(env, var, 0, kind)
        for name, var in (("code_exec", "LOCAL_CODE_EXEC"), ("fetch_allow_private", "LOCAL_FETCH_ALLOW_PRIVATE")):
            if env.get(var):
                values[name] = env_flag(env, var)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]

