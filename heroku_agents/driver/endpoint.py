"""Where requests go: Heroku's INFERENCE_URL, or the local Agents endpoint started in-process."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio

from heroku_agents.errors import AgentsError, ConfigError

__all__ = ["LOCAL_START_TIMEOUT", "Endpoint", "open_endpoint", "serve_local"]

log = logging.getLogger(__name__)

LOCAL_START_TIMEOUT = 30.0  # seconds for uvicorn to start the app (tool sync continues in the background)
LOCAL_STOP_TIMEOUT = 10.0  # seconds for its graceful stop (uvicorn's own grace is 5 s)


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
    from heroku_agents.local.settings import LocalSettings

    settings = LocalSettings.from_env(env, procfile=procfile)
    async with serve_local(create_app(settings)) as base_url:
        backend = "an OpenAI-compatible upstream" if settings.upstream_url else "the offline planner (deterministic, not an LLM)"
        note = (
            f"INFERENCE_URL is not set: started the local Agents endpoint (heroku_agents.local) at {base_url}, "
            f"serving {procfile} with {backend}"
        )
        yield Endpoint(base_url, settings.key, local=True, note=note)


@asynccontextmanager
async def serve_local(app: Any) -> AsyncIterator[str]:
    """Serve an ASGI app with uvicorn on 127.0.0.1 (port chosen by the OS) for the block's duration."""
    import uvicorn

    from heroku_agents.local.serve import bind_socket, socket_url

    sock = bind_socket("127.0.0.1", 0)  # TCP_NODELAY: uvicorn leaves passed-in sockets alone (40 ms/request)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on", timeout_graceful_shutdown=5))
    stopped = anyio.Event()

    async def serve() -> None:
        try:
            await server.serve(sockets=[sock])
        finally:
            stopped.set()

    try:
        async with anyio.create_task_group() as tg:
            tg.start_soon(serve)
            with anyio.fail_after(LOCAL_START_TIMEOUT):
                while not server.started:  # uvicorn offers no startup event; its own loop ticks at 0.1 s
                    if stopped.is_set():
                        raise AgentsError("the local Agents endpoint failed to start; see the log lines above")
                    await anyio.sleep(0.02)
            failed = False
            try:
                yield socket_url(sock)
            except BaseException:
                failed = True
                raise
            finally:
                # A graceful stop even when the block failed: the app's shutdown kills its tool processes.
                # After a failure the caller has already said what went wrong: a request still in flight is
                # cancelled quietly rather than with uvicorn's traceback.
                server.should_exit = True
                with _quiet_uvicorn(failed), anyio.move_on_after(LOCAL_STOP_TIMEOUT, shield=True):
                    await stopped.wait()
    finally:
        sock.close()


@contextmanager
def _quiet_uvicorn(quiet: bool) -> Iterator[None]:
    errors = logging.getLogger("uvicorn.error")
    level = errors.level
    if quiet:
        errors.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        errors.setLevel(level)
