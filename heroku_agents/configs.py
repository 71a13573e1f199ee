"""agent_configs loader: YAML -> validated agent request, with file:line errors.

A config is the body of `POST /v1/agents/heroku` written as YAML (same keys, same nesting), plus
three keys of its own: `name`, `description` and `expected_tools`. See agent_configs/README.md.
Reading the YAML and its ${VAR} interpolation live in `heroku_agents.config_yaml`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from heroku_agents.config_yaml import FieldPath, dotted, read_config_yaml
from heroku_agents.errors import ConfigError

__all__ = ["CONFIG_DIR", "AgentConfig", "find_config", "load_config", "load_configs"]

CONFIG_DIR = Path(__file__).resolve().parent.parent / "agent_configs"

# The config's own keys; the request's keys come from the wire models (`_wire_keys`).
OWN_KEYS = frozenset({"name", "description", "expected_tools"})


@dataclass(frozen=True)
class AgentConfig:
    """A loaded config: its own keys, and the request body exactly as the YAML gave it."""

    path: Path
    name: str
    description: str
    body: dict[str, Any]
    expected_tools: tuple[str, ...] = ()
    lines: Mapping[FieldPath, int] = field(default_factory=dict, repr=False, compare=False)

    @property
    def tool_names(self) -> tuple[str, ...]:
        return tuple(t["name"] for t in self.body.get("tools") or ())

    def to_request(self, *, model: str | None = None, prompt: str | None = None) -> Any:
        """The AgentRequest to send.

        `model` fills in when the config has none (the driver passes INFERENCE_MODEL_ID).
        `prompt` replaces the content of the last user message (or is appended as one).

        Raises:
            ConfigError: no model in the config and none given.
        """
        from heroku_agents.models import AgentRequest

        body = dict(self.body)
        body["messages"] = [dict(m) for m in body["messages"]]
        if not body.get("model"):
            if not model:
                raise ConfigError(
                    "no model: add `model:` to the config or set INFERENCE_MODEL_ID "
                    "(`export INFERENCE_MODEL_ID=$(heroku config:get INFERENCE_MODEL_ID -a APP)`)",
                    path=str(self.path),
                    field="model",
                )
            body["model"] = model
        if prompt is not None:
            users = [i for i, m in enumerate(body["messages"]) if m["role"] == "user"]
            if users:
                body["messages"][users[-1]]["content"] = prompt
            else:
                body["messages"].append({"role": "user", "content": prompt})
        return AgentRequest.model_validate(body)


def find_config(name_or_path: str, config_dir: Path = CONFIG_DIR) -> Path:
    """Resolve `db-health`, `db-health.yaml` or a path to an existing config file.

    Raises:
        ConfigError: nothing by that name; the message lists the configs that exist.
    """
    candidates = [Path(name_or_path), config_dir / name_or_path, config_dir / f"{name_or_path}.yaml"]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    known = ", ".join(sorted(p.stem for p in config_dir.glob("*.yaml"))) or "none"
    raise ConfigError(f"no such config (known in {config_dir}: {known})", path=name_or_path)


def load_configs(
    config_dir: Path = CONFIG_DIR, env: Mapping[str, str] | None = None, *, placeholders: bool = False
) -> list[AgentConfig]:
    """Every `*.yaml` of `config_dir`, sorted by file name."""
    return [load_config(p, env, placeholders=placeholders) for p in sorted(config_dir.glob("*.yaml"))]


def load_config(
    path: str | Path, env: Mapping[str, str] | None = None, *, placeholders: bool = False
) -> AgentConfig:
    """Parse, interpolate and validate one config file.

    `env` defaults to `os.environ`, read at call time. With `placeholders=True` an unset
    `${VAR}` becomes `<VAR>` instead of an error (the registration preflight only needs
    the tool names, not a sendable request).

    Raises:
        ConfigError: unreadable file, YAML syntax, unset variable, unknown key, wrong type or
            value; the message names the file, the line and the dotted field.
    """
    path = Path(path)
    data, lines = read_config_yaml(path, os.environ if env is None else env, placeholders)
    return _validate(path, data, lines)


def _line(lines: Mapping[FieldPath, int], at: FieldPath) -> int | None:
    """The line of `at`, or of its closest recorded parent (a missing field is reported at its parent)."""
    for n in range(len(at), -1, -1):
        if at[:n] in lines:
            return lines[at[:n]]
    return None


def _fail(path: Path, lines: Mapping[FieldPath, int], at: FieldPath, message: str) -> ConfigError:
    return ConfigError(message, path=str(path), line=_line(lines, at), field=dotted(at))


def _check_keys(path: Path, lines: Mapping[FieldPath, int], at: FieldPath, value: Any, allowed: frozenset[str]) -> None:
    if not isinstance(value, dict):
        raise _fail(path, lines, at, f"expected a mapping, got {type(value).__name__}")
    for key in value:
        if key not in allowed:
            raise _fail(path, lines, (*at, key), f"unknown key; allowed here: {', '.join(sorted(allowed))}")


def _wire_keys(model: Any) -> frozenset[str]:
    """The keys a wire model accepts, as written on the wire (its aliases where it has them)."""
    return frozenset(info.alias or name for name, info in model.model_fields.items())


def _validate(path: Path, data: Any, lines: Mapping[FieldPath, int]) -> AgentConfig:
    from pydantic import ValidationError

    from heroku_agents.models import AgentRequest, Message, RuntimeParams, Tool

    request_keys = _wire_keys(AgentRequest)
    _check_keys(path, lines, (), data, request_keys | OWN_KEYS)
    for key in ("name", "messages"):
        if key not in data:
            raise _fail(path, lines, (), f"`{key}` is required")
    if not isinstance(data["name"], str) or not data["name"]:
        raise _fail(path, lines, ("name",), "must be a non-empty string")
    if not isinstance(data.get("description", ""), str):
        raise _fail(path, lines, ("description",), "must be a string")
    if not isinstance(data["messages"], list) or not data["messages"]:
        raise _fail(path, lines, ("messages",), "must be a non-empty list of {role, content}")
    for i, message in enumerate(data["messages"]):
        _check_keys(path, lines, ("messages", i), message, _wire_keys(Message))
    tools = data.get("tools") or []
    if not isinstance(tools, list):
        raise _fail(path, lines, ("tools",), "must be a list of tool objects")
    for i, tool in enumerate(tools):
        _check_keys(path, lines, ("tools", i), tool, _wire_keys(Tool))
        if "runtime_params" in tool and tool["runtime_params"] is not None:
            _check_keys(path, lines, ("tools", i, "runtime_params"), tool["runtime_params"], _wire_keys(RuntimeParams))
    expected = data.get("expected_tools") or []
    if not isinstance(expected, list) or not all(isinstance(t, str) for t in expected):
        raise _fail(path, lines, ("expected_tools",), "must be a list of tool names")
    names = {t.get("name") for t in tools}
    for i, name in enumerate(expected):
        if name not in names:
            raise _fail(path, lines, ("expected_tools", i), f"{name!r} is not in `tools`")

    body = {k: v for k, v in data.items() if k in request_keys}
    probe = dict(body, model=body.get("model") or "model-checked-at-send-time")
    try:
        AgentRequest.model_validate(probe)
    except ValidationError as exc:
        first = exc.errors()[0]
        at = tuple(p for p in first["loc"] if isinstance(p, (str, int)))
        raise _fail(path, lines, _real_path(data, at), first["msg"]) from None
    _check_heroku_tools(path, lines, tools)
    return AgentConfig(
        path=path,
        name=data["name"],
        description=data.get("description") or "",
        body=body,
        expected_tools=tuple(expected),
        lines=lines,
    )


def _real_path(data: Any, at: FieldPath) -> FieldPath:
    """Keep the parts of a pydantic `loc` that are keys of the data (union-branch labels such as
    `mcp` or `function-after[...]` are not); a missing field, the last part, is kept by name."""
    out: list[str | int] = []
    cur = data
    for n, part in enumerate(at):
        if isinstance(cur, dict) and part in cur:
            cur = cur[part]
        elif isinstance(cur, list) and isinstance(part, int) and 0 <= part < len(cur):
            cur = cur[part]
        elif n == len(at) - 1 and isinstance(part, str) and isinstance(cur, dict):
            pass
        else:
            continue
        out.append(part)
    return tuple(out)


def _check_heroku_tools(path: Path, lines: Mapping[FieldPath, int], tools: list[dict[str, Any]]) -> None:
    """Built-in heroku_tools must exist and carry their required runtime and tool params."""
    from heroku_agents.models import HEROKU_TOOLS

    for i, tool in enumerate(tools):
        if tool.get("type") != "heroku_tool":
            continue
        spec = HEROKU_TOOLS.get(tool.get("name"))
        if spec is None:
            known = ", ".join(sorted(HEROKU_TOOLS))
            raise _fail(path, lines, ("tools", i, "name"), f"unknown heroku_tool; known: {known}")
        params = tool.get("runtime_params") or {}
        at = ("tools", i, "runtime_params")
        for key in spec.required_runtime_params:
            if not params.get(key):
                raise _fail(path, lines, (*at, key), f"{spec.name} requires runtime_params.{key}")
        tool_params = params.get("tool_params") or {}
        for key in spec.required_tool_params:
            if not tool_params.get(key):
                raise _fail(path, lines, (*at, "tool_params", key), f"{spec.name} requires tool_params.{key}")
