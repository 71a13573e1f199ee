"""Registration preflight: real STDIO servers in temp Procfiles, checked as Heroku would register them,
and the agent configs checked against the tools they serve."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import anyio
import pytest
from registration_fakes import TOY, toy, write_procfile

from heroku_agents.errors import PreflightError
from heroku_agents.mcp_stdio import server_environment
from heroku_agents.registration import preflight

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[2]


def write_config(folder: Path, name: str, tools: list[str]) -> None:
    folder.mkdir(exist_ok=True)
    items = "".join(f"  - type: mcp\n    name: {t}\n" for t in tools)
    (folder / f"{name}.yaml").write_text(f"name: {name}\nmessages:\n  - role: user\n    content: hi\ntools:\n{items}")


async def test_preflight_passes_for_valid_servers_and_configs_and_lists_every_tool(tmp_path: Path) -> None:
    procfile = write_procfile(tmp_path, "web: python -m http.server", toy("echo"))
    write_config(tmp_path / "configs", "ok", ["mcp-echo/add", "echo"])
    with anyio.fail_after(60):
        report = await preflight(procfile, config_dir=tmp_path / "configs", env=server_environment())
    assert report.process_types == ["mcp-echo"]
    assert [(t.namespaced_name, t.description) for t in report.tools["mcp-echo"]] == [
        ("mcp-echo/echo", "Return the text unchanged. Use it to check the wiring."),
        ("mcp-echo/add", "Add two integers and return the total with a one-line summary."),
    ]
    assert report.configs_checked == ["ok"] and report.problems == []


async def test_preflight_reports_every_problem_with_its_message(tmp_path: Path) -> None:
    procfile = write_procfile(
        tmp_path,
        toy("echo"),
        toy("other"),  # serves `echo` too
        toy("badname"),
        toy("nodesc"),
        toy("noschema"),
        toy("crash"),
        toy("echo", name="postgres-mcp"),  # an MCP server Heroku would never register
    )
    configs = tmp_path / "configs"
    write_config(configs, "refs", ["mcp-echo/add", "mcp-echo/nope", "mcp-ghost/x", "vanished"])
    (configs / "broken.yaml").write_text("name: broken\nmessages: []\n")
    with anyio.fail_after(90), pytest.raises(PreflightError) as info:
        await preflight(procfile, config_dir=configs, env=server_environment())
    problems = info.value.problems
    pf = str(procfile)
    expected_starts = [
        f"{pf}:7: process type 'postgres-mcp' looks like an MCP server but does not start with 'mcp'",
        "mcp-other/echo: tool name 'echo' is also served by mcp-echo",
        "mcp-badname/bad name!: tool name 'bad name!' is not [A-Za-z0-9_-]{1,64}",
        "mcp-nodesc/undocumented: no description",
        f"mcp-noschema (`{sys.executable} {TOY} --flavour noschema`, Procfile line 5) failed to list its tools: "
        "answered an MCP error",
        f"mcp-crash (`{sys.executable} {TOY} --flavour crash`, Procfile line 6) exited or broke the STDIO pipe",
        f"{configs / 'broken.yaml'}:2: messages: must be a non-empty list",
        f"{configs / 'refs.yaml'}:9: mcp-echo/nope: mcp-echo serves no tool 'nope' (it serves: add, echo)",
        f"{configs / 'refs.yaml'}:11: mcp-ghost/x: no process type 'mcp-ghost' in {pf}",
        f"{configs / 'refs.yaml'}:13: vanished: no mcp* server provides this tool",
    ]
    assert len(problems) == len(expected_starts), problems
    for problem, start in zip(problems, expected_starts, strict=True):
        assert problem.startswith(start), (problem, start)
    assert "stderr: toy_server: refusing to start (crash flavour)" in problems[5]
    assert "inputSchema.type" in problems[4]
    assert str(info.value).startswith("preflight found 10 problem(s):\n  - ")


async def test_preflight_without_mcp_process_types_or_procfile_says_so(tmp_path: Path) -> None:
    with pytest.raises(PreflightError) as info:
        await preflight(write_procfile(tmp_path, "web: python -m http.server"), config_dir=None, env={})
    assert info.value.problems == [f"{tmp_path / 'Procfile'}: no mcp* process type; Heroku would register nothing"]
    with pytest.raises(PreflightError, match="no Procfile; add a line like"):
        await preflight(tmp_path / "absent", config_dir=None, env={})


def test_register_servers_script_runs_the_preflight_and_exits_10_on_problems(tmp_path: Path) -> None:
    procfile = write_procfile(tmp_path, toy("badname"))
    done = subprocess.run([sys.executable, "scripts/register_servers.py", "--procfile", str(procfile),
                           "--configs", str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 10
    assert "error: preflight found 1 problem(s):" in done.stderr
    assert "mcp-badname/bad name!: tool name 'bad name!' is not [A-Za-z0-9_-]{1,64}" in done.stderr


async def test_the_repository_procfile_serves_every_tool_the_shipped_configs_name() -> None:
    from heroku_agents.configs import CONFIG_DIR

    with anyio.fail_after(90):
        report = await preflight(ROOT / "Procfile", config_dir=CONFIG_DIR, env=server_environment({}))
    assert report.process_types == ["mcp-postgres", "mcp-appdiag"]
    assert report.configs_checked == ["app-triage", "db-health", "incident-runbook", "index-advisor", "slow-queries"]
    assert report.problems == []
