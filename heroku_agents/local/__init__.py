"""The local Agents endpoint: Heroku's agent loop, offline and wire-exact.

`python -m heroku_agents.local` serves `create_app(LocalSettings)`; see app.py for the routes.
"""

from __future__ import annotations

from typing import Any

__all__ = ["LocalSettings", "create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from heroku_agents.local.app import create_app

        return create_app
    if name == "LocalSettings":
        from heroku_agents.local.settings import LocalSettings

        return LocalSettings
    raise AttributeError(f"module 'heroku_agents.local' has no attribute {name!r}")
