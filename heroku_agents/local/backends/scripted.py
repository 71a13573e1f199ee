"""ScriptedBackend: a test double that replays given assistant turns and records what it was asked."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from typing import Any

from heroku_agents.local.backends.base import Step, StepOptions
from heroku_agents.model_tools import ToolSpec

__all__ = ["ScriptedBackend", "UnexpectedModelCall"]


class UnexpectedModelCall(AssertionError):
    """The loop asked for one more step than the script has."""


class ScriptedBackend:
    """Replays `steps` in order; a step may be a callable `(messages, tools) -> Step` deciding on the fly.

    `calls` records each request (a deep copy of the messages and the offered tool names).
    """

    fingerprint = "scripted"

    def __init__(self, steps: Iterable[Step | Callable[[list[dict[str, Any]], list[ToolSpec]], Step]], *, model: str | None = None) -> None:
        self._steps = list(steps)
        self.model = model
        self.calls: list[dict[str, Any]] = []

    async def step(self, messages: list[dict[str, Any]], tools: list[ToolSpec], options: StepOptions | None = None) -> Step:
        self.calls.append({"messages": copy.deepcopy(messages), "tools": [t.name for t in tools], "options": options})
        if len(self.calls) > len(self._steps):
            raise UnexpectedModelCall(f"model step {len(self.calls)} requested; the script has {len(self._steps)}")
        step = self._steps[len(self.calls) - 1]
        return step(messages, tools) if callable(step) else step

    def assert_complete(self) -> None:
        if len(self.calls) != len(self._steps):
            raise AssertionError(f"the script has {len(self._steps)} steps; {len(self.calls)} were used")
