"""One MCP server process over STDIO, the local stand-in for a Heroku one-off dyno.

The command runs through `/bin/sh -c` like a Procfile line (it comes from the Procfile, never from
the model), in its own process group, so a kill reaches the whole tree. `mcp_client(...)` yields a
connected `mcp.Client` and always leaves the group dead: gracefully (stdin closed) after a normal
call, with SIGKILL at once when cancelled or out of time.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
from collections import deque
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager, suppress
from pathlib import Path

import anyio
from anyio.abc import Process

from heroku_agents.errors import AgentsError, first_line, innermost

__all__ = [
    "LIVE_PIDS",
    "ServerFailed",
    "ServerProcess",
    "child_environment",
    "config_vars",
    "kill_all_live",
    "mcp_client",
    "spawn",
]

logger = logging.getLogger(__name__)

EXIT_GRACE_SECONDS = 1.0  # after stdin closes, a well-behaved server exits in milliseconds
LEADER_GONE_GRACE_SECONDS = 0.1  # after the direct child exits, its group follows (output already written stays readable)
_INHERITED = ("HOME", "LOGNAME", "PATH", "SHELL", "TERM", "USER")  # the MCP SDK's own allow-list
LIVE_PIDS: set[int] = set()  # process-group leaders alive right now (tests assert it drains)


def config_vars(env: Mapping[str, str]) -> dict[str, str]:
    """What a one-off dyno would see of the app's config vars: DATABASE_URL, HEROKU_*, PG_*, ... (see settings)."""
    from heroku_agents.local.settings import CHILD_ENV_PREFIXES, CHILD_ENV_VARS

    return {k: v for k, v in env.items() if k in CHILD_ENV_VARS or k.startswith(CHILD_ENV_PREFIXES)}


def child_environment(extra: Mapping[str, str]) -> dict[str, str]:
    """The SDK's allow-listed environment plus `extra`; our interpreter's folder leads PATH so
    `python -m ...` in a Procfile line finds the project's environment."""
    env = {k: os.environ[k] for k in _INHERITED if k in os.environ}
    env.update(extra)
    bindir = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join([bindir, env.get("PATH", os.defpath)])
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


class ServerProcess:
    """A spawned server; `stderr_tail()` keeps the last lines it wrote, for error reasons."""

    def __init__(self, process: Process, command: str) -> None:
        self.process = process
        self.command = command
        self.pid = process.pid
        self._stderr: deque[str] = deque(maxlen=20)
        self.drained = anyio.Event()

    def stderr_tail(self, lines: int = 3) -> str:
        return " | ".join(list(self._stderr)[-lines:])

    async def _drain_stderr(self) -> None:
        assert self.process.stderr is not None
        buffer = b""
        with suppress(anyio.EndOfStream, anyio.ClosedResourceError, anyio.BrokenResourceError, OSError):
            async for chunk in self.process.stderr:
                buffer += chunk
                *lines, buffer = buffer.split(b"\n")
                self._stderr.extend(line.decode("utf-8", "replace")[:300] for line in lines if line.strip())
        if buffer.strip():
            self._stderr.append(buffer.decode("utf-8", "replace")[:300])
        self.drained.set()

    async def _end_group_with_leader(self) -> None:
        """When the direct child exits, kill its group: a grandchild that still holds stdout must not
        keep a dead server's conversation open until the ttl (a dyno ends with its main process)."""
        try:
            pidfd = os.pidfd_open(self.pid)
        except (ProcessLookupError, OSError):  # already gone (or no pidfd): fall through to the kill
            pidfd = None
        if pidfd is not None:
            try:
                await anyio.wait_readable(pidfd)  # a pidfd turns readable when its process terminates
            finally:
                os.close(pidfd)
        await anyio.sleep(LEADER_GONE_GRACE_SECONDS)
        self.kill()

    def kill(self) -> None:
        """SIGKILL the whole process group (idempotent)."""
        with suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)

    async def stop(self, *, graceful: bool) -> None:
        """Close stdin and give the server a moment to exit, then kill the group and reap it."""
        with anyio.CancelScope(shield=True):
            if self.process.stdin is not None:
                with suppress(OSError, anyio.BrokenResourceError, anyio.ClosedResourceError):
                    await self.process.stdin.aclose()
            if graceful:
                with anyio.move_on_after(EXIT_GRACE_SECONDS):
                    await self.process.wait()
            self.kill()  # the group may hold grandchildren even when the leader exited
            with anyio.move_on_after(5):
                await self.process.wait()
            LIVE_PIDS.discard(self.pid)


@asynccontextmanager
async def spawn(command: str, *, env: Mapping[str, str], cwd: Path) -> AsyncIterator[ServerProcess]:
    """Start `command` with piped STDIO in a new session; the group is dead when this exits.

    The child calls setsid() before it runs anything, so the group exists from its first instruction.
    The start itself is shielded: cancelled half-way, asyncio would kill only `/bin/sh` and leave the
    server it started running under init. A pending cancellation lands on the first await below,
    inside the block that kills the whole group.
    """
    with anyio.CancelScope(shield=True):
        process = await anyio.open_process(
            ["/bin/sh", "-c", command],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=dict(env), cwd=str(cwd), start_new_session=True,
        )
    server = ServerProcess(process, command)
    LIVE_PIDS.add(server.pid)
    graceful = False
    try:
        async with anyio.create_task_group() as tg:
            tg.start_soon(server._drain_stderr)
            tg.start_soon(server._end_group_with_leader)
            try:
                yield server
                graceful = True
            finally:
                await server.stop(graceful=graceful)
                with anyio.move_on_after(0.5, shield=True):
                    await server.drained.wait()  # the last words of a crashed server
                tg.cancel_scope.cancel()
    finally:
        server.kill()
        LIVE_PIDS.discard(server.pid)


@asynccontextmanager
async def _transport(server: ServerProcess) -> AsyncIterator[tuple[object, object]]:
    """Newline-delimited JSON-RPC over the process's stdin/stdout, as the MCP `Transport` protocol wants."""
    from mcp.shared.message import SessionMessage
    from mcp.types import jsonrpc_message_adapter

    process = server.process
    assert process.stdin is not None and process.stdout is not None
    read_send, read_recv = anyio.create_memory_object_stream[SessionMessage | Exception](0)
    write_send, write_recv = anyio.create_memory_object_stream[SessionMessage](0)

    async def reader() -> None:
        buffer = b""
        async with read_send:
            with suppress(anyio.ClosedResourceError, anyio.BrokenResourceError, anyio.EndOfStream, OSError):
                async for chunk in process.stdout:
                    buffer += chunk
                    *lines, buffer = buffer.split(b"\n")
                    for line in lines:
                        if not line.strip():
                            continue
                        try:
                            item: SessionMessage | Exception = SessionMessage(
                                jsonrpc_message_adapter.validate_json(line, by_name=False)
                            )
                        except ValueError as exc:
                            item = exc
                        await read_send.send(item)

    async def writer() -> None:
        async with write_recv:
            try:
                async for message in write_recv:
                    data = message.message.model_dump_json(by_alias=True, exclude_unset=True) + "\n"
                    await process.stdin.send(data.encode("utf-8"))
            except (anyio.ClosedResourceError, anyio.BrokenResourceError, OSError):
                await read_send.aclose()

    async with anyio.create_task_group() as tg:
        tg.start_soon(reader)
        tg.start_soon(writer)
        try:
            yield read_recv, write_send
        finally:
            tg.cancel_scope.cancel()


def kill_all_live() -> int:
    """SIGKILL every process group still alive (an endpoint's last act on the way out); returns how many."""
    pids = list(LIVE_PIDS)
    for pid in pids:
        with suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)
    LIVE_PIDS.clear()
    return len(pids)


class ServerFailed(Exception):
    """The server process broke the conversation (exited, hung up, spoke garbage); `stderr` is its last lines."""

    def __init__(self, message: str, stderr: str) -> None:
        super().__init__(message + (f" (stderr: {stderr})" if stderr else ""))
        self.reason = message
        self.stderr = stderr



@asynccontextmanager
async def mcp_client(
    command: str, *, env: Mapping[str, str], cwd: Path, timeout: float
) -> AsyncIterator[tuple[object, ServerProcess]]:
    """A connected `mcp.Client` (handshake era, `initialize` first, as Heroku's dynos see) and its process.

    `timeout` bounds every request that passes no timeout of its own (the handshake and tools/list).

    Raises:
        ServerFailed: the process broke the conversation, in the handshake or in the caller's block;
            the caller's own deliberate errors (`AgentsError`) pass through unchanged.
    """
    from mcp import Client

    failure: Exception | None = None
    async with spawn(command, env=env, cwd=cwd) as server:
        try:
            async with Client(_transport(server), mode="legacy", read_timeout_seconds=timeout) as client:  # type: ignore[arg-type]
                yield client, server
        # Whatever the process did wrong, the caller gets one error with its stderr (read after it died).
        except Exception as exc:
            failure = exc
    if failure is not None:
        if isinstance(innermost(failure), AgentsError):
            raise innermost(failure) from None
        raise ServerFailed(first_line(failure), server.stderr_tail()) from failure
