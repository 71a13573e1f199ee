"""The index advisor of mcp-postgres: workload-driven index suggestions, verified by HypoPG what-if plans where it exists.

`usage` parses statements into column uses, `catalog` reads table statistics and indexes, `candidates`
turns both into candidate indexes (and the reasons for leaving others out), `plans` and `hypo` ask the
planner, `advise` puts it together, `tool` registers `pg_suggest_indexes`.
"""

from mcp_servers.postgres.advisor.advise import DEFAULT_TOP, MAX_TOP, suggest_indexes
from mcp_servers.postgres.advisor.candidates import AdvisorLimits
from mcp_servers.postgres.advisor.hypo import hypothetical_indexes, parse_index_spec
from mcp_servers.postgres.advisor.models import IndexAdvice, Suggestion, render_advice

__all__ = [
    "DEFAULT_TOP", "MAX_TOP", "AdvisorLimits", "IndexAdvice", "Suggestion", "hypothetical_indexes",
    "parse_index_spec", "render_advice", "suggest_indexes",
]
