"""What each one-off dyno pays at start and exit (the figures are in `make bench`, area cold_start)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
INITIALIZE = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
    "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "test", "version": "0"}}}
SERVERS = ["mcp_servers.postgres", "mcp_servers.app_diagnostics"]


def _serve_one_initialize(module: str, *python_flags: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *python_flags, "-m", module], input=json.dumps(INITIALIZE) + "\n",
        capture_output=True, text=True, timeout=120, cwd=ROOT, env={"PATH": "/usr/bin:/bin"},
    )


@pytest.mark.parametrize("module", SERVERS)
def test_the_stdio_path_never_imports_rich(module: str) -> None:
    proc = _serve_one_initialize(module, "-X", "importtime")
    imported = {line.rsplit("|", 1)[1].strip() for line in proc.stderr.splitlines() if line.startswith("import time:")}
    assert "mcp.server.mcpserver.server" in imported  # the scan sees the SDK's imports
    assert {name for name in imported if name == "rich" or name.startswith("rich.")} == set()


def test_starting_mcp_postgres_loads_the_index_advisor_models_not_its_pipeline() -> None:
    # The advisor's parser, planner and HypoPG code load on its first call; tools/list needs only its models.
    proc = _serve_one_initialize("mcp_servers.postgres", "-X", "importtime")
    imported = {line.rsplit("|", 1)[1].strip() for line in proc.stderr.splitlines() if line.startswith("import time:")}
    assert "mcp_servers.postgres.advisor.models" in imported
    assert {"mcp_servers.postgres.advisor.advise", "mcp_servers.postgres.advisor.candidates"} & imported == set()


@pytest.mark.parametrize("module", SERVERS)
def test_closing_stdin_after_initialize_exits_cleanly_with_the_whole_reply_written(module: str) -> None:
    proc = _serve_one_initialize(module)
    assert proc.returncode == 0, proc.stderr
    (line,) = proc.stdout.splitlines()
    assert json.loads(line)["result"]["serverInfo"]["name"]
