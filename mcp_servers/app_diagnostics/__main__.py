"""Entry point: `python -m mcp_servers.app_diagnostics [--transport stdio|http] [--port N]`."""

from mcp_servers.common.runner import run_server


def _build():
    from mcp_servers.app_diagnostics.server import build_server

    return build_server()


if __name__ == "__main__":
    run_server(
        _build,
        prog="python -m mcp_servers.app_diagnostics",
        description="Heroku app diagnostics MCP server (reads HEROKU_API_KEY and HEROKU_APP_NAME).",
    )
