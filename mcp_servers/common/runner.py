"""The one entry every server's `__main__` uses: logging to stderr, the transport choice, a cheap start.

On Heroku every MCP tool call starts a one-off dyno that runs this once, so start-up and exit are on
the bill of every call (`make bench`, area cold_start, measures both against a minimal one-tool server):
- garbage collection is off while modules are imported and tools registered (everything allocated then
  lives as long as the process), and what exists afterwards is moved out of the collector's sight
  (`gc.freeze`);
- the SDK's rich log handler is not built: our stderr handler is already in place;
- when the client closes stdin the session is over, and the process exits at once instead of
  tearing every module down one by one.
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mcp.server import MCPServer

__all__ = ["configure_logging", "parse_args", "run_server"]

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(level: str = "INFO") -> None:
    """Send all logs to stderr: on STDIO, stdout carries nothing but protocol."""
    logging.basicConfig(stream=sys.stderr, level=level.upper(), format=LOG_FORMAT, force=True)


def parse_args(prog: str, description: str, argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument(
        "--transport", choices=["stdio", "http"], default="stdio",
        help="stdio (default; what Heroku registers and runs in a one-off dyno) or streamable HTTP",
    )
    parser.add_argument("--host", default="127.0.0.1", help="HTTP bind address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="HTTP port (default 8000)")
    parser.add_argument("--log-level", default="WARNING", help="stderr log level (default WARNING)")
    return parser.parse_args(argv)


def _skip_sdk_log_setup() -> None:
    """MCPServer() calls the SDK's `configure_logging`, which imports rich to build a handler that
    `logging.basicConfig` then ignores (ours is installed). Skip it: rich is a sizeable import."""
    import mcp.server.mcpserver.server as sdk_server

    sdk_server.configure_logging = lambda *args, **kwargs: None  # type: ignore[assignment]


def _build_without_gc(build: Callable[[], MCPServer]) -> MCPServer:
    gc.disable()
    try:
        _skip_sdk_log_setup()
        return build()
    finally:
        gc.freeze()  # start-up objects live until exit: later collections need not scan them
        gc.enable()


def _exit_now(code: int = 0) -> None:
    """stdin closed and the session ended: flush and leave without interpreter teardown."""
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)


def run_server(
    build: Callable[[], MCPServer], *, prog: str, description: str, argv: Sequence[str] | None = None
) -> None:
    """Parse the command line, build the server and serve it on the chosen transport."""
    args = parse_args(prog, description, argv)
    configure_logging(args.log_level)
    try:
        server = _build_without_gc(build)
    except ValueError as exc:  # a malformed setting (PG_CHECK_LIMITS, PG_*_MS, ...): its message names it
        logging.getLogger(prog).critical("%s", exc)
        raise SystemExit(2) from None
    if args.transport == "stdio":
        server.run("stdio")
        _exit_now()
    else:
        server.run("streamable-http", host=args.host, port=args.port, stateless_http=True)
