"""Entry point: `python -m mcp_servers.postgres [--transport stdio|http] [--port N]`."""

from mcp_servers.common.runner import run_server


def _build():
    from mcp_servers.postgres.server import build_server

    return build_server()


if __name__ == "__main__":
    run_server(
        _build,
        prog="python -m mcp_servers.postgres",
        description="PostgreSQL checks MCP server (reads DATABASE_URL; embedded PostgreSQL when unset).",
    )
