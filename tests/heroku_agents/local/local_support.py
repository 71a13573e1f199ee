"""Names the local-endpoint tests import (a uniquely named module: `from conftest import` picks
whichever conftest pytest loaded last when several test folders run together)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import httpx
import uvicorn
from anyio.abc import Process

from heroku_agents.configs import AgentConfig
from heroku_agents.local.app import create_app
from heroku_agents.local.backends import OfflinePlanner
from heroku_agents.local.serve import bind_socket, socket_url
from heroku_agents.local.settings import LocalSettings
from heroku_agents.models import to_wire
from heroku_agents.sse import SSEEvent, iter_events

ROOT = Path(__file__).resolve().parents[3]
TEST_PROCFILE = Path(__file__).with_name("Procfile.test")
KEY = "inf-00000000-1111-2222-3333-444444444444"
DATABASE_URL = "postgres://app:s3cret-pw@db.internal:5432/app"  # never reaches a real database: a secret to keep
# A loaded 2-core machine starts the endpoint's tool servers beside the request: seconds, never minutes.
HTTP_TIMEOUT = 60.0


def events_of(body: bytes) -> list[SSEEvent]:
    return list(iter_events([body]))


def user(content: str) -> dict[str, str]:
    return {"role": "user", "content": content}


@asynccontextmanager
async def serve_on_loopback(app: Any) -> AsyncIterator[str]:
    """`app` served by uvicorn on a free 127.0.0.1 port, lifespan off (the caller runs it if needed); yields its URL."""
    sock = bind_socket("127.0.0.1", 0)
    server = uvicorn.Server(uvicorn.Config(app, lifespan="off", log_level="warning"))
    async with anyio.create_task_group() as tg:
        tg.start_soon(server.serve, [sock])
        with anyio.fail_after(30):
            while not server.started:
                await anyio.sleep(0.01)
        try:
            yield socket_url(sock)
        finally:
            server.should_exit = True


@dataclass
class LocalCommand:
    """`python -m heroku_agents.local` as started by `local_command`: what it printed, and how it ended."""

    process: Process
    url: str = ""
    key: str = ""
    returncode: int | None = None  # set once the command has stopped
    stderr: bytearray = field(default_factory=bytearray)

    def http(self) -> httpx.AsyncClient:
        """A client of the endpoint presenting its key."""
        return httpx.AsyncClient(base_url=self.url, headers={"Authorization": f"Bearer {self.key}"}, timeout=HTTP_TIMEOUT)


@asynccontextmanager
async def local_command(*args: str, env: dict[str, str] | None = None) -> AsyncIterator[LocalCommand]:
    """The local endpoint as a user runs it, on TEST_PROCFILE and a free port, until its URL and key are printed.

    The environment is ours without any INFERENCE_*/UPSTREAM_INFERENCE_*/LOCAL_AGENTS_* variable, plus `env`.
    On leaving, SIGINT stops it; its exit code and whole stderr are then on the LocalCommand.
    """
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("INFERENCE_", "UPSTREAM_INFERENCE_", "LOCAL_AGENTS_"))}
    process = await anyio.open_process(
        [sys.executable, "-m", "heroku_agents.local", "--procfile", str(TEST_PROCFILE), "--port", "0", *args],
        cwd=ROOT, env=clean | (env or {}), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    command = LocalCommand(process)

    stderr_closed = anyio.Event()

    async def drain_stderr() -> None:  # read as it comes: a full pipe would stall the endpoint
        async for chunk in process.stderr:
            command.stderr += chunk
        stderr_closed.set()

    async with anyio.create_task_group() as tg:
        tg.start_soon(drain_stderr)
        try:
            with anyio.fail_after(HTTP_TIMEOUT):
                printed = b""
                async for chunk in process.stdout:
                    printed += chunk
                    if printed.count(b"\n") >= 2:
                        break
            lines = dict(line.split("=", 1) for line in printed.decode().splitlines())
            command.url, command.key = lines["INFERENCE_URL"], lines["INFERENCE_KEY"]
            yield command
        finally:
            process.send_signal(signal.SIGINT)
            with anyio.fail_after(15):
                command.returncode = await process.wait()
            with anyio.move_on_after(5):  # a leftover grandchild may hold the pipe open: do not wait on it
                await stderr_closed.wait()
            tg.cancel_scope.cancel()


@dataclass
class AgentStream:
    """The `data:` payloads of an agents stream, before `[DONE]`."""

    payloads: list[dict[str, Any]]

    @classmethod
    def of(cls, response: httpx.Response) -> AgentStream:
        return cls([json.loads(e.data) for e in events_of(response.content) if not e.is_done])

    @property
    def tool_calls(self) -> list[str]:
        """The names of the tools the model called, in order."""
        return [c["function"]["name"] for p in self.payloads if p["object"] == "chat.completion"
                for c in p["choices"][0]["message"].get("tool_calls") or []]

    @property
    def answer(self) -> str:
        return self.payloads[-1]["choices"][0]["message"]["content"]


async def run_config_offline(config: AgentConfig, database_url: str, prompt: str | None = None) -> httpx.Response:
    """`config` (its user message replaced by `prompt` if given) sent to the local endpoint on the repository's
    Procfile, answered by the offline planner."""
    settings = LocalSettings(key=KEY, procfile=ROOT / "Procfile", app_dir=ROOT, child_env={"DATABASE_URL": database_url})
    app = create_app(settings, backend=OfflinePlanner())
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://local",
                                     headers={"Authorization": f"Bearer {KEY}"}, timeout=120) as client:
            with anyio.fail_after(120):
                return await client.post("/v1/agents/heroku", json=to_wire(config.to_request(prompt=prompt)))
