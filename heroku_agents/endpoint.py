"""Where requests go: Heroku's INFERENCE_URL, or the local Agents endpoint started in-process."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from heroku_agents.errors import ConfigError

__all__ = ["Endpoint", "open_endpoint"]


@dataclass(frozen=True)
class Endpoint:
    url: str
    key: str | None
    local: bool
    note: str = ""


@asynccontextmanager
async def open_endpoint(env: Mapping[str, str], *, procfile: Path) -> AsyncIterator[Endpoint]:
    """INFERENCE_URL + INFERENCE_KEY when set; otherwise the local endpoint on a loopback port.

    Raises:
        ConfigError: INFERENCE_URL is set without INFERENCE_KEY.
        AgentsError: the local endpoint did not start.
    """
    url = env.get("INFERENCE_URL")
    if url:
        key = env.get("INFERENCE_KEY")
        if not key:
            raise ConfigError(
                "INFERENCE_URL is set but INFERENCE_KEY is not; "
                "`export INFERENCE_KEY=$(heroku config:get INFERENCE_KEY -a APP)`, or unset INFERENCE_URL "
                "to use the local endpoint",
                path="environment",
            )
        yield Endpoint(url, key, local=False)
        return
    from heroku_agents.local.app import create_app
    from heroku_agents.local.serve import serve_local
    from heroku_agents.local.settings import LocalSettings

    settings = LocalSettings.from_env(env, procfile=procfile)
    async with serve_local(create_app(settings)) as base_url:
        backend = "an OpenAI-compatible upstream" if settings.upstream_url else "the offline planner (deterministic, not an LLM)"
        note = (
            f"INFERENCE_URL is not set: started the local Agents endpoint (heroku_agents.local) at {base_url}, "
            f"serving {procfile} with {backend}"
        )
        yield Endpoint(base_url, settings.key, local=True, note=note)
