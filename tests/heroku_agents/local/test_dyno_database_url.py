"""dyno_run_command locally never runs a database command against libpq's defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from heroku_agents.local.builtin_tools import run_builtin
from heroku_agents.local.settings import LocalSettings
from heroku_agents.models import Tool

pytestmark = pytest.mark.anyio
ROOT = Path(__file__).resolve().parents[3]


def _tool(cmd: str) -> Tool:
    return Tool.model_validate({"type": "heroku_tool", "name": "dyno_run_command", "runtime_params": {
        "target_app_name": "local-app", "tool_params": {"cmd": cmd, "description": "Checks the database."}}})


async def test_a_command_reading_database_url_is_refused_when_the_endpoint_has_none(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    settings = LocalSettings(procfile=ROOT / "Procfile", child_env={})
    result = await run_builtin(_tool(f'touch {marker}; psql "$DATABASE_URL" -Atc "select 1"'), {}, settings)
    assert result["isError"] is True
    assert "started without DATABASE_URL" in result["content"][0]["text"]
    assert "libpq's defaults" in result["content"][0]["text"]
    assert not marker.exists()


async def test_a_command_reading_database_url_runs_when_it_is_set(tmp_path: Path) -> None:
    settings = LocalSettings(procfile=ROOT / "Procfile", child_env={"DATABASE_URL": "postgres://u@db.invalid/app"})
    result = await run_builtin(_tool('printf "%s" "${DATABASE_URL%%://*}"'), {}, settings)
    assert result["isError"] is False
    assert result["structuredContent"]["stdout"] == "postgres"
