"""Tool processes that outlive a cancel: found by a unique tag in their command line, wherever reparented.

Shared by test_process_faults.py and benchmarks/bench_faults.py (which measure the same cancel races).
"""

from __future__ import annotations

import random
from pathlib import Path

import anyio

SERVER_DIR = Path(__file__).parent  # flaky_server.py: a stdlib-only MCP server that starts in milliseconds


def tagged(tag: str) -> list[int]:
    """Processes whose command line carries `tag`."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if tag.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


async def survivors(tag: str) -> list[int]:
    """The tagged processes left after a moment for the kernel to deliver SIGKILL (bounded)."""
    with anyio.move_on_after(5):
        while tagged(tag):
            await anyio.sleep(0.05)
    return tagged(tag)


async def cancel_starts_at_random(tag: str, rounds: int, seed: int) -> None:
    """Start a tagged flaky_server `rounds` times, each cancelled 0-30 ms in (during spawn, handshake or listing)."""
    from heroku_agents.local.process import ServerFailed, child_environment, mcp_client

    # `; true` keeps /bin/sh alive as the parent of the server, as a multi-part Procfile line does.
    command = f"python flaky_server.py {tag}; true"
    rng = random.Random(seed)
    for _ in range(rounds):
        with anyio.move_on_after(rng.uniform(0, 0.03)):
            try:
                async with mcp_client(command, env=child_environment({}), cwd=SERVER_DIR, timeout=10) as (client, _):
                    await client.list_tools()  # type: ignore[attr-defined]
            except ServerFailed:
                pass
