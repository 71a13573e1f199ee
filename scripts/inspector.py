"""The MCP Inspector on our servers: pinned version, its own Node 22, the server's environment passed along.

Usage:
  python scripts/inspector.py install                    install (once; cached) and print the bin folder
  python scripts/inspector.py web postgres|appdiag       open the Inspector's web UI on that server over STDIO
  python scripts/inspector.py cli postgres|appdiag ARGS  run the Inspector's CLI mode, e.g. --method tools/list

The Inspector 2.12.0 needs Node >= 22.19. Both come from the npm registry: tools/inspector/package.json pins
`@modelcontextprotocol/inspector` and the `node` package (an npm-shipped Node binary), and `npm ci` installs
them into tools/inspector/node_modules (git-ignored). Any npm (Node 18+) can run that install.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOOL_DIR = ROOT / "tools" / "inspector"
BIN_DIR = TOOL_DIR / "node_modules" / ".bin"
STAMP = TOOL_DIR / "node_modules" / ".installed-by-heroku-mcp-toolkit"
INSPECTOR_VERSION = "2.12.0"
MIN_NODE = (22, 19)
INSTALL_TIMEOUT_S = 900

# Mount name -> (module run with `python -m`, environment variables passed to it: exact names or prefixes*).
SERVERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "postgres": ("mcp_servers.postgres", ("MCP_DATABASE_URL", "DATABASE_URL", "PG_*", "EMBEDDED_PG_*")),
    "appdiag": ("mcp_servers.app_diagnostics", ("HEROKU_*", "HTTP_PROBE_*")),
}


class InstallError(RuntimeError):
    """npm is missing or `npm ci` failed; the message says what to do."""


def _digest() -> str:
    sha = hashlib.sha256()
    for name in ("package.json", "package-lock.json"):
        sha.update((TOOL_DIR / name).read_bytes())
    return sha.hexdigest()


def _node_version(node: Path) -> tuple[int, ...]:
    out = subprocess.run([str(node), "--version"], capture_output=True, text=True, timeout=30).stdout.strip()
    return tuple(int(part) for part in out.lstrip("v").split(".")[:2] if part.isdigit())


def install() -> Path:
    """Install the pinned Inspector and Node 22 unless the same lockfile is already installed.

    Returns the `node_modules/.bin` folder holding `node` (22) and `mcp-inspector`.

    Raises:
        InstallError: npm is not on PATH, `npm ci` failed, or the result has the wrong versions.
    """
    digest = _digest()
    with (TOOL_DIR / "package.json").open("rb") as lock_handle:
        fcntl.flock(lock_handle, fcntl.LOCK_EX)  # two test runs in one checkout install once, not twice
        if STAMP.exists() and STAMP.read_text() == digest:
            return BIN_DIR
        npm = shutil.which("npm")
        if npm is None:
            raise InstallError(
                "npm is not on PATH; install Node.js with npm (any version >= 18, e.g. `apt-get install npm`); "
                "it is only used to fetch the pinned Inspector and Node 22 into tools/inspector/node_modules"
            )
        started = time.monotonic()
        env = {**os.environ, "npm_config_update_notifier": "false", "npm_config_fund": "false"}
        proc = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=TOOL_DIR, env=env, capture_output=True, text=True, timeout=INSTALL_TIMEOUT_S,
        )
        if proc.returncode != 0:
            raise InstallError(f"`npm ci` in {TOOL_DIR} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
        node = BIN_DIR / "node"
        if not node.exists() or _node_version(node) < MIN_NODE:
            raise InstallError(f"{node} is missing or older than Node {MIN_NODE[0]}.{MIN_NODE[1]} after `npm ci`")
        version = subprocess.run(
            [str(BIN_DIR / "mcp-inspector"), "--version"], env=inspector_env(), capture_output=True, text=True,
            timeout=60,
        ).stdout.strip()
        if version != INSPECTOR_VERSION:
            raise InstallError(f"mcp-inspector --version printed {version!r}, expected {INSPECTOR_VERSION}")
        STAMP.write_text(digest)
        print(f"installed Inspector {version} with Node 22 in {time.monotonic() - started:.1f}s", file=sys.stderr)
        return BIN_DIR


def inspector_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """Our Node 22 first on PATH; secrets (stdio env values) kept in memory, never written to ~/.mcp-inspector."""
    env = {**os.environ, "PATH": f"{BIN_DIR}{os.pathsep}{os.environ.get('PATH', '')}"}
    env["MCP_INSPECTOR_SECRET_STORE"] = "memory"
    env.update(extra or {})
    return env


def _server_env(patterns: tuple[str, ...]) -> dict[str, str]:
    def wanted(name: str) -> bool:
        return any(name.startswith(p[:-1]) if p.endswith("*") else name == p for p in patterns)

    return {name: value for name, value in os.environ.items() if wanted(name)}


@contextlib.contextmanager
def server_config(server: str):
    """A private (0600) Inspector config naming the server's STDIO command and env; deleted afterwards.

    The Inspector starts STDIO servers with a minimal environment, so DATABASE_URL and friends travel in
    this file rather than on the command line, where `ps` would show them.
    """
    module, patterns = SERVERS[server]
    config = {
        "mcpServers": {
            server: {
                "command": sys.executable,
                "args": ["-m", module],
                "env": _server_env(patterns),
                "cwd": str(ROOT),
            }
        }
    }
    with tempfile.TemporaryDirectory(prefix="mcp-inspector-") as folder:
        path = Path(folder) / "mcp.json"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(config, handle)
        yield path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("install", help="install the pinned Inspector and Node 22; print the bin folder")
    web = sub.add_parser("web", help="open the Inspector web UI on a server over STDIO")
    web.add_argument("server", choices=sorted(SERVERS))
    cli = sub.add_parser("cli", help="run the Inspector CLI on a server over STDIO; extra args go to it")
    cli.add_argument("server", choices=sorted(SERVERS))
    args, rest = parser.parse_known_args()
    if rest and args.command != "cli":
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    try:
        bin_dir = install()
    except (InstallError, subprocess.TimeoutExpired) as exc:
        print(f"inspector: {exc}", file=sys.stderr)
        return 1
    if args.command == "install":
        print(bin_dir)
        return 0
    with server_config(args.server) as config:
        # The web UI lists every server in the file (it ignores --server); the CLI needs the name.
        mode = ["--web"] if args.command == "web" else ["--cli", "--server", args.server]
        command = [str(bin_dir / "mcp-inspector"), *mode, "--config", str(config), *rest]
        try:
            return subprocess.run(command, env=inspector_env()).returncode
        except KeyboardInterrupt:
            return 130


if __name__ == "__main__":
    raise SystemExit(main())
