"""Registration: preflight failures (real STDIO servers, temp Procfiles), the add-on attach against a
schema-checked fake Platform API, and polling /v1/mcp/servers of the local endpoint and of stand-ins.

The Heroku Platform API is not reachable offline: `FakePlatform` below stands in for the two routes
`register_servers.py` uses (`/apps/{app}/addon-attachments`, `POST /addon-attachments`,
`/apps/{app}/config-vars`), and every request and answer is checked against Heroku's published
hyper-schema with the app-diagnostics tests' `heroku_schema` helpers.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from heroku_agents.client import AgentsClient
from heroku_agents.errors import PlatformAPIError, PreflightError, RegistrationError, RegistrationTimeout
from heroku_agents.local.serve import serve_local
from heroku_agents.mcp_stdio import server_environment
from heroku_agents.registration import attach_inference, preflight, register, wait_until_synced

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "app_diagnostics"))
from heroku_schema import find_links, validate_request, validate_response

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[2]
TOY = Path(__file__).parent / "servers" / "toy_server.py"
API_KEY = "hrku-test-0123456789abcdef"
APP_ID = "01234567-89ab-cdef-0123-456789abcdef"
ADDON_ID = "11111111-2222-3333-4444-555555555555"


def toy(flavour: str, name: str | None = None) -> str:
    return f"{name or 'mcp-' + flavour}: {sys.executable} {TOY} --flavour {flavour}"


def write_procfile(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "Procfile"
    path.write_text("\n".join(lines) + "\n")
    return path


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


class FakePlatform:
    """Stand-in for the Heroku Platform API's attachment and config-var routes, checked against its hyper-schema."""

    def __init__(self, *, attached: bool, config: dict[str, str] | None = None) -> None:
        self.attachments: list[dict[str, Any]] = [self._attachment("claude-4-sonnet-acute-41518", "INFERENCE")] if attached else []
        self.config = config or {}
        self.calls: list[tuple[str, str, Any]] = []
        self.problems: list[str] = []
        self.app = Starlette(routes=[
            Route("/apps/{app}/addon-attachments", self.list_attachments, methods=["GET"]),
            Route("/addon-attachments", self.create_attachment, methods=["POST"]),
            Route("/apps/{app}/config-vars", self.config_vars, methods=["GET"]),
        ])

    @staticmethod
    def _attachment(addon: str, name: str) -> dict[str, Any]:
        return {
            "addon": {"id": ADDON_ID, "name": addon, "app": {"id": APP_ID, "name": "model-host"}},
            "app": {"id": APP_ID, "name": "my-mcp-app"},
            "created_at": "2026-11-25T17:00:00Z", "updated_at": "2026-11-25T17:00:00Z",
            "id": "22222222-3333-4444-5555-666666666666", "name": name,
            "namespace": None, "web_url": None, "log_input_url": None,
        }

    def _answer(self, request: Request, body: Any, status: int, answer: Any) -> Response:
        self.calls.append((request.method, request.url.path, body))
        if request.headers.get("authorization") != f"Bearer {API_KEY}":
            return JSONResponse({"id": "unauthorized", "message": "Invalid credentials provided."}, status_code=401,
                                headers={"Request-Id": "req-401"})
        if request.headers.get("accept") != "application/vnd.heroku+json; version=3":
            self.problems.append(f"bad Accept: {request.headers.get('accept')}")
        [link] = find_links(request.method, request.url.path)[:1]
        self.problems += validate_request(link, body) + validate_response(link, answer)
        return JSONResponse(answer, status_code=status)

    async def list_attachments(self, request: Request) -> Response:
        return self._answer(request, None, 200, self.attachments)

    async def create_attachment(self, request: Request) -> Response:
        body = json.loads(await request.body())
        created = self._attachment(body["addon"], body.get("name", "INFERENCE"))
        self.attachments.append(created)
        return self._answer(request, body, 201, created)

    async def config_vars(self, request: Request) -> Response:
        return self._answer(request, None, 200, self.config)


def platform_http(fake: FakePlatform) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=fake.app))


async def test_attach_posts_addon_app_and_name_like_addons_attach_as_inference() -> None:
    fake = FakePlatform(attached=False)
    attachment = await attach_inference("my-mcp-app", API_KEY, addon="claude-4-sonnet-acute-41518",
                                        base_url="http://api.test", http=platform_http(fake))
    assert fake.calls == [
        ("GET", "/apps/my-mcp-app/addon-attachments", None),
        ("POST", "/addon-attachments", {"addon": "claude-4-sonnet-acute-41518", "app": "my-mcp-app", "name": "INFERENCE"}),
    ]
    assert fake.problems == []
    assert attachment.describe() == (
        "claude-4-sonnet-acute-41518 attached to my-mcp-app as INFERENCE "
        "(config vars INFERENCE_URL, INFERENCE_KEY, INFERENCE_MODEL_ID)"
    )


async def test_attach_says_already_attached_without_posting_and_explains_a_missing_addon() -> None:
    fake = FakePlatform(attached=True)
    attachment = await attach_inference("my-mcp-app", API_KEY, addon=None, base_url="http://api.test", http=platform_http(fake))
    assert attachment.created is False and attachment.describe().startswith("claude-4-sonnet-acute-41518 already attached")
    assert [c[0] for c in fake.calls] == ["GET"] and fake.problems == []

    with pytest.raises(RegistrationError) as info:
        await attach_inference("my-mcp-app", API_KEY, addon=None, base_url="http://api.test",
                               http=platform_http(FakePlatform(attached=False)))
    assert "pass --addon MODEL_RESOURCE" in str(info.value)
    assert "`heroku ai:models:create claude-4-sonnet -a my-mcp-app --as INFERENCE`" in str(info.value)


async def test_refused_platform_key_names_heroku_api_key() -> None:
    with pytest.raises(PlatformAPIError) as info:
        await attach_inference("my-mcp-app", "wrong-key", addon="x", base_url="http://api.test",
                               http=platform_http(FakePlatform(attached=False)))
    assert str(info.value) == (
        "Platform API HTTP 401, request id req-401: Invalid credentials provided.; "
        "HEROKU_API_KEY was refused (`export HEROKU_API_KEY=$(heroku auth:token)`)"
    )


async def test_register_against_the_local_endpoint_polls_until_synced_and_finds_no_difference(tmp_path: Path) -> None:
    procfile = write_procfile(tmp_path, toy("echo"))
    lines: list[str] = []
    with anyio.fail_after(60):
        result = await register(procfile=procfile, config_dir=None, env={}, poll_interval=0.05, poll_timeout=30,
                                out=lines.append)
    assert result.local and result.endpoint.startswith("http://127.0.0.1:")
    assert [d.clean for d in result.diffs] == [True]
    assert lines[0] == "preflight ok: 1 server(s), 2 tool(s); configs checked: none"
    assert lines[1] == "  mcp-echo: echo, add"
    assert lines[2].startswith("no --app: skipping the add-on attachment")
    assert lines[3].startswith("INFERENCE_URL is not set: started the local Agents endpoint")
    assert "  mcp-echo: registered/synced (2 tools)" in lines
    assert lines[-1] == f"registered and synced at {result.endpoint}: mcp-echo (2 tools)"


def servers_app(states: list[list[dict[str, Any]]]) -> Starlette:
    """A stand-in `/v1/mcp/servers` answering each poll with the next state (the last repeats)."""
    polls = {"n": 0}

    async def servers(request: Request) -> Response:
        state = states[min(polls["n"], len(states) - 1)]
        polls["n"] += 1
        return JSONResponse(state)

    return Starlette(routes=[Route("/v1/mcp/servers", servers, methods=["GET"])])


def record(status: str, primitives: str, tools: list[tuple[str, str, dict[str, Any]]]) -> dict[str, Any]:
    return {"id": "15ac9382-5804-49ac-bf94-8bab2f4b62ce", "app_id": APP_ID, "process_type": "mcp-echo",
            "process_command": "python toy_server.py", "created_at": "2025-05-07T16:44:34.259Z",
            "updated_at": "2025-05-07T16:44:38.291Z", "namespace": "acute-partridge", "server_status": status,
            "primitives_status": primitives,
            "tools": [{"name": n, "namespaced_name": f"mcp-echo/{n}", "description": d, "input_schema": s,
                       "annotations": {}} for n, d, s in tools]}


async def test_register_with_app_attaches_reads_config_vars_polls_heroku_and_reports_tool_differences(tmp_path: Path) -> None:
    stale = [("echo", "An older description.", {"type": "object", "properties": {"text": {}}, "required": ["text"]}),
             ("shout", "Removed since.", {"type": "object", "properties": {}})]
    states = [[], [record("registered", "syncing", [])], [record("registered", "synced", stale)]]
    lines: list[str] = []
    async with serve_local(servers_app(states)) as inference_url:
        fake = FakePlatform(attached=False, config={"INFERENCE_URL": inference_url, "INFERENCE_KEY": "inf-k"})
        with anyio.fail_after(60), pytest.raises(RegistrationError) as info:
            await register(procfile=write_procfile(tmp_path, toy("echo")), config_dir=None,
                           env={"HEROKU_API_KEY": API_KEY, "HEROKU_API_URL": "http://api.test"}, app="my-mcp-app",
                           addon="claude-4-sonnet-acute-41518", poll_interval=0.01, out=lines.append,
                           platform_http=platform_http(fake))
    assert fake.problems == []
    assert [c[:2] for c in fake.calls] == [("GET", "/apps/my-mcp-app/addon-attachments"), ("POST", "/addon-attachments"),
                                           ("GET", "/apps/my-mcp-app/config-vars")]
    assert lines[2:6] == [
        "claude-4-sonnet-acute-41518 attached to my-mcp-app as INFERENCE (config vars INFERENCE_URL, INFERENCE_KEY, INFERENCE_MODEL_ID)",
        "  mcp-echo: not listed",
        "  mcp-echo: registered/syncing (0 tools)",
        "  mcp-echo: registered/synced (2 tools)",
    ]
    assert str(info.value) == (
        "registered tools differ from the local servers:\n"
        "  - mcp-echo: registered but not served locally: shout\n"
        "  - mcp-echo: served locally but not registered: add\n"
        "  - mcp-echo: echo: description differs (redeploy, then wait for the sync)"
    )


async def test_polling_is_bounded_and_a_sync_error_fails_at_once() -> None:
    async with serve_local(servers_app([[record("registered", "syncing", [])]])) as url:
        async with AgentsClient(url, None) as client:
            with anyio.fail_after(10), pytest.raises(RegistrationTimeout) as info:
                await wait_until_synced(client, ["mcp-echo", "mcp-other"], timeout=0.2, interval=0.05)
    assert str(info.value).startswith(
        "after 0s still waiting for mcp-echo (registered/syncing (0 tools)), mcp-other (not listed)")
    async with serve_local(servers_app([[record("registered", "error", [])]])) as url:
        async with AgentsClient(url, None) as client:
            with anyio.fail_after(10), pytest.raises(RegistrationError, match="tool sync failed for mcp-echo"):
                await wait_until_synced(client, ["mcp-echo"], timeout=30, interval=0.05)


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


async def test_app_without_heroku_api_key_fails_before_starting_any_server(tmp_path: Path) -> None:
    with anyio.fail_after(5), pytest.raises(RegistrationError) as info:
        await register(procfile=tmp_path / "absent", config_dir=None, env={}, app="my-mcp-app")
    assert str(info.value) == "--app needs HEROKU_API_KEY to attach the add-on: `export HEROKU_API_KEY=$(heroku auth:token)`"
    assert info.value.exit_code == 10
