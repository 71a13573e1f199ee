"""Heroku log parsing and analysis: the error-code table, a fast line parser and a one-pass aggregator."""

from mcp_servers.app_diagnostics.logs.analysis import analyze_lines, normalise_path
from mcp_servers.app_diagnostics.logs.codes import CODES, ErrorCode, lookup, nearest_codes
from mcp_servers.app_diagnostics.logs.models import ErrorCodeInfo, LogAnalysis
from mcp_servers.app_diagnostics.logs.parser import parse_line

__all__ = [
    "CODES", "ErrorCode", "ErrorCodeInfo", "LogAnalysis", "analyze_lines", "lookup", "nearest_codes",
    "normalise_path", "parse_line",
]
