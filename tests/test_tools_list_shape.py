"""What `tools/list` publishes: compact schemas (no annotation titles, shallow output models) for both servers.

The model reads `tools/list` on every agent step, so these tests pin its shape and an upper bound on its size
through a real MCP client, whatever the SDK does internally (issue 16: no private SDK surface).
"""

import json
from typing import Any

import pytest
from mcp import Client
from pydantic import SecretStr

from mcp_servers.app_diagnostics.server import build_server as build_appdiag
from mcp_servers.app_diagnostics.settings import AppDiagSettings
from mcp_servers.postgres.server import build_server as build_postgres
from mcp_servers.postgres.settings import PostgresSettings

pytestmark = pytest.mark.anyio

# Nothing connects while listing tools: these settings only have to be well formed.
PG_SETTINGS = PostgresSettings(database_url="postgresql://tools-list@127.0.0.1:1/none")
APPDIAG_SETTINGS = AppDiagSettings(heroku_api_key=SecretStr("not-a-real-key"), heroku_api_url="http://127.0.0.1:1")


def _annotation_titles(schema: Any, path: str = "$") -> list[str]:
    """Paths of `title` keys used as annotations (a property that is itself named "title" does not count)."""
    found: list[str] = []
    if isinstance(schema, dict):
        for key, value in schema.items():
            if key == "title" and not isinstance(value, dict):
                found.append(path)
            elif key in ("properties", "$defs"):
                for name, sub in value.items():
                    found += _annotation_titles(sub, f"{path}.{key}.{name}")
            else:
                found += _annotation_titles(value, f"{path}.{key}")
    elif isinstance(schema, list):
        for index, sub in enumerate(schema):
            found += _annotation_titles(sub, f"{path}[{index}]")
    return found


async def _published_tools(server: Any) -> list[dict[str, Any]]:
    async with Client(server) as client:
        listed = await client.list_tools()
    return [tool.model_dump(mode="json", by_alias=True, exclude_none=True) for tool in listed.tools]


@pytest.mark.parametrize(
    ("build", "max_bytes"),
    # The whole published list (names, descriptions, annotations, schemas) measured 12.1 KB (postgres) and
    # 9.7 KB (appdiag) when this test was written; without compaction it is 28.4 KB and 29.3 KB.
    [(lambda: build_postgres(PG_SETTINGS), 13_000), (lambda: build_appdiag(APPDIAG_SETTINGS), 10_500)],
    ids=["postgres", "appdiag"],
)
async def test_tools_list_publishes_compact_schemas_within_its_size_budget(build: Any, max_bytes: int) -> None:
    tools = await _published_tools(build())

    assert tools, "the server published no tools"
    for tool in tools:
        assert _annotation_titles(tool["inputSchema"]) == [], tool["name"]
        output = tool.get("outputSchema")
        assert output is not None, f"{tool['name']} has no output schema"
        assert _annotation_titles(output) == [], tool["name"]
        assert output["type"] == "object" and output["properties"], tool["name"]
        for name, nested in output.get("$defs", {}).items():
            assert nested == {"type": "object"}, f"{tool['name']}: nested model {name} is published in full"
    size = len(json.dumps(tools, separators=(",", ":")))
    assert size <= max_bytes, f"tools/list grew to {size} bytes (budget {max_bytes})"


async def test_full_output_schemas_publish_the_nested_row_models_when_asked() -> None:
    shallow = await _published_tools(build_postgres(PG_SETTINGS))
    full = await _published_tools(build_postgres(PG_SETTINGS.model_copy(update={"full_output_schemas": True})))

    nested = {
        tool["name"]: tool["outputSchema"]["$defs"] for tool in full if tool["outputSchema"].get("$defs")
    }
    assert nested, "no tool has a nested output model to publish"
    for defs in nested.values():
        assert any("properties" in model for model in defs.values())
        assert _annotation_titles(defs) == []
    assert [tool["name"] for tool in shallow] == [tool["name"] for tool in full]
