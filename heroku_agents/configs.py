"""agent_configs loader: YAML -> validated agent request, with ${VAR} interpolation and file:line errors.

A config is the body of `POST /v1/agents/heroku` written as YAML (same keys, same nesting), plus
three keys of its own: `name`, `description` and `expected_tools`. See agent_configs/README.md.

Interpolation applies to every scalar value (never to keys): `${VAR}` must be set,
`${VAR:-default}` falls back when VAR is unset or empty, `$${` writes a literal `${`. An
unquoted scalar is re-typed after interpolation (`temperature: ${TEMP:-0.2}` is a float).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from heroku_agents.errors import ConfigError

__all__ = ["CONFIG_DIR", "AgentConfig", "find_config", "load_config", "load_configs"]

CONFIG_DIR = Path(__file__).resolve().parent.parent / "agent_configs"

# The config's own keys; the request's keys come from the wire models (`_wire_keys`).
OWN_KEYS = frozenset({"name", "description", "expected_tools"})

_VAR = re.compile(r"\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-(.*?))?\}")
_Path = tuple[str | int, ...]


@dataclass(frozen=True)
class AgentConfig:
    """A loaded config: its own keys, and the request body exactly as the YAML gave it."""

    path: Path
    name: str
    description: str
    body: dict[str, Any]
    expected_tools: tuple[str, ...] = ()
    lines: Mapping[_Path, int] = field(default_factory=dict, repr=False, compare=False)

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
    env = os.environ if env is None else env
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read the file ({exc.strerror})", path=str(path)) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"not UTF-8 text (byte {exc.start}); save the file as UTF-8", path=str(path)) from None
    try:
        loader = yaml.SafeLoader(text)
    except yaml.YAMLError as exc:  # the reader refuses control characters before any parsing
        raise ConfigError(f"YAML: {str(exc).splitlines()[0]}", path=str(path)) from None
    try:
        node = loader.get_single_node()
        if node is None:
            raise ConfigError("the file is empty; see agent_configs/README.md", path=str(path))
        lines: dict[_Path, int] = {}
        _walk(node, (), lines, env, loader, str(path), placeholders)
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise ConfigError(f"YAML syntax: {exc.problem or exc}", path=str(path), line=line) from None
    except RecursionError:
        raise ConfigError("an alias refers to itself (a recursive &anchor / *alias)", path=str(path)) from None
    finally:
        loader.dispose()
    return _validate(path, data, lines)


def _walk(
    node: yaml.Node,
    at: _Path,
    lines: dict[_Path, int],
    env: Mapping[str, str],
    loader: Any,
    file: str,
    placeholders: bool = False,
) -> None:
    """Record the line of every value, and interpolate scalars in place (keys stay literal)."""
    lines[at] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node.start_mark.line)
            lines[(*at, key)] = key_node.start_mark.line + 1
            _walk(value_node, (*at, key), lines, env, loader, file, placeholders)
            lines[(*at, key)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, (*at, i), lines, env, loader, file, placeholders)
    elif isinstance(node, yaml.ScalarNode) and "$" in node.value:
        # in a literal block (`|`) the value's n-th line is the file's (first line + n): point at it
        first = node.start_mark.line + 2 if node.style == "|" else None
        new = _interpolate(node.value, env, file, lines[at], _dotted(at), placeholders, first)
        if new != node.value:
            node.value = new
            if node.style is None:  # plain scalar: let YAML type the result (int, float, bool, null)
                node.tag = loader.resolve(yaml.ScalarNode, new, (True, False))


def _interpolate(
    value: str,
    env: Mapping[str, str],
    file: str,
    line: int,
    field_name: str,
    placeholders: bool,
    block_first_line: int | None = None,
) -> str:
    def sub(m: re.Match[str]) -> str:
        if m.group(0) == "$${":
            return "${"
        name, default = m.group(1), m.group(2)
        current = env.get(name)
        if current:
            return current
        if default is not None:
            return default
        if placeholders:
            return f"<{name}>"
        where = line if block_first_line is None else block_first_line + value.count("\n", 0, m.start())
        raise ConfigError(
            f"${{{name}}} is not set; export {name}=... or write ${{{name}:-default}}",
            path=file,
            line=where,
            field=field_name,
        )

    return _VAR.sub(sub, value)


def _dotted(at: _Path) -> str:
    out = ""
    for part in at:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out or "(top level)"


def _line(lines: Mapping[_Path, int], at: _Path) -> int | None:
    """The line of `at`, or of its closest recorded parent (a missing field is reported at its parent)."""
    for n in range(len(at), -1, -1):
        if at[:n] in lines:
            return lines[at[:n]]
    return None


def _fail(path: Path, lines: Mapping[_Path, int], at: _Path, message: str) -> ConfigError:
    return ConfigError(message, path=str(path), line=_line(lines, at), field=_dotted(at))


def _check_keys(path: Path, lines: Mapping[_Path, int], at: _Path, value: Any, allowed: frozenset[str]) -> None:
    if not isinstance(value, dict):
        raise _fail(path, lines, at, f"expected a mapping, got {type(value).__name__}")
    for key in value:
        if key not in allowed:
            raise _fail(path, lines, (*at, key), f"unknown key; allowed here: {', '.join(sorted(allowed))}")


def _wire_keys(model: Any) -> frozenset[str]:
    """The keys a wire model accepts, as written on the wire (its aliases where it has them)."""
    return frozenset(info.alias or name for name, info in model.model_fields.items())


def _validate(path: Path, data: Any, lines: Mapping[_Path, int]) -> AgentConfig:
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


def _real_path(data: Any, at: _Path) -> _Path:
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


def _check_heroku_tools(path: Path, lines: Mapping[_Path, int], tools: list[dict[str, Any]]) -> None:
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
