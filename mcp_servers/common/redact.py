"""Redaction at the result boundary: nothing secret leaves a server in a result, a log or an error."""

from __future__ import annotations

import logging
import re
from urllib.parse import urlsplit, urlunsplit

__all__ = ["MASK", "RedactingFilter", "redact_text", "redact_url", "truncate"]

MASK = "********"

# scheme://user:password@host  -> scheme://user:********@host
_URL_PASSWORD = re.compile(r"(?P<pre>[a-z][a-z0-9+.\-]*://[^/\s:@]*:)(?P<pw>[^@\s/]+)(?P<post>@)", re.I)
# key=value style secrets in DSNs, connection errors and command lines
# (conninfo values may be quoted, with spaces; inside a SQL literal the quotes are doubled)
_KV_SECRET = re.compile(
    r"(?P<key>\b(?:[a-z0-9]+[_-])*(?:password|passwd|pwd|api[_-]?key|(?:secret|private)[_-]?key|token|secret|"
    r"authorization)\s*[=:]\s*)"
    r"(?P<val>''.*?(?:''|$)|'(?:[^'\\]|\\.)*(?:'|$)|\"[^\"]*(?:\"|$)|[^\s'\"&;,)]+)",
    re.I,
)
# SQL that carries a secret as a literal: CREATE/ALTER ROLE ... PASSWORD '...', user-mapping and server
# OPTIONS (password '...'), CREATE/ALTER SUBSCRIPTION ... CONNECTION '...'. The literal may be an E'' or
# a dollar-quoted string, and may be cut off (pg_stat_activity keeps the first 1 kB of a query).
_SQL_SECRET = re.compile(
    r"(?P<key>(?:\bpassword\b|\"password\"|\bconnection\b)\s*)"
    r"(?P<val>[Ee]'(?:[^'\\]|\\.|'')*(?:'|$)|'(?:[^']|'')*(?:'|$)|\$(?P<tag>(?:[A-Za-z_]\w*)?)\$.*?(?:\$(?P=tag)\$|$))",
    re.I | re.S,
)
_BEARER = re.compile(r"(?P<pre>\bBearer\s+)[A-Za-z0-9._~+/=\-]{6,}", re.I)


def redact_url(url: str) -> str:
    """Mask the password of a URL (`postgres://u:secret@h/db` -> `postgres://u:********@h/db`)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return redact_text(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", f":{MASK}@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def redact_text(text: str, secrets: tuple[str, ...] | list[str] = ()) -> str:
    """Mask URL passwords, `password=...`-style pairs, SQL password/connection literals, bearer tokens and `secrets`."""
    text = _URL_PASSWORD.sub(lambda m: f"{m['pre']}{MASK}{m['post']}", text)
    text = _SQL_SECRET.sub(lambda m: f"{m['key']}'{MASK}'", text)
    text = _KV_SECRET.sub(lambda m: f"{m['key']}{MASK}", text)
    text = _BEARER.sub(lambda m: f"{m['pre']}{MASK}", text)
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, MASK)
    return text


def truncate(text: str | None, limit: int = 300) -> str | None:
    """Shorten long text (SQL, log lines) to `limit` characters, marking the cut."""
    if text is None or len(text) <= limit:
        return text
    return text[: limit - 1] + "…"


class RedactingFilter(logging.Filter):
    """A logging filter that masks secrets in each record's final message (for example a `?token=` in an access log)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = redact_text(message)
        if masked != message:
            record.msg, record.args = masked, ()
        return True
