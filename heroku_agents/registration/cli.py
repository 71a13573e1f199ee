"""`scripts/register_servers.py`: argument parsing and exit codes of the registration flow."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import anyio

from heroku_agents.configs import CONFIG_DIR
from heroku_agents.errors import EXIT_CODES, AgentsError
from heroku_agents.registration.flow import register
from heroku_agents.registration.platform import DEFAULT_ALIAS
from heroku_agents.registration.sync import DEFAULT_POLL_INTERVAL, DEFAULT_POLL_TIMEOUT

__all__ = ["build_parser", "main"]

EPILOG = """\
steps:
  1. preflight (offline): start every mcp* process of the Procfile over STDIO and list its tools; fail on
     duplicate or invalid tool names, missing descriptions or schemas, MCP-looking process types that do
     not start with 'mcp', and agent_configs/ tools no server provides
  2. with --app and HEROKU_API_KEY: attach the inference add-on (heroku addons:attach MODEL_RESOURCE -a APP --as INFERENCE)
  3. poll $INFERENCE_URL/v1/mcp/servers until each process type is registered/synced, then diff the tools;
     without INFERENCE_URL (and no --app) the local endpoint is started and polled instead

environment:
  HEROKU_API_KEY   Platform API token (`heroku auth:token`); needed with --app
  HEROKU_API_URL   Platform API base URL (default https://api.heroku.com)
  INFERENCE_URL, INFERENCE_KEY   the add-on's endpoint and key (read from the app's config vars when unset)
"""


def build_parser() -> argparse.ArgumentParser:
    codes = "\n".join(f"  {code:<3} {text}" for code, text in EXIT_CODES.items() if code in (0, 1, 2, 5, 9, 10))
    parser = argparse.ArgumentParser(
        prog="register_servers.py",
        description="Check, attach and verify the registration of this app's MCP servers with Heroku Managed Inference and Agents.",
        epilog=f"{EPILOG}\nexit codes:\n{codes}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--app", help="the Heroku app running the mcp* process types")
    parser.add_argument("--addon", help="the model resource to attach (e.g. claude-4-sonnet-acute-41518)")
    parser.add_argument("--as", dest="alias", default=DEFAULT_ALIAS, help="attachment name (default INFERENCE)")
    parser.add_argument("--procfile", type=Path, default=Path("Procfile"))
    parser.add_argument("--configs", type=Path, default=CONFIG_DIR, help="agent_configs folder to check (default: the repo's)")
    parser.add_argument("--timeout", type=float, default=DEFAULT_POLL_TIMEOUT, help="seconds to wait for registered/synced")
    parser.add_argument("--interval", type=float, default=DEFAULT_POLL_INTERVAL, help="seconds between polls")
    return parser


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    env = dict(os.environ if env is None else env)

    def out(line: str) -> None:
        print(line, flush=True)

    try:
        anyio.run(lambda: register(procfile=args.procfile, config_dir=args.configs, env=env, app=args.app,
                                   addon=args.addon, alias=args.alias, poll_timeout=args.timeout,
                                   poll_interval=args.interval, out=out))
    except AgentsError as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    return 0
