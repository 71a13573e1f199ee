"""`scripts/run_agent.py`: argument parsing, wiring and exit codes of the driver."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import anyio
from rich.console import Console

from heroku_agents.client import AgentsClient
from heroku_agents.configs import CONFIG_DIR, find_config, load_config
from heroku_agents.driver.agents_mode import run_agents
from heroku_agents.driver.chat_mode import DEFAULT_MAX_TURNS, McpToolbox, run_chat
from heroku_agents.driver.events import RunFigures, RunStarted
from heroku_agents.driver.render import JsonRenderer, Renderer, RichRenderer, comparison_table
from heroku_agents.endpoint import open_endpoint
from heroku_agents.errors import (
    EXIT_CODES,
    AgentsError,
    McpServerError,
    RequestRejectedError,
    StreamInterruptedError,
    ToolsFailedError,
    innermost,
)
from heroku_agents.models import AgentRequest
from heroku_agents.procfile import ProcfileError, load_procfile
from heroku_agents.redaction import redact

__all__ = ["bare_tool_names", "build_parser", "drive", "main"]

LOCAL_MODEL = "claude-4-sonnet"  # the name sent to the local endpoint when nothing names a model
# A whole run, every model step and tool call included: well past Heroku's 300 s cap on one tool call.
DEFAULT_RUN_TIMEOUT = 900.0

ENV_HELP = """\
environment:
  INFERENCE_URL        the add-on's URL (`heroku config:get INFERENCE_URL -a APP`); unset: the local endpoint
  INFERENCE_KEY        the add-on's key, sent as `Authorization: Bearer ...`
  INFERENCE_MODEL_ID   model when the config names none (e.g. claude-4-sonnet)
  HEROKU_APP_NAME      the app diagnosed by app-triage and incident-runbook (dyno_run_command runs there)
"""


def build_parser() -> argparse.ArgumentParser:
    codes = "\n".join(f"  {code:<3} {text}" for code, text in EXIT_CODES.items())
    parser = argparse.ArgumentParser(
        prog="run_agent.py",
        description="Submit an agent request from agent_configs/ and watch it work.",
        epilog=f"{ENV_HELP}\nexit codes:\n{codes}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("config", help=f"a config name ({', '.join(p.stem for p in sorted(CONFIG_DIR.glob('*.yaml')))}) or a YAML path")
    parser.add_argument("--prompt", help="replace the config's (last) user message")
    parser.add_argument("--json", action="store_true", help="print NDJSON events instead of the live view")
    parser.add_argument(
        "--mode", choices=["agents", "chat", "both"], default="agents",
        help="agents: POST /v1/agents/heroku (the platform runs the tools); chat: /v1/chat/completions with the "
             "tools run here over STDIO; both: one after the other, with a comparison (default: agents)",
    )
    parser.add_argument("--model", help="override the config's model")
    parser.add_argument("--procfile", type=Path, default=None, help="Procfile of the MCP servers (default: ./Procfile)")
    parser.add_argument(
        "--bare-names", action="store_true",
        help="send mcp tool names without their 'process_type/' prefix (Heroku's documented request form; "
             "the namespaced form is what its stream uses, and what the local endpoint also accepts)",
    )
    parser.add_argument("--timeout", type=float, default=DEFAULT_RUN_TIMEOUT, metavar="SECONDS",
                        help=f"give up on a run (each mode) after SECONDS; exit 7 (default {DEFAULT_RUN_TIMEOUT:g})")
    parser.add_argument("--max-turns", type=int, default=DEFAULT_MAX_TURNS, help="chat mode: model steps before giving up")
    return parser


async def drive(
    request: AgentRequest, modes: Sequence[str], renderer: Renderer, *, config_name: str, procfile: Path,
    env: Mapping[str, str], max_turns: int = DEFAULT_MAX_TURNS, run_timeout: float = DEFAULT_RUN_TIMEOUT,
) -> list[RunFigures]:
    """Run `request` in each mode against the endpoint the environment selects.

    Raises:
        StreamInterruptedError: a run did not finish within `run_timeout` seconds.
    """
    results: list[RunFigures] = []
    async with open_endpoint(env, procfile=procfile) as endpoint:
        shown_url = redact(endpoint.url)  # an INFERENCE_URL with user:password@ must not be printed
        async with AgentsClient(endpoint.url, endpoint.key) as client:
            tools = tuple(t.name for t in request.tools or [])
            for mode in modes:
                if mode == "agents":
                    renderer.on(RunStarted("agents", shown_url, request.model, config_name, endpoint.local, tools, endpoint.note))
                    try:
                        with _bounded(endpoint.url, run_timeout):
                            results.append(await run_agents(client, request, renderer))
                    except RequestRejectedError:
                        if endpoint.local:
                            await _raise_for_failed_servers(client, request)
                        raise
                    continue
                async with McpToolbox.open(load_procfile(procfile), request, env=_server_env(env)) as box:
                    note = endpoint.note
                    if box.skipped:
                        note = (note + "\n" if note else "") + (
                            f"chat mode runs MCP tools only; skipped heroku_tools: {', '.join(box.skipped)}")
                    renderer.on(RunStarted("chat", shown_url, request.model, config_name, endpoint.local,
                                           tuple(e.spec.name for e in box.entries.values()), note))
                    with _bounded(endpoint.url, run_timeout):
                        results.append(await run_chat(client, request, box, renderer, max_turns=max_turns))
    return results


@contextmanager
def _bounded(url: str, seconds: float) -> Iterator[None]:
    try:
        with anyio.fail_after(seconds):
            yield
    except TimeoutError:
        raise StreamInterruptedError(url, [], f"the run did not finish within --timeout {seconds:g}s") from None


async def _raise_for_failed_servers(client: AgentsClient, request: AgentRequest) -> None:
    """The local endpoint rejected the request: when a Procfile server it names could not start, say that
    (exit 9) rather than "unknown tool" (exit 4)."""
    named = {t.name.partition("/")[0] for t in request.tools or [] if t.type == "mcp" and "/" in t.name}
    failed = [s for s in await client.list_mcp_servers() if s.primitives_status == "error" and (s.process_type in named or not named)]
    if failed:
        raise McpServerError("; ".join(
            f"{s.process_type} (`{s.process_command}`) could not start or list its tools: {s.error or 'no reason given'}"
            for s in failed) + "; run the command alone to see its stderr")


def _all_tool_calls_failed(results: Sequence[RunFigures]) -> ToolsFailedError | None:
    calls = sum(r.tool_calls for r in results)
    if calls and sum(r.tool_errors for r in results) == calls:
        return ToolsFailedError(f"every tool call of the run failed ({calls} of {calls}); see the tool results above")
    return None


def _report(exc: AgentsError | ProcfileError | FileNotFoundError, *, as_json: bool, errors: Console) -> int:
    code = exc.exit_code if isinstance(exc, AgentsError) else 2
    if as_json:
        print(json.dumps({"type": "error", "error": type(exc).__name__, "message": str(exc), "exit_code": code}), flush=True)
    errors.print(f"[red]error:[/] {exc}", markup=True, soft_wrap=True)
    return code


def bare_tool_names(request: AgentRequest) -> AgentRequest:
    """`mcp-postgres/pg_diagnose` -> `pg_diagnose` for every mcp tool (heroku_tools keep their names)."""
    tools = [t.model_copy(update={"name": t.name.rsplit("/", 1)[-1]}) if t.type == "mcp" else t for t in request.tools or []]
    return request.model_copy(update={"tools": tools or request.tools})


def _server_env(env: Mapping[str, str]) -> dict[str, str]:
    from heroku_agents.mcp_stdio import server_environment

    return server_environment(env)


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    """Entry point; returns the process exit code (see EXIT_CODES)."""
    args = build_parser().parse_args(argv)
    env = dict(os.environ if env is None else env)
    renderer: Renderer = JsonRenderer(sys.stdout) if args.json else RichRenderer()
    errors = Console(stderr=True, highlight=False)
    procfile = args.procfile or (Path("Procfile") if Path("Procfile").is_file() else CONFIG_DIR.parent / "Procfile")
    try:
        config = load_config(find_config(args.config), env)
        # with no INFERENCE_URL the local endpoint answers; it takes any model name
        fallback = args.model or env.get("INFERENCE_MODEL_ID") or (None if env.get("INFERENCE_URL") else LOCAL_MODEL)
        request = config.to_request(model=fallback, prompt=args.prompt)
        if args.model:
            request = request.model_copy(update={"model": args.model})
        if args.bare_names:
            request = bare_tool_names(request)
        modes = ["agents", "chat"] if args.mode == "both" else [args.mode]
        results = anyio.run(lambda: drive(request, modes, renderer, config_name=config.name, procfile=procfile,
                                          env=env, max_turns=args.max_turns, run_timeout=args.timeout))
    # One place maps errors to exit codes, whichever task group (ours, uvicorn's, the SDK's) wrapped them.
    except BaseException as raised:
        renderer.close()  # before the error is printed: the live line is erased where it stands
        exc = innermost(raised)
        if isinstance(exc, KeyboardInterrupt):
            return 130
        if isinstance(exc, (AgentsError, ProcfileError, FileNotFoundError)):
            return _report(exc, as_json=args.json, errors=errors)
        raise
    finally:
        renderer.close()  # the live "waiting for ..." line must not outlive the run
    if len(results) > 1 and isinstance(renderer, RichRenderer):
        renderer.console.print(comparison_table(results))
    failed = _all_tool_calls_failed(results)
    return _report(failed, as_json=args.json, errors=errors) if failed else 0
