"""Model backends behind one small interface: `async def step(messages, tools, options) -> Step`."""

from __future__ import annotations

from heroku_agents.local.backends.base import BackendError, ModelBackend, PlannedCall, Step, StepOptions
from heroku_agents.local.backends.offline import OfflinePlanner
from heroku_agents.local.backends.openai_compat import OpenAICompatible
from heroku_agents.local.backends.scripted import ScriptedBackend, UnexpectedModelCall

__all__ = [
    "BackendError", "ModelBackend", "OfflinePlanner", "OpenAICompatible", "PlannedCall", "ScriptedBackend", "Step",
    "StepOptions", "UnexpectedModelCall", "default_backend",
]


def default_backend(settings) -> ModelBackend:
    """The upstream when one is configured, else the offline planner."""
    if settings.upstream_url:
        return OpenAICompatible(settings.upstream_url, settings.upstream_key, model=settings.upstream_model,
                                step_timeout=settings.upstream_step_timeout)
    return OfflinePlanner()
