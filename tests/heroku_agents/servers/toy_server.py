"""A tiny MCP server for driver and registration tests: `python toy_server.py [--flavour NAME]`.

Flavours shape what `tools/list` returns, so each preflight rule has a server that breaks it:
`echo` (echo, add), `other` (echo again: a duplicate across servers), `badname` (a tool named
`bad name!`), `nodesc` (a tool without a description), `noschema` (an input schema
that is not an object schema), `crash` (exits before the handshake).
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Annotated

from pydantic import BaseModel, Field


class Sum(BaseModel):
    total: int
    summary: str


def echo(text: Annotated[str, Field(description="Text to send back.")]) -> str:
    """Return the text unchanged. Use it to check the wiring."""
    return text


def add(a: Annotated[int, Field(description="First addend.")], b: Annotated[int, Field(description="Second addend.")]) -> Sum:
    """Add two integers and return the total with a one-line summary."""
    return Sum(total=a + b, summary=f"{a} + {b} = {a + b}")


def undocumented(x: int) -> int:
    return x


def main() -> None:
    from mcp.server import MCPServer

    parser = argparse.ArgumentParser()
    parser.add_argument("--flavour", default="echo")
    flavour = parser.parse_args().flavour
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING)
    if flavour == "crash":
        print("toy_server: refusing to start (crash flavour)", file=sys.stderr)
        sys.exit(3)
    server = MCPServer(f"toy-{flavour}")
    if flavour in ("echo", "other"):
        server.add_tool(echo)
    if flavour == "echo":
        server.add_tool(add)
    if flavour == "badname":
        server.add_tool(echo, name="bad name!")
    if flavour == "nodesc":
        server.add_tool(undocumented)
    if flavour == "noschema":  # a schema that is not an object schema (hand-written servers get this wrong)
        server.add_tool(echo, name="loose")
        server._tool_manager.get_tool("loose").parameters = {"properties": {}}
    server.run("stdio")


if __name__ == "__main__":
    main()
