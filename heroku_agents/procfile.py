"""Procfile parsing: `<process type>: <command>` lines; `mcp*` types are what Heroku registers.

Blank lines and `#` comments are skipped; any other line that is not a valid entry is an error
that names the file and line, so a typo never silently drops a server.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ProcessType", "Procfile", "ProcfileError", "load_procfile", "parse_procfile"]

# Heroku's process type names: letters, digits, dash and underscore.
_ENTRY = re.compile(r"^(?P<name>[A-Za-z0-9_-]+)[ \t]*:[ \t]*(?P<command>.*?)[ \t]*$")


class ProcfileError(ValueError):
    """A Procfile line that is not `<process type>: <command>`; carries `path` and `line`."""

    def __init__(self, message: str, *, path: str, line: int) -> None:
        super().__init__(f"{path}:{line}: {message}")
        self.path = path
        self.line = line


@dataclass(frozen=True)
class ProcessType:
    name: str
    command: str
    line: int

    @property
    def is_mcp(self) -> bool:
        """Heroku registers every process type whose name starts with `mcp`."""
        return self.name.startswith("mcp")


@dataclass(frozen=True)
class Procfile:
    path: str
    entries: tuple[ProcessType, ...]

    def mcp_servers(self) -> list[ProcessType]:
        return [entry for entry in self.entries if entry.is_mcp]

    def get(self, name: str) -> ProcessType | None:
        return next((entry for entry in self.entries if entry.name == name), None)


def parse_procfile(text: str, *, path: str = "Procfile") -> Procfile:
    """Parse Procfile text.

    Raises:
        ProcfileError: a malformed line, an empty command or a duplicate process type.
    """
    entries: list[ProcessType] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = _ENTRY.match(line)
        if match is None:
            raise ProcfileError(
                f"expected '<process type>: <command>' (type made of letters, digits, '-' or '_'), got {line[:80]!r}",
                path=path, line=number,
            )
        name, command = match["name"], match["command"]
        if not command:
            raise ProcfileError(f"process type {name!r} has no command", path=path, line=number)
        if name in seen:
            raise ProcfileError(
                f"process type {name!r} is declared twice (first on line {seen[name]})", path=path, line=number
            )
        seen[name] = number
        entries.append(ProcessType(name, command, number))
    return Procfile(path, tuple(entries))


def load_procfile(path: str | Path = "Procfile") -> Procfile:
    """Read and parse a Procfile. Raises `FileNotFoundError` or `ProcfileError`."""
    path = Path(path)
    return parse_procfile(path.read_text(encoding="utf-8"), path=str(path))
