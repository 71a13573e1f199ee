"""POST /v1/chat/completions: OpenAI-compatible, streaming or not, answered by the model backend.

No tools run here (that is the point of chat completions): the model's `tool_calls` go back to the
caller. Streaming uses the agents framing (`event:message` + `chat.completion.chunk`, then
`event:done` / `data:[DONE]`), which the OpenAI clients accept.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import AsyncIterator
from typing import Any

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from heroku_agents.local.backends.base import BackendError, ModelBackend, Step, StepOptions
from heroku_agents.local.http_errors import error_response, validation_message
from heroku_agents.local.stream import SSEResponse
from heroku_agents.model_tools import ToolSpec
from heroku_agents.models import (
    AssistantMessage,
    ChatChoice,
    ChatCompletionChunk,
    ChatCompletionRequest,
    ChatCompletionResponse,
    ChunkChoice,
    ChunkDelta,
    ChunkToolCall,
    FunctionCall,
    ToolCall,
    Usage,
)
from heroku_agents.sse import encode_done, encode_event

__all__ = ["handle_chat_completions"]


def _content_text(content: Any) -> str | None:
    """Heroku takes string content only; text parts are joined so OpenAI-style clients still work."""
    if content is None or isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text")
    return str(content)


async def handle_chat_completions(request: Request, backend: ModelBackend) -> Response:
    try:
        body = json.loads(await request.body())
        for message in body.get("messages") or [] if isinstance(body, dict) else []:
            if isinstance(message, dict):
                message["content"] = _content_text(message.get("content"))
        chat = ChatCompletionRequest.model_validate(body)
    except json.JSONDecodeError as exc:
        return error_response(400, f"the request body is not valid JSON ({exc})")
    except ValidationError as exc:
        return error_response(400, validation_message(exc))
    messages = [m.model_dump(exclude_none=True, mode="json") for m in chat.messages]
    tools = [ToolSpec(t.function.name, t.function.description or "", t.function.parameters) for t in chat.tools or []]
    if chat.tool_choice == "none":
        tools = []
    stop = [chat.stop] if isinstance(chat.stop, str) else chat.stop
    options = StepOptions(model=chat.model, temperature=chat.temperature, top_p=chat.top_p,
                          max_tokens=chat.max_completion_tokens or chat.max_tokens, stop=stop)
    try:
        step = await backend.step(messages, tools, options)
    except BackendError as exc:
        status = 429 if exc.status == 429 else 502
        return error_response(status, str(exc), "rate_limit_error" if status == 429 else "upstream_error")
    ident = "chatcmpl-" + secrets.token_hex(11)[:21]
    fingerprint = f"{backend.fingerprint}-{secrets.token_hex(4)[:7]}"
    model = backend.model or chat.model
    if not chat.stream:
        response = ChatCompletionResponse(
            id=ident, created=int(time.time()), model=model, system_fingerprint=fingerprint,
            choices=[ChatChoice(message=_assistant(step), finish_reason=_finish(step))], usage=step.usage,
        )
        return JSONResponse(response.model_dump(mode="json", by_alias=True))
    include_usage = bool((chat.stream_options or {}).get("include_usage"))
    return SSEResponse(_chunks(step, ident, fingerprint, model, include_usage))


def _finish(step: Step) -> str:
    return step.finish_reason or ("tool_calls" if step.tool_calls else "stop")


def _assistant(step: Step) -> AssistantMessage:
    calls = [
        ToolCall(id=c.id, function=FunctionCall(name=c.name, arguments=c.arguments if isinstance(c.arguments, str)
                                                else json.dumps(c.arguments, separators=(",", ":"))))
        for c in step.tool_calls
    ]
    return AssistantMessage(content=step.content, tool_calls=calls or None)


async def _chunks(step: Step, ident: str, fingerprint: str, model: str, include_usage: bool) -> AsyncIterator[bytes]:
    def chunk(delta: ChunkDelta, finish: str | None = None, usage: Usage | None = None, choices: bool = True) -> bytes:
        body = ChatCompletionChunk(
            id=ident, created=int(time.time()), model=model, system_fingerprint=fingerprint,
            choices=[ChunkChoice(delta=delta, finish_reason=finish)] if choices else [], usage=usage,
        )
        return encode_event("message", body.model_dump(mode="json", by_alias=True, exclude_none=True))

    yield chunk(ChunkDelta(role="assistant", content=""))
    if step.content:
        yield chunk(ChunkDelta(content=step.content))
    for index, tool_call in enumerate(_assistant(step).tool_calls or []):
        yield chunk(ChunkDelta(tool_calls=[ChunkToolCall(
            index=index, id=tool_call.id, type="function",
            function={"name": tool_call.function.name, "arguments": tool_call.function.arguments},
        )]))
    yield chunk(ChunkDelta(), finish=_finish(step))
    if include_usage:
        yield chunk(ChunkDelta(), usage=step.usage, choices=False)
    yield encode_done()
