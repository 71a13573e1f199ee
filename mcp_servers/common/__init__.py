"""What every server shares: logging, redaction, result envelope and the run/transport entry.

The names are loaded on first use (PEP 562), so `python -m mcp_servers.<server>` reaches the runner,
which switches garbage collection off for start-up, before pydantic and the SDK are imported.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mcp_servers.common.redact import redact_text, redact_url, truncate
    from mcp_servers.common.results import Finding, Status
    from mcp_servers.common.runner import configure_logging, run_server

__all__ = ["Finding", "Status", "configure_logging", "redact_text", "redact_url", "run_server", "truncate"]

_HOMES = {
    "Finding": "results", "Status": "results",
    "configure_logging": "runner", "run_server": "runner",
    "redact_text": "redact", "redact_url": "redact", "truncate": "redact",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
