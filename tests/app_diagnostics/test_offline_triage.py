"""The app-triage agent config run offline end to end: the local Agents endpoint with its offline planner
spawns the real mcp-appdiag over STDIO, which reads the fake Platform API (over loopback HTTP) serving
`busy-shop`, an app the API shows as healthy and whose logs say its database is saturated."""

from pathlib import Path

import anyio
import httpx
import pytest
from fake_platform import FAKE_API_KEY, FakeHeroku

from heroku_agents.configs import load_config
from heroku_agents.local.app import create_app
from heroku_agents.local.settings import LocalSettings
from heroku_agents.models import parse_event
from heroku_agents.sse import iter_events

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[2]
KEY = "inf-00000000-0000-4000-8000-000000000015"


@pytest.fixture
def fake() -> FakeHeroku:
    server = FakeHeroku(logs="saturated")
    yield server
    assert server.contract_problems() == []


async def test_offline_app_triage_names_the_saturated_database_that_the_platform_api_does_not_show(
    fake: FakeHeroku, fake_url: str, tmp_path: Path,
) -> None:
    procfile = tmp_path / "Procfile"
    procfile.write_text("mcp-appdiag: python -m mcp_servers.app_diagnostics\n")
    env = {"HEROKU_API_URL": fake_url, "HEROKU_API_KEY": FAKE_API_KEY, "HEROKU_APP_NAME": "busy-shop",
           "HEROKU_LOG_TIMEOUT_S": "10"}
    settings = LocalSettings(key=KEY, procfile=procfile, app_dir=ROOT, child_env=env)
    request = load_config(ROOT / "agent_configs" / "app-triage.yaml", env={"HEROKU_APP_NAME": "busy-shop"}).to_request()
    app = create_app(settings)
    with anyio.fail_after(120):
        async with app.router.lifespan_context(app):
            await app.state.local.ready.wait()
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://local",
                                         headers={"Authorization": f"Bearer {KEY}"}, timeout=90) as client:
                response = await client.post("/v1/agents/heroku", json=request.model_dump(mode="json", exclude_none=True))
    assert response.status_code == 200, response.text
    events = [parse_event(e.data) for e in iter_events([response.content]) if e.data != "[DONE]"]
    called = [e.choices[0].message.name for e in events if e.object == "tool.completion"]
    assert called[-1] == "mcp-appdiag/analyze_logs", called
    answer = events[-1].choices[0].message.content
    for check in ("pg_load", "pg_iops", "pg_connections", "redis_evicted_keys", "postgres_log_deadlock"):
        assert check in answer, check
    assert "pg:connection-pooling:attach" in answer
