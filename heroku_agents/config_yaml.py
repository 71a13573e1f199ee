"""Reading an agent config file: YAML with ${VAR} interpolation, and the line of every value.

Interpolation applies to every scalar value (never to keys): `${VAR}` must be set,
`${VAR:-default}` falls back when VAR is unset or empty, `$${` writes a literal `${`. An
unquoted scalar is re-typed after interpolation (`temperature: ${TEMP:-0.2}` is a float).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from heroku_agents.errors import ConfigError

__all__ = ["FieldPath", "dotted", "read_config_yaml"]

FieldPath = tuple[str | int, ...]  # keys and list indexes from the document's top, e.g. ("tools", 0, "name")

_VAR = re.compile(r"\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-(.*?))?\}")


def read_config_yaml(path: Path, env: Mapping[str, str], placeholders: bool) -> tuple[Any, dict[FieldPath, int]]:
    """The interpolated document of `path` and the file line of each of its values.

    With `placeholders=True` an unset `${VAR}` becomes `<VAR>` instead of an error.

    Raises:
        ConfigError: unreadable file, not UTF-8, YAML syntax, empty document, unset variable.
    """
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
        lines: dict[FieldPath, int] = {}
        _walk(node, (), lines, env, loader, str(path), placeholders)
        return loader.construct_document(node), lines
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise ConfigError(f"YAML syntax: {exc.problem or exc}", path=str(path), line=line) from None
    except RecursionError:
        raise ConfigError("an alias refers to itself (a recursive &anchor / *alias)", path=str(path)) from None
    finally:
        loader.dispose()


def dotted(at: FieldPath) -> str:
    """`("tools", 0, "name")` as `tools[0].name`; the empty path is `(top level)`."""
    out = ""
    for part in at:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out or "(top level)"


def _walk(
    node: yaml.Node,
    at: FieldPath,
    lines: dict[FieldPath, int],
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
        new = _interpolate(node.value, env, file, lines[at], dotted(at), placeholders, first)
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
