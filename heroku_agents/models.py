"""Pydantic models of Heroku's Agents API wire format (spec sections 2-6).

Requests (`AgentRequest`, `Tool`, `RuntimeParams`) validate what a caller may send to
`POST /v1/agents/heroku`; stream objects (`ChatCompletionEvent`, `ToolCompletionEvent`) serialise
to the exact key order and shape of Heroku's SSE payloads; `MCPServerRecord` is one item of
`GET /v1/mcp/servers`; the `Chat*` models are the OpenAI-compatible `/v1/chat/completions` shapes.

Use `to_wire(model)` for a JSON-ready dict and `to_json(model)` for the one-line JSON Heroku sends.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, model_serializer

from heroku_agents.heroku_tools import HEROKU_TOOLS, HerokuToolSpec

__all__ = [
    "DEFAULT_MAX_CALLS", "DEFAULT_TTL_SECONDS", "HEROKU_TOOLS", "AgentEvent", "AgentRequest",
    "AssistantMessage", "ChatChoice", "ChatCompletionChunk", "ChatCompletionEvent", "ChatCompletionRequest",
    "ChatCompletionResponse", "ChatMessage", "ChunkChoice", "ChunkDelta", "FunctionCall", "FunctionDefinition",
    "FunctionTool", "HerokuToolSpec", "MCPServerRecord", "MCPServerTool", "Message", "RuntimeParams", "Tool",
    "ToolCall", "ToolChoice", "ToolCompletionEvent", "ToolMessage", "ToolParams", "Usage", "parse_event", "to_json",
    "to_wire",
]

DEFAULT_TTL_SECONDS = 120  # Mintlify: ttl_seconds default (and max for heroku_tools) 120
DEFAULT_MAX_CALLS = 3  # Mintlify fragment "3)"; the real default is unconfirmed (spec 3.2)


class _Wire(BaseModel):
    """Base: unknown fields are ignored, as the emulator must (spec 2.1)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)


def to_wire(model: BaseModel) -> Any:
    """The JSON-ready form: fields the caller set (None included when set explicitly), wire aliases."""
    return model.model_dump(mode="json", by_alias=True, exclude_unset=True)


def to_json(obj: BaseModel | Any) -> str:
    """One-line compact JSON, as Heroku writes it on a `data:` line (UTF-8, not ASCII-escaped)."""
    if isinstance(obj, BaseModel):
        obj = obj.model_dump(mode="json", by_alias=True)
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


# --- /v1/agents/heroku request -------------------------------------------------------------

Role = Literal["system", "user", "assistant", "tool"]


class Message(_Wire):
    role: Role
    content: str = Field(description="Plain text; Heroku does not accept content-part arrays.")


class ToolParams(BaseModel):
    """Tool-specific static config: `cmd`/`description`/`parameters` (dyno_run_command), `db_attachment`, ..."""

    model_config = ConfigDict(extra="allow")

    cmd: str | None = None
    description: str | None = None
    parameters: dict[str, Any] | None = None


class RuntimeParams(_Wire):
    target_app_name: str | None = None
    dyno_size: str | None = None
    ttl_seconds: int | None = Field(default=None, ge=1)
    max_calls: int | None = Field(default=None, ge=1)
    tool_params: ToolParams | None = None


class Tool(_Wire):
    type: Literal["heroku_tool", "mcp"]
    name: str = Field(min_length=1)
    description: str | None = None
    runtime_params: RuntimeParams | None = None

    @property
    def ttl_seconds(self) -> int:
        rp = self.runtime_params
        return rp.ttl_seconds if rp and rp.ttl_seconds else DEFAULT_TTL_SECONDS

    @property
    def max_calls(self) -> int:
        rp = self.runtime_params
        return rp.max_calls if rp and rp.max_calls else DEFAULT_MAX_CALLS


class AgentRequest(_Wire):
    model: str = Field(min_length=1)
    messages: list[Message] = Field(min_length=1)
    max_tokens_per_inference_request: int | None = Field(default=None, ge=1)
    stop: list[str] | None = None
    temperature: float | None = Field(default=None, ge=0.0, le=1.0)
    top_p: float | None = Field(default=None, ge=0.0, le=1.0)
    tools: list[Tool] | None = None


# --- stream objects (spec 4.1/4.2) -----------------------------------------------------------


class FunctionCall(_Wire):
    name: str
    arguments: str = Field(description="A JSON document, as a string.")


class ToolCall(_Wire):
    id: str
    type: Literal["function"] = "function"
    function: FunctionCall


class Usage(_Wire):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0


class AssistantMessage(_Wire):
    role: Literal["assistant"] = "assistant"
    content: str = ""
    refusal: None = None
    tool_calls: list[ToolCall] | None = None

    @model_serializer(mode="wrap")
    def _omit_absent_tool_calls(self, handler: Any) -> dict[str, Any]:
        data = handler(self)
        if data.get("tool_calls") is None:
            data.pop("tool_calls", None)
        return data


class ToolMessage(_Wire):
    role: Literal["tool"] = "tool"
    content: str
    refusal: None = None
    tool_call_id: str
    name: str


class ChatChoice(_Wire):
    index: int = 0
    message: AssistantMessage
    finish_reason: str


class ToolChoice(_Wire):
    index: int = 0
    message: ToolMessage
    finish_reason: str = ""


class ChatCompletionEvent(_Wire):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    system_fingerprint: str
    choices: list[ChatChoice]
    usage: Usage = Field(default_factory=Usage)


class ToolCompletionEvent(_Wire):
    """No `model` key, `finish_reason` "" and `usage` {}: exactly as in Heroku's example."""

    id: str
    object: Literal["tool.completion"] = "tool.completion"
    created: int
    system_fingerprint: str
    choices: list[ToolChoice]
    usage: dict[str, Any] = Field(default_factory=dict)


AgentEvent = Annotated[ChatCompletionEvent | ToolCompletionEvent, Field(discriminator="object")]
_EVENT_ADAPTER: TypeAdapter[ChatCompletionEvent | ToolCompletionEvent] = TypeAdapter(AgentEvent)


def parse_event(data: str | bytes | dict[str, Any]) -> ChatCompletionEvent | ToolCompletionEvent:
    """Parse one `data:` payload of an agents stream.

    Raises:
        pydantic.ValidationError: not a chat.completion / tool.completion object.
    """
    if isinstance(data, dict):
        return _EVENT_ADAPTER.validate_python(data)
    return _EVENT_ADAPTER.validate_json(data)


# --- GET /v1/mcp/servers (spec 6.5) ----------------------------------------------------------


class MCPServerTool(_Wire):
    name: str
    namespaced_name: str
    description: str = ""
    input_schema: dict[str, Any] = Field(default_factory=dict)
    annotations: dict[str, Any] = Field(default_factory=dict)


class MCPServerRecord(_Wire):
    id: str
    app_id: str
    process_type: str
    process_command: str
    created_at: str
    updated_at: str
    namespace: str
    server_status: Literal["registered", "disconnected"]
    primitives_status: Literal["syncing", "synced", "error"]
    tools: list[MCPServerTool] = Field(default_factory=list)
    error: str | None = Field(default=None, description="Local endpoint only (absent on Heroku): why the sync failed.")


# --- /v1/chat/completions (OpenAI-compatible, spec 5) ----------------------------------------


class FunctionDefinition(_Wire):
    name: str
    description: str | None = None
    parameters: dict[str, Any] = Field(default_factory=lambda: {"type": "object", "properties": {}})


class FunctionTool(_Wire):
    type: Literal["function"] = "function"
    function: FunctionDefinition


class ChatMessage(BaseModel):
    """A chat-completions message; extra keys (name, reasoning, ...) are kept."""

    model_config = ConfigDict(extra="allow")

    role: Role
    content: str | None = None
    tool_calls: list[ToolCall] | None = None
    tool_call_id: str | None = None


class ChatCompletionRequest(BaseModel):
    model_config = ConfigDict(extra="allow")

    model: str = Field(min_length=1)
    messages: list[ChatMessage] = Field(min_length=1)
    tools: list[FunctionTool] | None = None
    tool_choice: Any = None
    stream: bool = False
    stream_options: dict[str, Any] | None = None
    max_tokens: int | None = Field(default=None, ge=1)
    max_completion_tokens: int | None = Field(default=None, ge=1)
    temperature: float | None = Field(default=None, ge=0.0, le=2.0)
    top_p: float | None = Field(default=None, ge=0.0, le=1.0)
    stop: str | list[str] | None = None


class ChatCompletionResponse(ChatCompletionEvent):
    """The non-streamed answer: the same object as an agents stream's `chat.completion` event."""


class ChunkToolCall(_Wire):
    index: int
    id: str | None = None
    type: Literal["function"] | None = None
    function: dict[str, str] | None = None


class ChunkDelta(BaseModel):
    role: Literal["assistant"] | None = None
    content: str | None = None
    tool_calls: list[ChunkToolCall] | None = None


class ChunkChoice(_Wire):
    index: int = 0
    delta: ChunkDelta
    finish_reason: str | None = None


class ChatCompletionChunk(_Wire):
    id: str
    object: Literal["chat.completion.chunk"] = "chat.completion.chunk"
    created: int
    model: str
    system_fingerprint: str
    choices: list[ChunkChoice]
    usage: Usage | None = None
