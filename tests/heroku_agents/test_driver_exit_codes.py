"""The driver's exit codes on its default path: no INFERENCE_URL, so it starts the local endpoint itself.

Errors cross the endpoint's task groups (uvicorn's, ours) on the way out; the exit code and a one-line
message must not depend on that. The model upstream is a Starlette stand-in for an OpenAI-compatible
server (no LLM runs offline); everything else is real: the endpoint, its HTTP, the tool processes.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import anyio
import pytest
from driver_support import run_main
from starlette.applications import Starlette
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from heroku_agents.local.serve import serve_local

pytestmark = pytest.mark.anyio

SERVERS = Path(__file__).parent / "servers"
FLAKY = Path(__file__).parent / "local" / "flaky_server.py"


async def run_json(procfile: Path, config: Path, env: dict[str, str], *args: str) -> tuple[int, list[dict], str]:
    """main() on `config` with `--json` and `--procfile`: its exit code, its NDJSON lines and its stderr."""
    code, out, err = await run_main([str(config), "--json", "--procfile", str(procfile), *args], env)
    return code, [json.loads(line) for line in out.splitlines()], err


def _setup(tmp_path: Path, tool: str, content: str = "Add two numbers with the add tool.") -> tuple[Path, Path]:
    procfile = tmp_path / "Procfile"
    procfile.write_text(
        f"mcp-echo: {sys.executable} {SERVERS / 'toy_server.py'} --flavour echo\n"
        f"mcp-flaky: {sys.executable} {FLAKY}\n"
        f"mcp-broken: {sys.executable} {FLAKY} --crash-on-start\n"
    )
    config = tmp_path / "run.yaml"
    config.write_text(f"name: run\nmessages:\n  - {{role: user, content: {content}}}\ntools:\n  - {{type: mcp, name: {tool}}}\n")
    return procfile, config


def _assert_one_error_line(stderr: str, lines: list[dict], code: int) -> None:
    assert "Traceback" not in stderr and "ExceptionGroup" not in stderr
    assert lines[-1]["type"] == "error" and lines[-1]["exit_code"] == code


async def test_an_unknown_tool_exits_4_with_the_endpoints_reason(tmp_path: Path) -> None:
    procfile, config = _setup(tmp_path, "mcp-echo/nope")
    code, lines, err = await run_json(procfile, config, {})
    assert code == 4, err
    _assert_one_error_line(err, lines, 4)
    assert "no registered MCP server has a tool named 'mcp-echo/nope'" in lines[-1]["message"]


async def test_a_procfile_server_that_cannot_start_exits_9_naming_it_and_its_stderr(tmp_path: Path) -> None:
    procfile, config = _setup(tmp_path, "mcp-broken/echo_text")
    code, lines, err = await run_json(procfile, config, {})
    assert code == 9, err
    _assert_one_error_line(err, lines, 9)
    assert lines[-1]["message"].startswith("mcp-broken (`")
    assert "refusing to start (--crash-on-start)" in lines[-1]["message"]


async def test_a_run_whose_every_tool_call_failed_exits_11_not_0(tmp_path: Path) -> None:
    procfile, config = _setup(tmp_path, "mcp-flaky/crash_now", "Crash now please.")
    code, lines, err = await run_json(procfile, config, {})
    assert code == 11, err
    _assert_one_error_line(err, lines, 11)
    assert [line["is_error"] for line in lines if line["type"] == "tool_result"] == [True]


def _upstream(response: Response | None) -> Starlette:
    """A stand-in for the OpenAI-compatible model upstream that answers every step with `response`, or never (None)."""

    async def completions(_request: object) -> Response:
        if response is None:
            await anyio.sleep(3600)
            raise AssertionError("unreachable")
        return response

    return Starlette(routes=[Route("/v1/chat/completions", completions, methods=["POST"])])


@pytest.mark.parametrize(("response", "code"), [
    (JSONResponse({"error": {"message": "bad key"}}, status_code=401), 6),
    (JSONResponse({"error": {"message": "slow down"}}, status_code=429), 6),
    (JSONResponse({"error": {"message": "boom"}}, status_code=503), 6),
    (PlainTextResponse("<html>not json</html>"), 6),
], ids=["401", "429", "503", "not-json"])
async def test_an_upstream_failure_exits_with_its_code_and_one_line(tmp_path: Path, response: Response, code: int) -> None:
    procfile, config = _setup(tmp_path, "mcp-echo/add")
    async with serve_local(_upstream(response)) as url:
        env = {"UPSTREAM_INFERENCE_URL": url, "UPSTREAM_INFERENCE_KEY": "upstream-secret-key"}
        got, lines, err = await run_json(procfile, config, env)
    assert got == code, err
    _assert_one_error_line(err, lines, code)
    assert "upstream-secret-key" not in err + json.dumps(lines)


async def test_an_upstream_that_never_answers_ends_the_run_after_one_bounded_step_without_retries(tmp_path: Path) -> None:
    procfile, config = _setup(tmp_path, "mcp-echo/add")
    async with serve_local(_upstream(None)) as url:
        env = {"UPSTREAM_INFERENCE_URL": url, "UPSTREAM_INFERENCE_KEY": "upstream-secret-key", "UPSTREAM_STEP_TIMEOUT_S": "1"}
        code, lines, err = await run_json(procfile, config, env)
    assert code == 6, err
    _assert_one_error_line(err, lines, 6)
    message = lines[-1]["message"]
    assert "HTTP 504" in message and "did not answer within 1 s (UPSTREAM_STEP_TIMEOUT_S" in message
    assert "after 1 attempts" in message  # a timeout is not retried: it would only multiply the wait


async def test_a_run_past_the_drivers_timeout_exits_7_naming_the_limit(tmp_path: Path) -> None:
    procfile, config = _setup(tmp_path, "mcp-echo/add")
    async with serve_local(_upstream(None)) as url:
        env = {"UPSTREAM_INFERENCE_URL": url, "UPSTREAM_INFERENCE_KEY": "upstream-secret-key"}
        code, lines, err = await run_json(procfile, config, env, "--timeout", "2")
    assert code == 7, err
    _assert_one_error_line(err, lines, 7)
    assert "the run did not finish within --timeout 2s" in lines[-1]["message"]
