"""heroku_agents.mcp_stdio.listed_tool: one record of a listed tool for the registry, the preflight and chat mode."""

from mcp.types import Tool, ToolAnnotations

from heroku_agents.mcp_stdio import listed_tool
from heroku_agents.model_tools import NO_ARGUMENTS
from heroku_agents.models import MCPServerTool


def test_listed_tool_is_namespaced_by_process_type_with_its_annotations() -> None:
    tool = Tool(name="pg_query", description="Run SQL.", input_schema={"type": "object", "required": ["sql"]},
                annotations=ToolAnnotations(read_only_hint=True))
    assert listed_tool("mcp-postgres", tool) == MCPServerTool(
        name="pg_query", namespaced_name="mcp-postgres/pg_query", description="Run SQL.",
        input_schema={"type": "object", "required": ["sql"]}, annotations={"readOnlyHint": True},
    )


def test_a_missing_schema_stays_empty_unless_a_stand_in_is_given() -> None:
    tool = Tool(name="ping", input_schema={})
    assert listed_tool("mcp-x", tool).input_schema == {}
    stood_in = listed_tool("mcp-x", tool, NO_ARGUMENTS)
    assert (stood_in.description, stood_in.input_schema) == ("", NO_ARGUMENTS)
    assert stood_in.input_schema is not NO_ARGUMENTS  # a copy: nobody can change the shared constant through it
