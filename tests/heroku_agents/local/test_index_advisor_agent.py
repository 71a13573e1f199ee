"""The index-advisor agent config, answered offline: the planner calls pg_suggest_indexes and quotes its evidence."""

from __future__ import annotations

import json

import anyio
import httpx
import psycopg
import pytest
from local_support import KEY, ROOT, events_of

from heroku_agents.configs import load_config
from heroku_agents.local.app import create_app
from heroku_agents.local.backends import OfflinePlanner
from heroku_agents.local.settings import LocalSettings
from heroku_agents.models import to_wire
from mcp_servers.postgres.seed.index_workload import plant_index_workload, run_index_workload

pytestmark = pytest.mark.anyio


async def test_index_advisor_config_answers_offline_with_the_suggestions_and_their_evidence(embedded_pg) -> None:
    config = load_config(ROOT / "agent_configs" / "index-advisor.yaml", env={})
    url = embedded_pg.create_database("advisor_agent")
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
            plant_index_workload(conn)
            run_index_workload(conn, calls=5)
        settings = LocalSettings(key=KEY, procfile=ROOT / "Procfile", app_dir=ROOT, child_env={"DATABASE_URL": url})
        app = create_app(settings, backend=OfflinePlanner())
        async with app.router.lifespan_context(app):
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://local",
                                         headers={"Authorization": f"Bearer {KEY}"}, timeout=120) as client:
                with anyio.fail_after(120):
                    response = await client.post("/v1/agents/heroku", json=to_wire(config.to_request()))
    finally:
        embedded_pg.drop_database(url)
    assert response.status_code == 200, response.text
    payloads = [json.loads(e.data) for e in events_of(response.content) if not e.is_done]
    calls = [c["function"]["name"] for p in payloads if p["object"] == "chat.completion"
             for c in p["choices"][0]["message"].get("tool_calls") or []]
    assert calls[0] == "mcp-postgres/pg_suggest_indexes"
    answer = payloads[-1]["choices"][0]["message"]["content"]
    for index in ('"customers" USING btree ("email")', '"orders" USING btree ("placed_by", "created_at")',
                  '"orders" USING btree ("customer_id")', '"events" USING btree ("account_id", "created_at")'):
        assert f'CREATE INDEX CONCURRENTLY ON "public".{index}' in answer
    assert "heuristic: the planner was not consulted" in answer and "CREATE EXTENSION hypopg;" in answer
    assert "5 calls, mean" in answer and "% of time; cost " in answer  # each statement's evidence
    not_suggested = answer.split("**Not suggested:**")[1]
    for trap in ("public.orders(is_paid)", "public.products(sku)", "public.countries(name)", "public.shipments(order_ref)"):
        assert trap in not_suggested
