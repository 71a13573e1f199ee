"""The local Agents endpoint as an ASGI app: `create_app(settings)`, served with uvicorn.

Routes (as on `$INFERENCE_URL`): POST /v1/agents/heroku (SSE agent run), GET /v1/mcp/servers,
POST /v1/chat/completions (OpenAI-compatible), GET /available-models (no auth). Everything else
needs `Authorization: Bearer <key>`.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from typing import Any

import anyio
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from heroku_agents.local.backends import ModelBackend, default_backend
from heroku_agents.local.chat import handle_chat_completions
from heroku_agents.local.executor import QUEUE_NOTICE, ToolExecutor
from heroku_agents.local.http_errors import error_response, validation_message
from heroku_agents.local.loop import AgentRun, RunError
from heroku_agents.local.registry import Registry
from heroku_agents.local.settings import LocalSettings
from heroku_agents.local.stream import SSEResponse
from heroku_agents.local.tools import ToolBindingError, bind_tools
from heroku_agents.models import AgentRequest, to_json, to_wire
from heroku_agents.procfile import Procfile, load_procfile
from heroku_agents.sse import encode_done, encode_event

__all__ = ["LocalState", "create_app"]

logger = logging.getLogger(__name__)
PUBLIC_PATHS = ("/available-models",)


@dataclass
class LocalState:
    settings: LocalSettings
    registry: Registry
    executor: ToolExecutor
    backend: ModelBackend
    ready: anyio.Event


class _BearerAuth:
    def __init__(self, app: ASGIApp, key: str) -> None:
        self.app = app
        self.expected = f"Bearer {key}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] not in PUBLIC_PATHS:
            given = dict(scope["headers"]).get(b"authorization", b"")
            if not hmac.compare_digest(given, self.expected):
                response = error_response(
                    401, "missing or invalid 'Authorization: Bearer <key>' header; use the key the local endpoint "
                    "printed at start (INFERENCE_KEY)", "authentication_error",
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


async def _json_body(request: Request) -> Any:
    try:
        return json.loads(await request.body())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"the request body is not valid JSON ({exc})") from None


async def agents_heroku(request: Request) -> Response:
    state: LocalState = request.app.state.local
    try:
        agent_request = AgentRequest.model_validate(await _json_body(request))
    except ValueError as exc:
        message = validation_message(exc) if isinstance(exc, ValidationError) else str(exc)
        return error_response(400, message)
    # Only the servers this request names must have synced (a hung server delays no one else).
    mcp_names = [tool.name for tool in agent_request.tools or [] if tool.type == "mcp"]
    await state.registry.wait_for(mcp_names, state.settings.registry_timeout + 5)
    try:
        tools = bind_tools(agent_request, state.registry, state.executor)
    except ToolBindingError as exc:
        return error_response(400, str(exc))
    run = AgentRun(agent_request, state.backend, tools, state.settings.max_steps, state.settings.secrets)
    events = run.events()
    # The first model step runs before the response starts: an upstream failure there is an HTTP error.
    try:
        first = await events.__anext__()
    except Exception as exc:
        logger.exception("agent run failed before its first event")
        return error_response(500, f"the local endpoint failed ({type(exc).__name__}); see its log", "internal_error")
    if isinstance(first, RunError):
        status = first.status if first.status in (429, 504) else 502
        return error_response(status, first.message, "rate_limit_error" if status == 429 else "upstream_error")
    notes_in, notes_out = anyio.create_memory_object_stream[bytes](16)
    return SSEResponse(_frames(first, events, notes_in), heartbeat=state.settings.heartbeat_seconds, notes=notes_out)


async def _frames(first: Any, events: AsyncIterator[Any], notes: Any = None) -> AsyncIterator[bytes]:
    if notes is not None:  # set in the task that runs the tools: a queued call says so as an SSE comment
        QUEUE_NOTICE.set(lambda text: _note(notes, text))
    yield encode_event("message", to_json(first))
    try:
        async for event in events:
            if isinstance(event, RunError):
                yield encode_event("error", event.payload())
            else:
                yield encode_event("message", to_json(event))
    # The stream's top level: a bug must still end the stream properly, with a reason and no traceback.
    except Exception as exc:
        logger.exception("agent run failed")
        yield encode_event("error", {"message": f"the local endpoint failed mid-run ({type(exc).__name__}); see its log", "type": "internal_error"})
    yield encode_done()


def _note(notes: Any, text: str) -> None:
    with suppress(anyio.WouldBlock, anyio.BrokenResourceError, anyio.ClosedResourceError):
        notes.send_nowait(f": {text}\n\n".encode())


async def mcp_servers(request: Request) -> Response:
    state: LocalState = request.app.state.local
    return JSONResponse([to_wire(record) for record in state.registry.records()])


async def available_models(request: Request) -> Response:
    state: LocalState = request.app.state.local
    model = state.backend.model or state.settings.upstream_model or "upstream"
    return JSONResponse([{"model_id": model, "type": ["text-to-text"], "regions": ["local"]}])


async def chat_completions(request: Request) -> Response:
    return await handle_chat_completions(request, request.app.state.local.backend)


def create_app(
    settings: LocalSettings, *, backend: ModelBackend | None = None, procfile: Procfile | None = None
) -> Starlette:
    """The local endpoint. `backend` defaults to the upstream from settings, else the offline planner;
    `procfile` defaults to `settings.procfile`. Tool sync starts with the app (lifespan) and runs in the
    background; agent requests wait for it."""
    procfile = procfile if procfile is not None else load_procfile(settings.procfile)
    registry = Registry(procfile, settings)
    executor = ToolExecutor(registry, warm_pool=settings.warm_pool)
    state = LocalState(settings, registry, executor, backend or default_backend(settings), anyio.Event())

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with anyio.create_task_group() as tg:

            async def sync_then_warm() -> None:
                await registry.sync_all()
                state.ready.set()
                if executor.pool is not None:
                    async with executor.pool.running():
                        await anyio.sleep_forever()

            tg.start_soon(sync_then_warm)
            try:
                yield
            finally:
                tg.cancel_scope.cancel()
                await executor.aclose()

    app = Starlette(
        routes=[
            Route("/v1/agents/heroku", agents_heroku, methods=["POST"]),
            Route("/v1/mcp/servers", mcp_servers, methods=["GET"]),
            Route("/v1/chat/completions", chat_completions, methods=["POST"]),
            Route("/available-models", available_models, methods=["GET"]),
        ],
        middleware=[Middleware(_BearerAuth, key=settings.key)],
        lifespan=lifespan,
    )
    app.state.local = state
    return app
