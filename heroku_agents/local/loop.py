"""The agent loop: model step -> tool calls -> tool results -> ... -> final answer, as Heroku streams it.

`AgentRun.events()` yields the stream objects in order (one `id` and one `system_fingerprint` per
run); when it ends, `AgentRun.outcome` says how: `Completed`, `MaxStepsReached` (a typed outcome,
after a final `chat.completion` with finish_reason "length") or `BackendFailed` (after a `RunError`).
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from heroku_agents.local.backends.base import BackendError, ModelBackend, PlannedCall, Step, StepOptions
from heroku_agents.model_tools import BoundTool
from heroku_agents.models import (
    AgentRequest,
    AssistantMessage,
    ChatChoice,
    ChatCompletionEvent,
    FunctionCall,
    ToolCall,
    ToolChoice,
    ToolCompletionEvent,
    ToolMessage,
)
from heroku_agents.redaction import redact
from heroku_agents.wire import error_result, max_calls_refusal, tool_result_content

__all__ = ["AgentRun", "BackendFailed", "Completed", "MaxStepsReached", "Outcome", "RunError"]

logger = logging.getLogger(__name__)
_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"


@dataclass(frozen=True)
class Completed:
    steps: int


@dataclass(frozen=True)
class MaxStepsReached:
    steps: int


@dataclass(frozen=True)
class BackendFailed:
    message: str
    status: int | None = None


Outcome = Completed | MaxStepsReached | BackendFailed


@dataclass(frozen=True)
class RunError:
    """An in-stream error (sent as `event:error`, data `{"message": ...}`): the model backend failed mid-run."""

    message: str
    status: int | None = None

    def payload(self) -> dict[str, Any]:
        return {"message": self.message, "type": "model_backend_error", **({"status": self.status} if self.status else {})}


def _arguments_json(arguments: dict[str, Any] | str) -> str:
    return arguments if isinstance(arguments, str) else json.dumps(arguments, separators=(",", ":"), ensure_ascii=False)


@dataclass
class AgentRun:
    request: AgentRequest
    backend: ModelBackend
    tools: dict[str, BoundTool]
    max_steps: int
    secrets: tuple[str, ...] = ()
    id: str = field(default_factory=lambda: "chatcmpl-" + secrets.token_hex(11)[:21])
    outcome: Outcome | None = None
    calls: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        suffix = "".join(secrets.choice(_ALPHABET) for _ in range(7))
        self.fingerprint = f"{self.backend.fingerprint}-{suffix}"
        self.messages: list[dict[str, Any]] = [m.model_dump() for m in self.request.messages]
        self.options = StepOptions(
            model=self.request.model, temperature=self.request.temperature, top_p=self.request.top_p,
            max_tokens=self.request.max_tokens_per_inference_request, stop=self.request.stop,
        )

    async def events(self) -> AsyncIterator[ChatCompletionEvent | ToolCompletionEvent | RunError]:
        specs = [bound.spec for bound in self.tools.values()]
        for number in range(1, self.max_steps + 1):
            try:
                step = await self.backend.step(self.messages, specs, self.options)
            except BackendError as exc:
                message = redact(str(exc), self.secrets)
                self.outcome = BackendFailed(message, exc.status)
                yield RunError(message, exc.status)
                return
            yield self._chat_event(step)
            if not step.tool_calls:
                self.outcome = Completed(number)
                return
            self.messages.append(self._assistant_message(step))
            for call in step.tool_calls:
                content = redact(tool_result_content(call.name, await self._run_tool(call)), self.secrets)
                self.messages.append({"role": "tool", "tool_call_id": call.id, "name": call.name, "content": content})
                yield ToolCompletionEvent(
                    id=self.id, created=int(time.time()), system_fingerprint=self.fingerprint,
                    choices=[ToolChoice(message=ToolMessage(content=content, tool_call_id=call.id, name=call.name))],
                )
        self.outcome = MaxStepsReached(self.max_steps)
        yield self._chat_event(Step(
            content=f"Stopped after {self.max_steps} model steps without a final answer (the local endpoint's "
            "max_steps); the tool results above are what was gathered.",
            finish_reason="length",
        ))

    async def _run_tool(self, call: PlannedCall) -> dict[str, Any]:
        bound = self.tools.get(call.name)
        if bound is None:
            return error_result(f"tool {call.name!r} is not offered in this request; offered: {', '.join(self.tools) or 'none'}")
        refusal = max_calls_refusal(call.name, self.calls[call.name], bound.max_calls)
        if refusal is not None:
            return refusal
        self.calls[call.name] += 1
        arguments = call.arguments
        if isinstance(arguments, str):
            try:
                arguments = json.loads(arguments or "{}")
            except json.JSONDecodeError:
                return error_result(f"the arguments for {call.name} were not valid JSON")
        if not isinstance(arguments, dict):
            return error_result(f"the arguments for {call.name} must be a JSON object")
        return await bound.run(arguments)

    def _assistant_message(self, step: Step) -> dict[str, Any]:
        return {
            "role": "assistant",
            "content": step.content,
            "tool_calls": [
                {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": _arguments_json(c.arguments)}}
                for c in step.tool_calls
            ],
        }

    def _chat_event(self, step: Step) -> ChatCompletionEvent:
        tool_calls = [
            ToolCall(id=c.id, function=FunctionCall(name=c.name, arguments=_arguments_json(c.arguments)))
            for c in step.tool_calls
        ]
        finish = step.finish_reason or ("tool_calls" if tool_calls else "stop")
        message = AssistantMessage(content=step.content, tool_calls=tool_calls or None)
        return ChatCompletionEvent(
            id=self.id, created=int(time.time()), model=self.backend.model or self.request.model,
            system_fingerprint=self.fingerprint, choices=[ChatChoice(message=message, finish_reason=finish)],
            usage=step.usage,
        )
