"""Procfile parsing: entries, comments, malformed lines with their line numbers, mcp* types."""

from __future__ import annotations

from pathlib import Path

import pytest

from heroku_agents.procfile import ProcessType, ProcfileError, load_procfile, parse_procfile


def test_mcp_process_types_are_the_servers_and_comments_are_skipped() -> None:
    text = (
        "# our processes\n"
        "web: uvicorn app:app --port=${PORT:-8000}\n"
        "\n"
        "mcp-postgres: python -m mcp_servers.postgres\n"
        "   mcp-appdiag :  python -m mcp_servers.app_diagnostics  \n"
        "worker: python worker.py\n"
    )
    procfile = parse_procfile(text)
    assert procfile.entries == (
        ProcessType("web", "uvicorn app:app --port=${PORT:-8000}", 2),
        ProcessType("mcp-postgres", "python -m mcp_servers.postgres", 4),
        ProcessType("mcp-appdiag", "python -m mcp_servers.app_diagnostics", 5),
        ProcessType("worker", "python worker.py", 6),
    )
    assert [p.name for p in procfile.mcp_servers()] == ["mcp-postgres", "mcp-appdiag"]
    assert procfile.get("web").command.startswith("uvicorn")
    assert procfile.get("release") is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("web: a\nthis is not an entry\n", "Procfile:2: expected '<process type>: <command>'"),
        ("mcp pg: python x\n", "Procfile:1: expected '<process type>: <command>'"),
        ("\n\nmcp-x:\n", "Procfile:3: process type 'mcp-x' has no command"),
        ("mcp-x: a\n# c\nmcp-x: b\n", "Procfile:3: process type 'mcp-x' is declared twice (first on line 1)"),
    ],
)
def test_malformed_lines_are_errors_with_their_line_number(text: str, message: str) -> None:
    with pytest.raises(ProcfileError) as info:
        parse_procfile(text)
    assert str(info.value).startswith(message)


def test_load_procfile_names_the_file_in_errors(tmp_path: Path) -> None:
    path = tmp_path / "Procfile"
    path.write_text("mcp-ok: python -m ok\n::\n")
    with pytest.raises(ProcfileError) as info:
        load_procfile(path)
    assert (info.value.path, info.value.line) == (str(path), 2)


def test_the_repository_procfile_declares_mcp_servers() -> None:
    procfile = load_procfile(Path(__file__).resolve().parents[2] / "Procfile")
    assert [p.name for p in procfile.mcp_servers()][:1] == ["mcp-postgres"]
