"""Settings of the local Agents endpoint, read from the environment once, passed in explicitly."""

from __future__ import annotations

import os
import uuid
from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["CHILD_ENV_VARS", "DEFAULT_MAX_STEPS", "DEFAULT_PORT", "LocalSettings", "generate_key"]

DEFAULT_PORT = 8787
DEFAULT_MAX_STEPS = 12  # model steps per run; Heroku's own cap is unpublished (spec 6.6)
DEFAULT_MCP_TTL_CAP = 300  # "Each individual tool call is capped at 300 seconds" (Heroku blog)
DEFAULT_REGISTRY_TIMEOUT = 30.0  # seconds to list one server's tools at start
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
    child_env: dict[str, str] = Field(default_factory=dict)
    heartbeat_seconds: float | None = Field(
        default=None, gt=0, description="Write a `:heartbeat` SSE comment after this much silence (off by default, as on Heroku's documented stream)."
    )

    @property
    def workdir(self) -> Path:
        return (self.app_dir or self.procfile.resolve().parent).resolve()

    @property
    def secrets(self) -> tuple[str, ...]:
        """Values that must never appear in an event, a log line or an error."""
        values = [self.key, self.upstream_key or ""]
        values += [v for k, v in self.child_env.items() if k in ("DATABASE_URL", "HEROKU_API_KEY") or "KEY" in k or "TOKEN" in k]
        # A URL's password on its own (a tool may print libpq's pieces rather than the whole URL).
        values += [_url_password(v) for v in (*self.child_env.values(), self.upstream_url or "") if "://" in v]
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
        if env.get("LOCAL_AGENTS_WARM_POOL"):
            try:
                values["warm_pool"] = int(env["LOCAL_AGENTS_WARM_POOL"])
            except ValueError:
                raise ValueError(f"LOCAL_AGENTS_WARM_POOL must be a whole number, got {env['LOCAL_AGENTS_WARM_POOL']!r}") from None
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]

