"""The built-in `heroku_tool` catalogue (Dev Center generation, spec 3.4): each tool's required
runtime params and tool params, and the arguments the model sees."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["HEROKU_TOOLS", "HerokuToolSpec"]


class HerokuToolSpec(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    description: str
    required_runtime_params: tuple[str, ...] = ()
    required_tool_params: tuple[str, ...] = ()
    input_schema: dict[str, Any] = Field(default_factory=lambda: {"type": "object", "properties": {}})


def _schema(props: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {"type": "object", "properties": props, "required": required}


_URL = {"url": {"type": "string", "description": "The http(s) URL to fetch."}}
_CODE = {
    "code": {"type": "string", "description": "The code to execute."},
    "packages": {"type": "array", "items": {"type": "string"}, "description": "Optional packages to install first."},
}
_PG = ("target_app_name",)

HEROKU_TOOLS: dict[str, HerokuToolSpec] = {
    spec.name: spec
    for spec in [
        HerokuToolSpec(
            name="dyno_run_command",
            description="Run a pre-specified command on a Heroku app (tool_params.cmd) with the declared parameters.",
            required_runtime_params=("target_app_name",), required_tool_params=("cmd", "description"),
        ),
        HerokuToolSpec(
            name="postgres_get_schema", required_runtime_params=_PG,
            description="Fetch the schema (schemas, tables, columns) of the app's Postgres follower database.",
        ),
        HerokuToolSpec(
            name="postgres_run_query", required_runtime_params=_PG,
            description="Run one read-only SQL query against the app's Postgres follower database.",
            input_schema=_schema({"query": {"type": "string", "description": "A read-only SQL query."}}, ["query"]),
        ),
        HerokuToolSpec(
            name="html_to_markdown", description="Fetch a web page and convert it to Markdown.",
            input_schema=_schema(_URL, ["url"]),
        ),
        HerokuToolSpec(
            name="pdf_to_markdown", description="Download a PDF and convert it to Markdown.",
            input_schema=_schema(_URL, ["url"]),
        ),
        *[
            HerokuToolSpec(
                name=f"code_exec_{lang}", input_schema=_schema(_CODE, ["code"]),
                description=f"Execute a {label} code snippet with optional dependencies; returns returncode, stdout, stderr.",
            )
            for lang, label in [("python", "Python"), ("ruby", "Ruby"), ("node", "Node.js"), ("go", "Go")]
        ],
    ]
}
