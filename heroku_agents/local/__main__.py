"""`python -m heroku_agents.local`: serve the local Agents endpoint.

Prints `INFERENCE_URL=...` and `INFERENCE_KEY=...` on stdout (so `eval "$(... --print-env)"`-style
use works) and logs to stderr.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m heroku_agents.local",
        description=(
            "A local stand-in for Heroku's Managed Inference and Agents endpoint: POST /v1/agents/heroku, "
            "GET /v1/mcp/servers, POST /v1/chat/completions, GET /available-models. Every mcp* process type "
            "of the Procfile is registered and each tool call runs its command over STDIO. The model is "
            "UPSTREAM_INFERENCE_URL/KEY (or INFERENCE_URL/KEY) when set, else the offline planner "
            "(deterministic, not an LLM)."
        ),
    )
    parser.add_argument("--procfile", type=Path, default=Path("Procfile"), help="Procfile to register (default ./Procfile)")
    parser.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8787, help="port (default 8787; 0 picks a free one)")
    parser.add_argument("--key", help="the bearer key clients must send (default: LOCAL_AGENTS_KEY or a generated inf-<uuid>)")
    parser.add_argument("--warm", type=int, default=None, metavar="N", help="keep N warm processes per MCP server (default 0: one process per call, like Heroku)")
    parser.add_argument("--max-processes", type=int, default=None, metavar="N",
                        help="tool calls running at once; more wait in a queue, said in the stream (default 8; LOCAL_AGENTS_MAX_PROCESSES)")
    parser.add_argument("--offline", action="store_true", help="ignore any upstream and use the offline planner")
    parser.add_argument("--max-steps", type=int, default=None, help="model steps per agent run (default 12)")
    parser.add_argument("--heartbeat", type=float, default=None, metavar="SECONDS",
                        help="write a ':heartbeat' SSE comment after SECONDS of silence (default off; tests client robustness)")
    parser.add_argument("--log-level", default="INFO", help="stderr log level (default INFO)")
    return parser


def _mask_secrets_in_logs(secrets: tuple[str, ...]) -> None:
    """Pass every stderr log record through `redact` (httpx logs each upstream URL, user:password@ included)."""
    from heroku_agents.redaction import redact

    class _Mask(logging.Filter):
        def filter(self, record: logging.LogRecord) -> bool:
            record.msg, record.args = redact(record.getMessage(), secrets), None
            return True

    for name in ("", "uvicorn", "uvicorn.error"):  # not uvicorn.access: its formatter unpacks record.args (path, status)
        for handler in logging.getLogger(name).handlers:
            handler.addFilter(_Mask())


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(stream=sys.stderr, level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    import uvicorn

    from heroku_agents.local.app import create_app
    from heroku_agents.local.serve import bind_socket, socket_url
    from heroku_agents.local.settings import LocalSettings
    from heroku_agents.procfile import ProcfileError
    from heroku_agents.redaction import redact

    overrides: dict[str, object] = {"procfile": args.procfile, "key": args.key, "warm_pool": args.warm, "max_steps": args.max_steps,
                                   "max_tool_processes": args.max_processes,
                                   "heartbeat_seconds": args.heartbeat}
    try:
        settings = LocalSettings.from_env(**overrides)
    except ValueError as exc:  # pydantic's ValidationError too; its messages leave the input values out
        problems = [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()] if hasattr(exc, "errors") else [str(exc)]
        print(f"error: {'; '.join(problems)}", file=sys.stderr)
        return 2
    if args.offline and settings.upstream_url:
        settings = settings.model_copy(update={"upstream_url": None, "upstream_key": None})
    try:
        app = create_app(settings)
    except (FileNotFoundError, ProcfileError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        sock = bind_socket(args.host, args.port)
    except OSError as exc:
        print(f"error: cannot listen on {args.host}:{args.port} ({exc.strerror}); try --port 0", file=sys.stderr)
        return 2
    url = socket_url(sock)
    model = "offline planner (not an LLM)" if not settings.upstream_url else f"upstream {redact(settings.upstream_url)}"
    print(f"INFERENCE_URL={url}", flush=True)
    print(f"INFERENCE_KEY={settings.key}", flush=True)
    print(f"local Agents endpoint on {url} (model: {model}; Procfile: {args.procfile})", file=sys.stderr, flush=True)
    config = uvicorn.Config(app, log_level=args.log_level.lower(), lifespan="on", timeout_graceful_shutdown=5)
    _mask_secrets_in_logs(settings.secrets)  # after uvicorn has set up its own log handlers
    from heroku_agents.local.process import kill_all_live

    try:
        uvicorn.Server(config).run(sockets=[sock])
    except KeyboardInterrupt:  # uvicorn re-raises Ctrl-C after its graceful shutdown
        pass
    finally:
        kill_all_live()  # whatever way the server stopped, no tool process outlives the endpoint
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
