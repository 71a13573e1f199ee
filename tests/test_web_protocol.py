"""mcp_servers/web/protocol.py subclasses uvicorn's private `H11Protocol`; these tests fail when that surface moves.

uvicorn is pinned exactly in pyproject.toml for this reason: an upgrade is a deliberate change that must
pass these tests (and tests/test_web.py's trickling-client test over a real `web` process).
"""

import asyncio
import inspect
import tomllib
from importlib import metadata
from pathlib import Path

import h11
from packaging.requirements import Requirement
from uvicorn.config import Config
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.server import ServerState

from mcp_servers.web.protocol import head_deadline_protocol

ROOT = Path(__file__).resolve().parents[1]

# The hooks the subclass overrides, with the parameters it passes on.
OVERRIDDEN_HOOKS = {
    "connection_made": ["self", "transport"],
    "data_received": ["self", "data"],
    "on_response_complete": ["self"],
    "connection_lost": ["self", "exc"],
}


async def _app(scope, receive, send) -> None:  # a minimal ASGI app: every request gets 204
    await send({"type": "http.response.start", "status": 204, "headers": []})
    await send({"type": "http.response.body", "body": b""})


def test_uvicorn_is_pinned_exactly_to_the_installed_version() -> None:
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    (uvicorn,) = [Requirement(text) for text in dependencies if Requirement(text).name == "uvicorn"]
    (spec,) = uvicorn.specifier
    assert spec.operator == "==", "pin uvicorn exactly: mcp_servers/web/protocol.py uses its private H11Protocol"
    assert spec.version == metadata.version("uvicorn")


def test_the_h11_protocol_hooks_the_subclass_overrides_keep_their_signatures() -> None:
    for name, parameters in OVERRIDDEN_HOOKS.items():
        assert list(inspect.signature(getattr(H11Protocol, name)).parameters) == parameters, name


def test_the_h11_protocol_keeps_the_attributes_the_subclass_reads() -> None:
    loop = asyncio.new_event_loop()
    try:
        protocol = head_deadline_protocol(5.0)(Config(app=_app, log_config=None), ServerState(), {}, loop)
        assert isinstance(protocol, H11Protocol)
        assert isinstance(protocol.conn, h11.Connection) and protocol.conn.their_state is h11.IDLE
        assert protocol.loop is loop
        assert hasattr(protocol, "transport")
    finally:
        loop.close()


def test_a_trickled_head_is_cut_off_while_a_complete_request_is_answered() -> None:
    async def scenario() -> tuple[bytes, bytes]:
        loop = asyncio.get_running_loop()
        config = Config(app=_app, log_config=None)
        config.load()
        state = ServerState()
        protocol = head_deadline_protocol(0.2)
        server = await loop.create_server(lambda: protocol(config, state, {}, loop), "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            answered = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
            writer.close()

            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n")  # the head never ends
            trickled = await asyncio.wait_for(reader.read(), 10)  # b"" once the server closes
            writer.close()
            return answered, trickled
        finally:
            server.close()
            await server.wait_closed()

    answered, trickled = asyncio.run(scenario())
    assert answered.startswith(b"HTTP/1.1 204")
    assert trickled == b""
