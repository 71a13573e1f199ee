"""The web process's access log never records a token sent in the query string."""

from __future__ import annotations

from pathlib import Path

import httpx
from web_process import clean_env, running_web

TOKEN = "log-token-0123456789abcdef"


def test_tokens_in_the_query_string_are_masked_in_the_access_log(tmp_path: Path) -> None:
    with running_web(clean_env(MCP_AUTH_TOKEN=TOKEN), tmp_path / "web.log") as web:
        httpx.get(f"{web.base_url}/health?token={TOKEN}", timeout=10)
        httpx.post(f"{web.base_url}/postgres/mcp?access_token={TOKEN}&api_key={TOKEN}", json={}, timeout=10)
    log = (tmp_path / "web.log").read_text()
    assert "GET /health?token=********" in log  # the request was logged, its token masked
    assert "access_token=********" in log
    assert TOKEN not in log
