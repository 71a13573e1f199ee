"""Both servers over real STDIO with a raw 2025-era handshake: versions negotiated, stdout only protocol."""

import json
import select
import subprocess
import sys
import time

import pytest

SERVERS = ["mcp_servers.postgres", "mcp_servers.app_diagnostics"]
SUPPORTED_HANDSHAKE = {"2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"}


def _exchange(module: str, protocol_version: str) -> tuple[list[dict], str]:
    messages = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": protocol_version, "capabilities": {},
            "clientInfo": {"name": "raw-test", "version": "0"}}},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {}},
    ]
    # The database is down on purpose: listing tools must not need it.
    env = {"PATH": "/usr/bin:/bin", "DATABASE_URL": "postgresql://nobody:pw@127.0.0.1:1/none"}
    proc = subprocess.Popen(
        [sys.executable, "-m", module, "--log-level", "DEBUG"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, env=env, bufsize=0,  # unbuffered: select() sees every byte still to read
    )
    lines: list[str] = []
    try:
        proc.stdin.write("".join(json.dumps(m) + "\n" for m in messages).encode())
        deadline = time.monotonic() + 60
        while not any('"id":2' in line.replace(" ", "") for line in lines):  # stdin stays open until answered
            ready, _, _ = select.select([proc.stdout], [], [], max(0.0, deadline - time.monotonic()))
            assert ready, f"no tools/list reply within 60 s; got {lines}"
            line = proc.stdout.readline()
            assert line, f"server exited early: {proc.stderr.read().decode()}"
            lines.append(line.decode())
    finally:
        proc.stdin.close()
        proc.wait(timeout=30)
    stderr = proc.stderr.read().decode()
    lines += [line.decode() for line in proc.stdout.readlines()]
    replies = [json.loads(line) for line in lines]  # every stdout line is JSON-RPC
    return replies, stderr


@pytest.mark.parametrize("module", SERVERS)
@pytest.mark.parametrize("version", ["2025-06-18", "2025-11-25"])
def test_a_known_handshake_version_is_echoed_and_tools_list_with_the_database_down(module: str, version: str) -> None:
    replies, _ = _exchange(module, version)
    by_id = {r["id"]: r for r in replies if "id" in r}
    assert by_id[1]["result"]["protocolVersion"] == version
    tools = by_id[2]["result"]["tools"]
    assert tools and all(t["annotations"]["readOnlyHint"] is True for t in tools)
    assert all(r.get("jsonrpc") == "2.0" for r in replies)


@pytest.mark.parametrize("module", SERVERS)
def test_an_unknown_version_is_answered_with_a_supported_one_and_logs_stay_on_stderr(module: str) -> None:
    replies, stderr = _exchange(module, "0.1.0")
    by_id = {r["id"]: r for r in replies if "id" in r}
    assert by_id[1]["result"]["protocolVersion"] in SUPPORTED_HANDSHAKE
    assert "tools" in by_id[2]["result"]
    assert "DEBUG" in stderr  # the server did log, and it went to stderr (stdout parsed as JSON above)
