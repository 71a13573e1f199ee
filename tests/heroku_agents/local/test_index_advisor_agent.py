"""The index-advisor agent config, answered offline: the planner calls pg_suggest_indexes and quotes its evidence."""

from __future__ import annotations

import psycopg
import pytest
from local_support import ROOT, AgentStream, run_config_offline

from heroku_agents.configs import load_config
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
        response = await run_config_offline(config, url)
    finally:
        embedded_pg.drop_database(url)
    assert response.status_code == 200, response.text
    stream = AgentStream.of(response)
    assert stream.tool_calls[0] == "mcp-postgres/pg_suggest_indexes"
    answer = stream.answer
    for index in ('"customers" USING btree ("email")', '"orders" USING btree ("placed_by", "created_at")',
                  '"orders" USING btree ("customer_id")', '"events" USING btree ("account_id", "created_at")',
                  '"jobs" USING btree ("worker_id")'):
        assert f'CREATE INDEX CONCURRENTLY ON "public".{index}' in answer
    assert "heuristic: the planner was not consulted" in answer and "CREATE EXTENSION hypopg;" in answer
    assert "5 calls, mean" in answer and "% of time; cost " in answer  # each statement's evidence
    not_suggested = answer.split("**Not suggested:**")[1]
    for trap in ("public.orders(is_paid)", "public.products(sku)", "public.countries(name)", "public.shipments(order_ref)"):
        assert trap in not_suggested
