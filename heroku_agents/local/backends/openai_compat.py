"""OpenAICompatible: model steps from any OpenAI-compatible `/v1/chat/completions` (Heroku's own with
INFERENCE_KEY, or a local server). Tool names such as `mcp-postgres/pg_diagnose` are mapped to the
charset OpenAI-style APIs accept (`^[a-zA-Z0-9_-]{1,64}$`) and mapped back."""

from __future__ import annotations

import json
from typing import Any

import anyio
import httpx

from heroku_agents.local.backends.base import BackendError, PlannedCall, Step, StepOptions, new_tool_call_id
from heroku_agents.model_tools import ToolSpec
from heroku_agents.models import Usage
from heroku_agents.redaction import redact
from heroku_agents.wire import function_name

__all__ = ["OpenAICompatible"]

DEFAULT_TIMEOUT = httpx.Timeout(120.0, connect=10.0)


class OpenAICompatible:
    fingerprint = "heroku-inf"

    def __init__(
        self, base_url: str, key: str | None, *, model: str | None = None, http: httpx.AsyncClient | None = None,
        step_timeout: float = DEFAULT_TIMEOUT.read or 120.0,
    ) -> None:
        self.step_timeout = step_timeout  # the whole step, however slowly the upstream trickles its answer
        self.base_url = base_url.rstrip("/")
        if self.base_url.endswith("/v1"):
            self.base_url = self.base_url[:-3]
        self.key = key
        self.model = model
        self._http = http

    async def step(self, messages: list[dict[str, Any]], tools: list[ToolSpec], options: StepOptions | None = None) -> Step:
        options = options or StepOptions()
        names = {function_name(t.name): t.name for t in tools}
        forward = {v: k for k, v in names.items()}
        body: dict[str, Any] = {"model": self.model or options.model, "messages": [_outgoing(m, forward) for m in messages]}
        if tools:
            body["tools"] = [
                {"type": "function", "function": {"name": forward[t.name], "description": t.description[:1024],
                                                  "parameters": t.input_schema or {"type": "object", "properties": {}}}}
                for t in tools
            ]
        for key, value in (("temperature", options.temperature), ("top_p", options.top_p),
                           ("max_tokens", options.max_tokens), ("stop", options.stop)):
            if value is not None:
                body[key] = value
        data = await self._post(body)
        try:
            choice = data["choices"][0]
            message = choice["message"]
        except (KeyError, IndexError, TypeError):
            raise BackendError("the upstream answered without choices[0].message") from None
        calls = tuple(
            PlannedCall(names.get(c["function"]["name"], c["function"]["name"]), _arguments(c["function"].get("arguments")), c.get("id") or new_tool_call_id())
            for c in message.get("tool_calls") or []
        )
        usage = Usage(**{k: v for k, v in (data.get("usage") or {}).items() if k in Usage.model_fields and isinstance(v, int)})
        if data.get("model") and not self.model:
            self.model = data["model"]
        return Step(content=message.get("content") or "", tool_calls=calls, usage=usage)

    async def _post(self, body: dict[str, Any]) -> dict[str, Any]:
        url = f"{self.base_url}/v1/chat/completions"
        headers = {"Authorization": f"Bearer {self.key}"} if self.key else {}
        secrets = (self.key,) if self.key else ()
        client = self._http or httpx.AsyncClient(timeout=DEFAULT_TIMEOUT)
        try:
            with anyio.fail_after(self.step_timeout):
                response = await client.post(url, json=body, headers=headers)
        except (TimeoutError, httpx.TimeoutException):
            raise BackendError(
                f"the model upstream at {redact(url)} did not answer within {self.step_timeout:g} s "
                "(UPSTREAM_STEP_TIMEOUT_S, one model step's limit)", status=504,
            ) from None
        except httpx.HTTPError as exc:
            raise BackendError(f"cannot reach the model upstream at {redact(url)}: {type(exc).__name__}", retryable=True) from None
        finally:
            if self._http is None:
                await client.aclose()
        if response.status_code >= 400:
            detail = _error_message(response)
            hint = " (rate limited; retry later)" if response.status_code == 429 else ""
            raise BackendError(
                redact(f"the model upstream answered HTTP {response.status_code}{hint}: {detail}", secrets),
                status=response.status_code, retryable=response.status_code == 429 or response.status_code >= 500,
            )
        try:
            return response.json()
        except ValueError:
            raise BackendError(f"the model upstream at {redact(url)} answered HTTP {response.status_code} with a body "
                               f"that is not JSON ({response.headers.get('content-type', 'no content-type')})") from None


def _error_message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:300]
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])[:300]
        if body.get("message"):
            return str(body["message"])[:300]
    return response.text[:300]


def _arguments(raw: Any) -> dict[str, Any] | str:
    if isinstance(raw, dict):
        return raw
    try:
        parsed = json.loads(raw or "{}")
    except (json.JSONDecodeError, TypeError):
        return str(raw)
    return parsed if isinstance(parsed, dict) else str(raw)


def _outgoing(message: dict[str, Any], forward: dict[str, str]) -> dict[str, Any]:
    out = {k: v for k, v in message.items() if v is not None}
    if out.get("tool_calls"):
        out["tool_calls"] = [
            {**c, "function": {**c["function"], "name": forward.get(c["function"]["name"], function_name(c["function"]["name"]))}}
            for c in out["tool_calls"]
        ]
    if out.get("role") == "tool" and out.get("name"):
        out["name"] = forward.get(out["name"], function_name(out["name"]))
    return out
