"""Entry point: `python -m mcp_servers.web --host 0.0.0.0 --port $PORT` (the Procfile's `web` process)."""

from __future__ import annotations

import argparse
import logging
import os
from collections.abc import Sequence

from mcp_servers.common.redact import RedactingFilter
from mcp_servers.common.runner import configure_logging

logger = logging.getLogger("mcp_servers.web")

# uvicorn limits that keep a slow or idle client from holding the process (the head deadline is in
# protocol.py, the body deadline in the Guard).
# Idle keep-alive connections close after this. Longer than client pools keep idle connections (httpx 5 s,
# undici 4 s), so the client closes first: with uvicorn's 5 s default, a POST sent on a connection the
# server was closing at that moment failed (3 of 800 calls in bench_http at concurrency 32).
KEEP_ALIVE_S = 75
MAX_HEADER_BYTES = 16 * 1024  # h11: largest incomplete request head buffered
MAX_CONNECTIONS = 1000  # open connections or running requests before uvicorn itself answers 503
GRACEFUL_SHUTDOWN_S = 20  # Heroku sends SIGKILL 30 s after SIGTERM


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    from mcp_servers.web.app import SERVER_BUILDERS

    parser = argparse.ArgumentParser(
        prog="python -m mcp_servers.web",
        description=(
            "Serve the MCP servers over streamable HTTP: /<name>/mcp for each server, GET /health. "
            "Env: MCP_AUTH_TOKEN (bearer token; required unless bound to loopback), "
            "HEROKU_APP_DEFAULT_DOMAIN_NAME / MCP_ALLOWED_HOSTS (accepted Host names), MCP_ALLOWED_ORIGINS, "
            "MCP_MAX_BODY_BYTES, MCP_REQUEST_TIMEOUT_S, MCP_HEAD_TIMEOUT_S, MCP_BODY_TIMEOUT_S, MCP_MAX_CONCURRENT, "
            "MCP_MAX_QUEUED; "
            "each server reads its own variables (DATABASE_URL, ...)."
        ),
    )
    parser.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1; 0.0.0.0 on a dyno)")
    parser.add_argument(
        "--port", type=int, default=int(os.environ.get("PORT") or 8000), help="port (default $PORT, else 8000)"
    )
    parser.add_argument(
        "--servers", default=",".join(SERVER_BUILDERS),
        help=f"comma-separated servers to mount (default all: {','.join(SERVER_BUILDERS)})",
    )
    parser.add_argument("--log-level", default="INFO", help="stderr log level (default INFO)")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.servers.split(",") if n.strip()]
    unknown = sorted(set(names) - set(SERVER_BUILDERS))
    if unknown or not names:
        parser.error(f"unknown server(s) {unknown}; choose from {sorted(SERVER_BUILDERS)}")
    args.server_names = names
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    configure_logging(args.log_level)
    from mcp_servers.web.settings import UnsafeExposureError, WebSettings

    try:
        settings = WebSettings.from_env(bind_host=args.host)
        settings.check_safe_to_serve()
    except (UnsafeExposureError, ValueError) as exc:
        logger.critical("%s", exc)
        return 2

    import uvicorn

    from mcp_servers.web.app import build_servers, create_app
    from mcp_servers.web.protocol import head_deadline_protocol

    try:
        servers = build_servers(args.server_names)
    except ValueError as exc:  # a server's malformed setting (PG_CHECK_LIMITS, ...): its message names it
        logger.critical("%s", exc)
        return 2
    app = create_app(settings, servers)
    auth = "bearer token required" if settings.auth_token else "no token (loopback only)"
    logger.info("listening on %s:%s; auth: %s; hosts: loopback%s", args.host, args.port, auth,
                "".join(f", {h}" for h in settings.allowed_hosts))
    # The access log records each request line, query string included: mask tokens sent there.
    logging.getLogger("uvicorn.access").addFilter(RedactingFilter())
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level=args.log_level.lower(),
        http=head_deadline_protocol(settings.head_timeout_s),
        timeout_keep_alive=KEEP_ALIVE_S,
        h11_max_incomplete_event_size=MAX_HEADER_BYTES,
        limit_concurrency=MAX_CONNECTIONS,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
        server_header=False,
        log_config=None,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
