"""The offline planner: ranking, argument filling, answers from findings, and db-health on the sick database."""

from __future__ import annotations

import json
import re

import pytest
from local_support import ROOT, AgentStream, run_config_offline

from heroku_agents.configs import load_config
from heroku_agents.local.backends import OfflinePlanner
from heroku_agents.local.backends.offline import fill_arguments, rank_tools
from heroku_agents.model_tools import ToolSpec
from heroku_agents.wire import parse_tool_content
from mcp_servers.postgres.seed import sick_database
from mcp_servers.postgres.seed.demo import ensure_demo_database
from mcp_servers.postgres.seed.index_workload import RECORDED_SQL

pytestmark = pytest.mark.anyio

TOOLS = [
    ToolSpec("mcp-postgres/pg_schema", "Schemas and tables of the database, or one table in detail.", {"type": "object", "properties": {}}),
    ToolSpec("mcp-postgres/pg_diagnose", "Run every health check in one report, problems first.", {"type": "object", "properties": {}}),
    ToolSpec("mcp-postgres/pg_query", "Answer your own question with one read-only SQL statement.",
             {"type": "object", "properties": {"sql": {"type": "string"}}, "required": ["sql"]}),
    ToolSpec("html_to_markdown", "Fetch a web page and convert it to Markdown.",
             {"type": "object", "properties": {"url": {"type": "string"}}, "required": ["url"]}),
]


def test_ranking_prefers_the_tool_whose_name_and_description_match_the_request() -> None:
    ranked = [t.name for _, t in rank_tools("How healthy is my database?", "", TOOLS)]
    assert ranked[0] == "mcp-postgres/pg_diagnose"
    assert next(t.name for _, t in rank_tools("Summarise the page https://example.com/docs", "", TOOLS)) == "html_to_markdown"


def test_a_tool_the_system_prompt_names_first_wins_a_vague_request() -> None:
    ranked = rank_tools("Anything to worry about?", "Start with mcp-postgres/pg_schema, then pg_diagnose.", TOOLS)
    assert [t.name for _, t in ranked][:2] == ["mcp-postgres/pg_schema", "mcp-postgres/pg_diagnose"]


def test_required_arguments_come_from_the_message_or_the_tool_is_skipped() -> None:
    query, page = TOOLS[2], TOOLS[3]
    assert fill_arguments(query, "Run `SELECT count(*) FROM orders` please") == {"sql": "SELECT count(*) FROM orders"}
    assert fill_arguments(query, "How many orders are there?") is None
    assert fill_arguments(page, "Read https://example.com/a.html, then summarise.") == {"url": "https://example.com/a.html"}
    enum_tool = ToolSpec("t", "", {"type": "object", "required": ["mode", "limit"], "properties": {
        "mode": {"enum": ["fast", "full"]}, "limit": {"type": "integer", "minimum": 5}}})
    assert fill_arguments(enum_tool, "do a full scan") == {"mode": "full", "limit": 5}


def test_sql_arguments_come_from_earlier_results_and_a_refused_one_is_not_tried_again() -> None:
    explain = ToolSpec("mcp-postgres/pg_explain", "Explain a query plan.", {"type": "object", "required": ["sql"], "properties": {"sql": {"type": "string"}}})
    evidence = [{"queries": [
        {"query": "INSERT INTO t VALUES ($1)"}, {"query": "SELECT * FROM big WHERE a = $1 …"},
        {"query": "SELECT pg_sleep($1)"}, {"query": "WITH x AS (SELECT 1) SELECT * FROM x"},
    ]}]
    assert fill_arguments(explain, "why slow?", evidence) == {"sql": "SELECT pg_sleep($1)"}
    assert fill_arguments(explain, "why slow?", evidence, skip={'{"sql":"SELECT pg_sleep($1)"}'}) == {
        "sql": "WITH x AS (SELECT 1) SELECT * FROM x"}
    assert fill_arguments(explain, "why slow?", []) is None


async def test_planner_answers_from_findings_by_severity_with_remediation() -> None:
    findings = [
        {"check": "cache_hit", "status": "green", "summary": "99% hits"},
        {"check": "unused_indexes", "status": "yellow", "summary": "2 unused indexes", "remediation": "DROP INDEX CONCURRENTLY ..."},
        {"check": "invalid_indexes", "status": "red", "summary": "customers_name_key is invalid", "value": 1, "threshold": "0",
         "remediation": "REINDEX INDEX CONCURRENTLY customers_name_key;"},
        {"check": "pg_stat_statements", "status": "skipped", "summary": "", "reason": "extension missing"},
    ]
    result = {"content": [{"type": "text", "text": "report"}], "structuredContent": {"database": "sick", "findings": findings}, "isError": False}
    messages = [
        {"role": "user", "content": "How healthy is my database?"},
        {"role": "assistant", "content": "", "tool_calls": [{"id": "t1", "type": "function", "function": {"name": "mcp-postgres/pg_diagnose", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "t1", "name": "mcp-postgres/pg_diagnose",
         "content": "Tool 'mcp-postgres/pg_diagnose' returned result: " + json.dumps(result)},
    ]
    step = await OfflinePlanner().step(messages, TOOLS)
    assert step.tool_calls == ()
    answer = step.content
    assert answer.index("invalid_indexes") < answer.index("unused_indexes")
    assert "**Verdict:** 1 red and 1 yellow findings (1 green, 1 skipped)." in answer
    assert "| invalid_indexes | 🔴 red | customers_name_key is invalid; value 1 (threshold 0) | REINDEX INDEX CONCURRENTLY customers_name_key; |" in answer
    assert "Skipped: pg_stat_statements (extension missing)" in answer
    assert "not an LLM" in answer
    assert "cache_hit" not in answer.split("Skipped")[0].split("| check |")[1]


async def test_db_health_config_on_the_sick_database_names_the_planted_problems(embedded_pg) -> None:
    config = load_config(ROOT / "agent_configs" / "db-health.yaml", env={})
    name = f"sick_planner_{id(config) % 10000}"
    with sick_database(embedded_pg.admin_url, name) as url:
        response = await run_config_offline(config, url)
    assert response.status_code == 200, response.text
    stream = AgentStream.of(response)
    assert stream.tool_calls[0] == "mcp-postgres/pg_diagnose"
    answer = stream.answer
    assert stream.payloads[-1]["model"] == "offline-planner"
    table, fix_first = answer.split("**Fix first:**")
    planted = ("invalid_indexes", "duplicate_indexes", "unused_indexes", "table_bloat", "missing_fk_indexes",
               "blocking_queries", "vacuum_dead_rows", "sequences_near_max")
    for check in planted:  # each as a red or yellow row of the findings table
        assert f"| {check} | 🔴 red |" in table or f"| {check} | 🟡 yellow |" in table, check
    reds = re.findall(r"^\| (\w+) \| 🔴 red \|", table, re.M)
    assert reds and all(f"**{check}** (red)" in fix_first for check in reds)
    assert url.rsplit("/", 1)[0] not in response.text


async def test_slow_queries_on_the_demo_database_explains_the_slowest_workload_select(embedded_pg) -> None:
    # README: `python scripts/run_agent.py slow-queries --prompt "Why is checkout slow?"` on the embedded demo database.
    config = load_config(ROOT / "agent_configs" / "slow-queries.yaml", env={})
    url = ensure_demo_database(embedded_pg.admin_url).url
    response = await run_config_offline(config, url, prompt="Why is checkout slow?")
    assert response.status_code == 200, response.text
    stream = AgentStream.of(response)
    assert stream.tool_calls[:2] == ["mcp-postgres/pg_top_queries", "mcp-postgres/pg_explain"]
    explained = next(json.loads(c["function"]["arguments"]) for p in stream.payloads if p["object"] == "chat.completion"
                     for c in p["choices"][0]["message"].get("tool_calls") or [] if c["function"]["name"].endswith("pg_explain"))
    top = next(parse_tool_content(p["choices"][0]["message"]["content"]).data for p in stream.payloads
               if p["object"] == "tool.completion")
    slowest = top["queries"][0]["query"]
    # the slowest statement as pg_stat_statements keeps it, with $n parameters (planned generically), is the workload's
    assert explained == {"sql": slowest} and slowest in RECORDED_SQL
    assert "generic plan" in stream.answer and "Seq Scan on" in stream.answer
