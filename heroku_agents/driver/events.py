"""What the driver reports while a run progresses: the same vocabulary for agents and chat mode."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

__all__ = [
    "DriverEvent",
    "FinalAnswer",
    "Mode",
    "ModelStep",
    "RunFigures",
    "RunFinished",
    "RunStarted",
    "ToolCallInfo",
    "ToolResult",
    "event_dict",
]

Mode = Literal["agents", "chat"]


@dataclass(frozen=True)
class RunStarted:
    mode: Mode
    url: str
    model: str
    config: str
    local: bool
    tools: tuple[str, ...]
    note: str = ""


@dataclass(frozen=True)
class ToolCallInfo:
    id: str
    name: str
    arguments: Any  # parsed JSON when it parses, else the raw string


@dataclass(frozen=True)
class ModelStep:
    step: int
    elapsed: float  # seconds since the run started
    content: str
    tool_calls: tuple[ToolCallInfo, ...]
    finish_reason: str
    prompt_tokens: int
    completion_tokens: int
    raw: dict[str, Any] | None = field(default=None, repr=False)  # the wire object (agents mode)


@dataclass(frozen=True)
class ToolResult:
    step: int
    elapsed: float
    name: str
    tool_call_id: str
    is_error: bool
    summary: str
    duration: float | None = None  # chat: the tools/call; agents: the gap since the previous event
    raw: dict[str, Any] | None = field(default=None, repr=False)


@dataclass(frozen=True)
class FinalAnswer:
    content: str


@dataclass
class RunFigures:
    """Latency and token figures of one run, for the trade-off between the two APIs."""

    mode: Mode
    elapsed: float = 0.0
    first_step: float | None = None  # seconds until the first model step arrived
    setup: float = 0.0  # chat mode: starting the MCP servers and listing tools
    model_time: float = 0.0  # chat: time inside /v1/chat/completions; agents: gaps before chat.completion events
    tool_time: float = 0.0  # chat: time inside MCP tools/call; agents: gaps before tool.completion events
    model_steps: int = 0
    tool_calls: int = 0
    tool_errors: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    tools_called: list[str] = field(default_factory=list)
    final_answer: str = ""


@dataclass(frozen=True)
class RunFinished:
    figures: RunFigures


DriverEvent = RunStarted | ModelStep | ToolResult | FinalAnswer | RunFinished

_TYPES = {RunStarted: "run_started", ModelStep: "model_step", ToolResult: "tool_result",
          FinalAnswer: "final_answer", RunFinished: "run_finished"}


def event_dict(event: DriverEvent) -> dict[str, Any]:
    """The NDJSON form of an event: `{"type": ..., **fields}` (None fields dropped)."""
    data = {k: round(v, 3) if isinstance(v, float) else v for k, v in asdict(event).items() if v is not None}
    if "figures" in data:
        data["figures"] = {k: round(v, 3) if isinstance(v, float) else v for k, v in data["figures"].items()}
    return {"type": _TYPES[type(event)], **data}
