"""The model-backend interface: one model step from the conversation so far and the offered tools."""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from heroku_agents.model_tools import ToolSpec
from heroku_agents.models import Usage

__all__ = ["BackendError", "ModelBackend", "PlannedCall", "Step", "StepOptions", "new_tool_call_id"]

_B64URL = string.ascii_letters + string.digits + "-_"


def new_tool_call_id() -> str:
    """`tooluse_` + 22 base64url characters, the shape Heroku's stream uses."""
    return "tooluse_" + "".join(secrets.choice(_B64URL) for _ in range(22))


@dataclass(frozen=True)
class PlannedCall:
    """A tool call the model asks for; `arguments` is a dict, or raw text when the model sent unparsable JSON."""

    name: str
    arguments: dict[str, Any] | str
    id: str = field(default_factory=new_tool_call_id)


@dataclass(frozen=True)
class Step:
    """One assistant turn: text, and the tool calls it asks for (none means a final answer)."""

    content: str = ""
    tool_calls: tuple[PlannedCall, ...] = ()
    usage: Usage = field(default_factory=Usage)
    finish_reason: str | None = None  # defaults to "tool_calls" / "stop"


@dataclass(frozen=True)
class StepOptions:
    model: str = ""
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    stop: list[str] | None = None


class BackendError(Exception):
    """The model backend could not produce a step; `status` is the upstream HTTP status when there was one."""

    def __init__(self, message: str, *, status: int | None = None, retryable: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.retryable = retryable


@runtime_checkable
class ModelBackend(Protocol):
    """`model` labels the `model` field of the stream; `fingerprint` prefixes `system_fingerprint`."""

    model: str | None
    fingerprint: str

    async def step(self, messages: list[dict[str, Any]], tools: list[ToolSpec], options: StepOptions | None = None) -> Step:
        """Messages are OpenAI-style dicts (system/user/assistant with tool_calls/tool)."""
        ...
