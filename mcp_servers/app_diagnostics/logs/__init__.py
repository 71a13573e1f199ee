"""Heroku log parsing and analysis: the error-code table, a fast line parser and a one-pass aggregator.

Names are re-exported lazily, so importing the error-code table (a tool schema needs it at start-up)
does not compile the parser's regexes; those load on the first analysis.
"""

from importlib import import_module
from typing import Any

__all__ = [
    "CODES", "ErrorCode", "ErrorCodeInfo", "LogAnalysis", "analyze_lines", "lookup", "nearest_codes",
    "normalise_path", "parse_line",
]

_HOME = {
    "CODES": "codes", "ErrorCode": "codes", "lookup": "codes", "nearest_codes": "codes",
    "ErrorCodeInfo": "models", "LogAnalysis": "models",
    "analyze_lines": "analysis", "normalise_path": "stats", "parse_line": "parser",
}


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{_HOME[name]}"), name)
