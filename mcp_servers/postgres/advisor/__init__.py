"""The index advisor of mcp-postgres: workload-driven index suggestions, verified by HypoPG what-if plans where it exists.

`usage` parses statements into column uses (`writes` reads an UPDATE or DELETE as the SELECT that finds
its rows), `catalog` reads table statistics and indexes, `candidates` turns both into candidate indexes
(and the reasons for leaving others out), `plans` and `hypo` ask the planner, `advise` puts it together,
`tool` registers `pg_suggest_indexes`.

Names load on first use (PEP 562): registering the tool at start-up needs only `models`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mcp_servers.postgres.advisor.advise import suggest_indexes
    from mcp_servers.postgres.advisor.candidates import AdvisorLimits
    from mcp_servers.postgres.advisor.hypo import hypothetical_indexes, parse_index_spec
    from mcp_servers.postgres.advisor.models import DEFAULT_TOP, MAX_TOP, IndexAdvice, Suggestion, render_advice

__all__ = [
    "DEFAULT_TOP", "MAX_TOP", "AdvisorLimits", "IndexAdvice", "Suggestion", "hypothetical_indexes",
    "parse_index_spec", "render_advice", "suggest_indexes",
]

_HOMES = {
    "suggest_indexes": "advise", "AdvisorLimits": "candidates", "hypothetical_indexes": "hypo",
    "parse_index_spec": "hypo", "DEFAULT_TOP": "models", "MAX_TOP": "models", "IndexAdvice": "models",
    "Suggestion": "models", "render_advice": "models",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
