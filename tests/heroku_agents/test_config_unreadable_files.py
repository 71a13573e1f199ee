"""Agent config loading: any unreadable file is a ConfigError naming it (exit 2), never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from heroku_agents.configs import load_config
from heroku_agents.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("content", "says"), [
    (b"\xff\xfename: x\n", "not UTF-8"),
    (b"name: x\x01\n", "unacceptable character #x0001"),
    (b"name: &a [*a]\nmodel: m\n", "refers to itself"),
])
def test_a_config_yaml_cannot_read_is_a_config_error_naming_the_file_and_the_fault(tmp_path: Path, content: bytes, says: str) -> None:
    path = tmp_path / "broken.yaml"
    path.write_bytes(content)
    with pytest.raises(ConfigError) as raised:
        load_config(path, {})
    assert str(raised.value).startswith(f"{path}")
    assert says in str(raised.value)


def test_the_driver_exits_2_with_one_line_for_a_binary_config(tmp_path: Path) -> None:
    path = tmp_path / "binary.yaml"
    path.write_bytes(b"\xff\xfe\x00\x01")
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "run_agent.py"), str(path)],
                          capture_output=True, text=True, timeout=60, env={"PATH": "/usr/bin:/bin"})
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"error: {path}: ") and "Traceback" not in proc.stderr
