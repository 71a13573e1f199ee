"""Small helpers of AgentsClient: request bodies, error messages and transport-failure reasons."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import httpx
from pydantic import BaseModel

from heroku_agents.redaction import redact

__all__ = ["body_of", "normalise_chat", "request_id", "server_message", "transport_reason"]


def normalise_chat(payload: Any) -> Any:
    """OpenAI-compatible servers send `content: null` beside tool_calls and may omit
    `system_fingerprint`; Heroku sends strings. Accept both."""
    if isinstance(payload, dict):
        if payload.get("system_fingerprint") is None:
            payload["system_fingerprint"] = ""
        for choice in payload.get("choices") or []:
            message = choice.get("message") if isinstance(choice, dict) else None
            if isinstance(message, dict) and message.get("content") is None:
                message["content"] = ""
            if isinstance(choice, dict) and choice.get("finish_reason") is None:
                choice["finish_reason"] = ""
    return payload


def body_of(request: BaseModel | dict[str, Any]) -> dict[str, Any]:
    if isinstance(request, BaseModel):
        return request.model_dump(mode="json", by_alias=True, exclude_none=True)
    return dict(request)


def server_message(text: str) -> str:
    """`error.message`, then `message`, then `detail`, then the raw text (spec 9.2)."""
    try:
        body = json.loads(text)
    except ValueError:
        return text.strip()[:300]
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])
        if isinstance(error, str):
            return error
        for key in ("message", "detail"):
            if body.get(key):
                return str(body[key])
    return text.strip()[:300]


def request_id(response: httpx.Response, secrets: Sequence[str] = ()) -> str | None:
    """The answer's request id, masked like any text from the far side (a proxy may echo the key there too)."""
    found = response.headers.get("x-request-id") or response.headers.get("request-id")
    return redact(found, secrets) if found else None


def transport_reason(exc: httpx.TransportError) -> str:
    if isinstance(exc, httpx.ConnectError):
        cause: BaseException | None = exc
        while cause is not None:  # httpx wraps the OS error a few levels down
            if isinstance(cause, ConnectionRefusedError):
                return "connection refused"
            cause = cause.__cause__ or cause.__context__
        text = str(exc).lower()
        if "name or service" in text or "nodename" in text or "getaddrinfo" in text:
            return "host name not found"
        return f"connect failed: {redact(str(exc))[:120]}"
    if isinstance(exc, httpx.TimeoutException):
        return f"timed out ({type(exc).__name__})"
    return f"{type(exc).__name__}: {redact(str(exc))[:120]}" if str(exc) else type(exc).__name__

