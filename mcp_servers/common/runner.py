"""The one entry every server's `__main__` uses: logging to stderr and the transport choice."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mcp.server import MCPServer

__all__ = ["configure_logging", "run_server", "parse_args"]

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


def run_server(
    build: Callable[[], "MCPServer"], *, prog: str, description: str, argv: Sequence[str] | None = None
) -> None:
    """Parse the command line, build the server and serve it on the chosen transport."""
    args = parse_args(prog, description, argv)
    configure_logging(args.log_level)
    try:
        server = build()
    except ValueError as exc:  # a malformed setting (PG_CHECK_LIMITS, PG_*_MS, ...): its message names it
        logging.getLogger(prog).critical("%s", exc)
        raise SystemExit(2) from None
    if args.transport == "stdio":
        server.run("stdio")
    else:
        server.run("streamable-http", host=args.host, port=args.port, stateless_http=True)
