"""Smaller tool schemas: `tools/list` is sent to the model on every agent step, so every byte costs.

Tool descriptions written as indented docstrings are published on one line.

pydantic writes a `title` into every schema node ("Limit", "Schema", ...) that only repeats the property
name. We drop those annotation-only titles from what `tools/list` publishes; validation is unaffected.

Output schemas are published shallow by default: every top-level field keeps its type, while nested row
models (`$defs`) are published as plain objects without their field docs. The structured content is
still built and validated by the full pydantic models on the server; a client that wants the full
row schemas sets MCP_FULL_OUTPUT_SCHEMAS=1. This keeps `tools/list` of a whole server near 10 KB
instead of ~19 KB (benchmarks/bench_postgres.py measures it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mcp.server import MCPServer

__all__ = ["compact_output_schema", "compact_schema", "compact_tool_schemas", "full_output_schemas_requested"]

_SCHEMA_MAPS = ("properties", "$defs", "definitions", "patternProperties")
_SCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
_SCHEMA_VALUES = ("items", "additionalProperties", "not", "contains")


def compact_schema(schema: Any) -> Any:
    """Return `schema` without annotation-only `title` keys (property names called "title" survive)."""
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "title":
            continue
        if key in _SCHEMA_MAPS and isinstance(value, dict):
            out[key] = {name: compact_schema(sub) for name, sub in value.items()}
        elif key in _SCHEMA_LISTS and isinstance(value, list):
            out[key] = [compact_schema(sub) for sub in value]
            simple = _simple_types(out[key]) if key == "anyOf" else None
            if simple is not None:  # {"anyOf":[{"type":"string"},{"type":"null"}]} -> {"type":["string","null"]}
                del out[key]
                out["type"] = simple
            elif key == "anyOf" and (nullable := _nullable(out[key])) is not None:
                del out[key]  # {"anyOf":[{"type":"array","items":X},{"type":"null"}]} -> {"type":["array","null"],"items":X}
                out.update(nullable)
        elif key in _SCHEMA_VALUES:
            out[key] = compact_schema(value)
        else:
            out[key] = value
    return out


def _nullable(options: list[Any]) -> dict[str, Any] | None:
    """One typed schema or null, as that schema with "null" added to its type; None for any other anyOf."""
    if len(options) != 2 or {"type": "null"} not in options:
        return None
    other = options[1 - options.index({"type": "null"})]
    if not isinstance(other, dict) or not isinstance(other.get("type"), str):
        return None
    return {**other, "type": [other["type"], "null"]}


def _simple_types(options: list[Any]) -> list[str] | None:
    types = []
    for option in options:
        if not isinstance(option, dict) or set(option) != {"type"} or not isinstance(option["type"], str):
            return None
        types.append(option["type"])
    return types


def _drop_docs(schema: Any) -> Any:
    """Remove `description` and scalar `default` keys (meaningless in a result) at every level."""
    if isinstance(schema, list):
        return [_drop_docs(sub) for sub in schema]
    if not isinstance(schema, dict):
        return schema
    return {
        key: _drop_docs(value)
        for key, value in schema.items()
        if not (key in ("description", "default") and not isinstance(value, dict))
        or key in ("properties", "$defs")
    }


def compact_output_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """The shallow published form of an output schema: typed top level, nested models as objects."""
    out = _drop_docs(compact_schema(schema))
    if "$defs" in out:
        out["$defs"] = {name: {"type": "object"} for name in out["$defs"]}
    return out


def _one_line(text: str | None) -> str | None:
    """A description taken from a docstring, without its line breaks and indentation (bytes the model pays for)."""
    return " ".join(text.split()) if text else text


def full_output_schemas_requested(env: Any = None) -> bool:
    import os

    env = os.environ if env is None else env
    from mcp_servers.common.env import env_flag

    return env_flag(env, "MCP_FULL_OUTPUT_SCHEMAS")


def compact_tool_schemas(server: MCPServer, *, full_output: bool = False) -> None:
    """Publish compact input and output schemas for every tool of `server` in `tools/list`.

    Only the SDK's public surface is used: `MCPServer.list_tools()` (which answers `tools/list`) is wrapped
    on this instance, and each published `Tool` is copied with compacted schemas. The tools the server
    validates and calls with are untouched, so arguments and results are still checked against the full
    pydantic models. tests/test_tools_list_shape.py pins what a client receives.
    """
    list_tools = server.list_tools
    shape_output = compact_schema if full_output else compact_output_schema

    async def list_compact_tools() -> list[Any]:
        return [
            tool.model_copy(
                update={
                    "description": _one_line(tool.description),
                    "input_schema": compact_schema(tool.input_schema),
                    "output_schema": None if tool.output_schema is None else shape_output(tool.output_schema),
                }
            )
            for tool in await list_tools()
        ]

    server.list_tools = list_compact_tools  # type: ignore[method-assign]
