"""Masking secrets in text that leaves heroku_agents: error messages, logs, tool results.

heroku_agents must not import mcp_servers (see ARCHITECTURE.md), so this is the client
side's own small redaction, kept to the secrets that can reach a client error or log line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

__all__ = ["redact", "secret_values"]

_MASK = "********"
_URL_PASSWORD = re.compile(r"([a-z][a-z0-9+.\-]*://[^/\s:@]*:)([^@\s/]+)(@)", re.I)
_BEARER = re.compile(r"(\bBearer\s+)[A-Za-z0-9._~+/=\-]{6,}", re.I)
_INFERENCE_KEY = re.compile(r"\binf-[0-9a-f]{8}-[0-9a-f-]{27,}\b", re.I)
_SECRET_NAME = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|^DATABASE_URL$|_DATABASE_URL$", re.I)


def redact(text: str, secrets: Sequence[str] = ()) -> str:
    """Mask URL passwords, bearer tokens, `inf-<uuid>` keys and each of `secrets` in `text`."""
    text = _URL_PASSWORD.sub(lambda m: f"{m[1]}{_MASK}{m[3]}", text)
    text = _BEARER.sub(lambda m: f"{m[1]}{_MASK}", text)
    text = _INFERENCE_KEY.sub(_MASK, text)
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, _MASK)
    return text


def secret_values(env: Mapping[str, str]) -> tuple[str, ...]:
    """The values of `env` never to show: keys, tokens, secrets, passwords, database URLs, and the password
    of any URL on its own (a tool may print libpq's pieces rather than the whole URL).

    The one rule for what is secret in an environment handed to an MCP process, used by every STDIO client.
    """
    from urllib.parse import unquote, urlsplit

    values = [v for k, v in env.items() if _SECRET_NAME.search(k)]
    for value in env.values():
        if "://" in value:
            try:
                values.append(unquote(urlsplit(value.strip()).password or ""))
            except ValueError:
                continue
    return tuple(dict.fromkeys(v for v in values if v and len(v) >= 4))
