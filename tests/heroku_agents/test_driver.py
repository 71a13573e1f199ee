"""The driver end to end: `run_agent.py`'s main over real loopback HTTP.

Heroku itself is not reachable offline. Two stand-ins are used: the spec's verbatim stream replayed
by a Starlette app (`agents_fakes.replay_app`: what Heroku sent in its documented example), and the
project's own local Agents endpoint (`heroku_agents.local`) that the driver starts when
INFERENCE_URL is unset.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from agents_fakes import replay_app
from driver_support import run_main
from refused_port import refused_port
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from heroku_agents.errors import EXIT_CODES
from heroku_agents.local.serve import serve_local

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[2]
KEY = "inf-123abc9f-2a6c-441a-9f72-e2dc15cdcaaa"
SHA = "7ebc92bcf8f51f0b623a18f0a357639410a409340043c7a670bb180acd138e6b"


async def test_agents_mode_json_output_is_one_event_per_line_ending_with_the_answer_and_usage_totals() -> None:
    seen: list[dict[str, Any]] = []
    async with serve_local(replay_app(seen)) as url:
        code, out, _ = await run_main(["db-health", "--json", "--prompt", "is it healthy?"],
                                      {"INFERENCE_URL": url, "INFERENCE_KEY": KEY, "INFERENCE_MODEL_ID": "claude-4-5-haiku"})
    assert code == 0
    lines = [json.loads(line) for line in out.splitlines()]
    assert [line["type"] for line in lines] == [
        "run_started", "model_step", "tool_result", "model_step", "final_answer", "run_finished"]
    assert lines[0] | {"url": None} == {
        "type": "run_started", "mode": "agents", "url": None, "model": "claude-4-5-haiku", "config": "db-health",
        "local": False, "note": "", "tools": ["mcp-postgres/pg_diagnose", "mcp-postgres/pg_table_stats",
                                             "mcp-postgres/pg_index_stats", "mcp-postgres/pg_activity", "mcp-postgres/pg_schema"]}
    assert lines[1]["tool_calls"][0]["name"] == "mcp-python/code_exec_python"
    assert lines[1]["tool_calls"][0]["arguments"]["code"].startswith("import hashlib")
    assert lines[1]["raw"]["object"] == "chat.completion"
    assert lines[2]["summary"] == f'{{"returncode": 0, "stdout": "String: Heroku Rocks\\nSHA256: {SHA}", "stderr": ""}}'
    assert lines[4]["content"].endswith(f"**{SHA}**")
    figures = lines[5]["figures"]
    assert (figures["model_steps"], figures["tool_calls"], figures["total_tokens"]) == (2, 1, 1801)
    assert (figures["prompt_tokens"], figures["completion_tokens"]) == (629 + 947, 163 + 62)
    # the request sent: the config's body with the prompt replaced and the model from INFERENCE_MODEL_ID
    [call] = seen
    assert call["body"]["model"] == "claude-4-5-haiku"
    assert call["body"]["messages"][-1] == {"role": "user", "content": "is it healthy?"}
    assert call["body"]["temperature"] == 0.2 and call["body"]["max_tokens_per_inference_request"] == 2048
    assert call["body"]["tools"][0] == {"type": "mcp", "name": "mcp-postgres/pg_diagnose", "runtime_params": {"max_calls": 2}}


async def test_live_view_shows_steps_tool_call_arguments_result_answer_and_figures() -> None:
    async with serve_local(replay_app([])) as url:
        code, out, _ = await run_main(["db-health"], {"INFERENCE_URL": url, "INFERENCE_KEY": KEY})
    assert code == 0
    assert "db-health · agents mode · Heroku · model claude-4-sonnet" in out
    assert "step 1 · tool_calls · 629+163 tokens" in out
    assert "→ mcp-python/code_exec_python {\"code\": \"import hashlib" in out
    assert "← mcp-python/code_exec_python" in out
    assert SHA in out and "answer" in out
    assert "total tokens" in out and "1801" in out
    assert KEY not in out


async def test_bad_key_exits_3_and_names_inference_key() -> None:
    async def refuse(request: Request) -> Response:
        return JSONResponse({"error": {"message": "Invalid API key"}}, status_code=401)

    app = Starlette(routes=[Route("/v1/agents/heroku", refuse, methods=["POST"])])
    async with serve_local(app) as url:
        code, out, err = await run_main(["db-health", "--json"], {"INFERENCE_URL": url, "INFERENCE_KEY": KEY})
    assert code == 3
    error = json.loads(out.splitlines()[-1])
    assert error["type"] == "error" and error["error"] == "AuthenticationError" and error["exit_code"] == 3
    assert "Invalid API key — INFERENCE_KEY was refused" in error["message"]
    assert "INFERENCE_KEY was refused" in err and KEY not in err + out


async def test_unreachable_url_exits_5_and_names_it() -> None:
    with refused_port() as port:
        url = f"http://127.0.0.1:{port}"
        code, _, err = await run_main(["slow-queries"], {"INFERENCE_URL": url, "INFERENCE_KEY": KEY})
    assert code == 5
    assert f"cannot reach {url}/v1/agents/heroku (connection refused)" in err


@pytest.mark.parametrize(
    ("argv", "env", "message"),
    [
        (["db-health"], {"INFERENCE_URL": "http://127.0.0.1:1"}, "INFERENCE_URL is set but INFERENCE_KEY is not"),
        (["incident-runbook"], {"INFERENCE_URL": "http://127.0.0.1:1", "INFERENCE_KEY": KEY},
         "incident-runbook.yaml:11: messages[0].content: ${HEROKU_APP_NAME} is not set"),
        (["no-such-config"], {}, "no such config (known in"),
    ],
)
async def test_configuration_problems_exit_2_before_any_request(argv: list[str], env: dict[str, str], message: str) -> None:
    code, _, err = await run_main(argv, env)
    assert code == 2
    assert message in " ".join(err.split())


def test_help_documents_modes_environment_and_every_exit_code() -> None:
    done = subprocess.run([sys.executable, "scripts/run_agent.py", "--help"], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0
    assert "--mode {agents,chat,both}" in done.stdout
    assert "INFERENCE_URL" in done.stdout and "INFERENCE_KEY" in done.stdout
    for code, text in EXIT_CODES.items():
        assert f"  {code:<3} {text}" in done.stdout


async def test_without_inference_url_the_driver_starts_the_local_endpoint_and_runs_both_modes(tmp_path: Path) -> None:
    toy = Path(__file__).parent / "servers" / "toy_server.py"
    procfile = tmp_path / "Procfile"
    procfile.write_text(f"mcp-echo: {sys.executable} {toy} --flavour echo\n")
    config = tmp_path / "add.yaml"
    config.write_text("name: add\nmessages:\n  - {role: user, content: Add two numbers with the add tool.}\n"
                      "tools:\n  - {type: mcp, name: mcp-echo/add}\n")
    code, out, err = await run_main([str(config), "--json", "--mode", "both", "--procfile", str(procfile)], {})
    assert code == 0, err
    lines = [json.loads(line) for line in out.splitlines()]
    starts = [line for line in lines if line["type"] == "run_started"]
    assert [(s["mode"], s["local"], s["tools"]) for s in starts] == [
        ("agents", True, ["mcp-echo/add"]), ("chat", True, ["mcp-echo/add"])]
    assert starts[0]["note"].startswith("INFERENCE_URL is not set: started the local Agents endpoint (heroku_agents.local) at http://127.0.0.1:")
    for mode in ("agents", "chat"):
        run = lines[lines.index(next(s for s in starts if s["mode"] == mode)):]
        call = next(line for line in run if line["type"] == "model_step" and line["tool_calls"])["tool_calls"][0]
        result = next(line for line in run if line["type"] == "tool_result")
        a, b = call["arguments"]["a"], call["arguments"]["b"]
        assert (call["name"], result["name"], result["is_error"]) == ("mcp-echo/add", "mcp-echo/add", False)
        assert result["summary"] == f"{a} + {b} = {a + b}"
        figures = next(line for line in run if line["type"] == "run_finished")["figures"]
        assert figures["mode"] == mode and figures["tool_calls"] == 1 and figures["total_tokens"] > 0
        assert figures["tool_time"] > 0 and figures["model_time"] > 0 and result["duration"] > 0
        assert f"{a + b}" in figures["final_answer"]
    chat = [line for line in lines if line["type"] == "run_finished"][1]["figures"]
    assert chat["setup"] > 0 and chat["model_time"] > 0


async def test_bare_names_sends_mcp_tools_without_their_process_type() -> None:
    seen: list[dict[str, Any]] = []
    async with serve_local(replay_app(seen)) as url:
        code, _, _ = await run_main(["incident-runbook", "--json", "--bare-names"],
                                    {"INFERENCE_URL": url, "INFERENCE_KEY": KEY, "HEROKU_APP_NAME": "shop"})
    assert code == 0
    assert [t["name"] for t in seen[0]["body"]["tools"]] == [
        "app_overview", "analyze_logs", "recent_releases", "pg_diagnose", "pg_activity", "dyno_run_command"]
