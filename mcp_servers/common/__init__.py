"""What every server shares: logging, redaction, result envelope and the run/transport entry."""

from mcp_servers.common.redact import redact_text, redact_url, truncate
from mcp_servers.common.results import Finding, Status, cap_rows
from mcp_servers.common.runner import configure_logging, run_server

__all__ = [
    "Finding",
    "Status",
    "cap_rows",
    "configure_logging",
    "redact_text",
    "redact_url",
    "run_server",
    "truncate",
]
