"""Turn PostgreSQL values (as psycopg loads them) into small JSON values a model can read."""

from __future__ import annotations

import datetime as dt
import json
import math
from decimal import Decimal
from typing import Any

from mcp_servers.common.redact import redact_text

__all__ = ["MAX_BYTEA_BYTES", "MAX_CELL_CHARS", "json_safe", "json_size"]

MAX_CELL_CHARS = 2_000  # one long text cell must not crowd out the other rows
MAX_BYTEA_BYTES = 64
_MASK_LOOKAHEAD = 256


def _text(value: str) -> str:
    """A cell's text with secrets masked (a query text or a conninfo setting read from a catalog view), then cut.

    Masking looks a little past the cut, so a password literal that starts before it is still masked.
    """
    masked = redact_text(value[: MAX_CELL_CHARS + _MASK_LOOKAHEAD])
    if len(value) <= MAX_CELL_CHARS:
        return masked
    return f"{masked[:MAX_CELL_CHARS]}…({len(value)} characters)"


def _decimal(value: Decimal) -> int | float | str:
    if not value.is_finite():
        return str(value)
    if value == value.to_integral_value() and abs(value) < 2**53:
        return int(value)
    as_float = float(value)
    # Keep a number when the float prints back the same digits; otherwise the exact text.
    return as_float if Decimal(repr(as_float)) == value else str(value)


def json_safe(value: Any) -> Any:
    """A JSON-serialisable rendering of one value: numbers stay numbers where exact, the rest becomes text."""
    if value is None or isinstance(value, (bool, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, Decimal):
        return _decimal(value)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        raw = bytes(value)
        shown = "\\x" + raw[:MAX_BYTEA_BYTES].hex()
        return shown if len(raw) <= MAX_BYTEA_BYTES else f"{shown}…({len(raw)} bytes)"
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    return _text(str(value))  # UUID, ip addresses, ranges, xml, geometric types, unknown OIDs


def json_size(value: Any) -> int:
    """Bytes of the compact JSON text of an already JSON-safe value."""
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())
